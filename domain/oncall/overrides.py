"""Overrides from chat: someone covers a team's schedule for a while, two people swap
their next shifts, an override is cancelled. Agents of the team and admins only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from domain import keys
from domain.clock import format_duration
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, InvalidTransition, PermissionDenied
from domain.notifications import notify_person
from domain.oncall import handover, rota
from domain.oncall.records import OncallOverride
from domain.oncall_settings import Schedule, TeamOncall
from domain.people import get_person
from domain.text import check_text

# An override may start this far in the past ("from now", typed a minute late).
GRACE_SECONDS = 300


def add_override(
    ctx: DeskContext,
    actor: Actor,
    team: str,
    person: str,
    start: datetime,
    end: datetime,
    *,
    schedule: str | None = None,
    reason: str = "",
) -> OncallOverride:
    """`person` covers the team's schedule over [start, end)."""
    oncall = rota.team_oncall(ctx, team)
    _require_may_change(ctx, actor, oncall)
    chosen = rota.schedule_of(ctx, oncall, schedule)
    who = _member(ctx, oncall, person)
    now = ctx.clock.now()
    if end <= start:
        raise InvalidInput("An override must end after it starts (--to after --from).")
    if end <= now:
        raise InvalidInput("That override is over already: --to is in the past.")
    if (now - start).total_seconds() > GRACE_SECONDS:
        raise InvalidInput("An override cannot start in the past; use --from now.")
    limit = ctx.policy.oncall.max_override
    if end - start > limit:
        raise InvalidInput(
            f"An override can last at most {format_duration(limit)} "
            f"(this one is {format_duration(end - start)}); make several, or change the rota."
        )
    override = OncallOverride(
        team=oncall.team,
        schedule=chosen.name,
        person=who,
        starts_at=max(start, now),
        ends_at=end,
        reason=check_text(reason, "The reason"),
        by=actor.name,
        created_at=now,
    )
    ctx.session.add(override)
    ctx.session.flush()
    rota.forget_covers(ctx, chosen)
    handover.reschedule(ctx, chosen)
    if who != actor.name:
        notify_person(
            ctx,
            who,
            "oncall_override",
            override=_view(override),
            by=actor.name,
            zone=chosen.zone,
        )
    return override


def swap(
    ctx: DeskContext, actor: Actor, team: str, other: str, *, schedule: str | None = None
) -> tuple[OncallOverride, OncallOverride]:
    """The actor's next shift and `other`'s next shift change hands."""
    oncall = rota.team_oncall(ctx, team)
    chosen = rota.schedule_of(ctx, oncall, schedule)
    if not any(actor.name == m for layer in chosen.layers for m in layer.members):
        raise PermissionDenied(f"You are not on the {oncall.team} {chosen.name} rotation.")
    them = _member(ctx, oncall, other)
    if them == actor.name:
        raise InvalidInput("Swap with someone else: /oncall swap TEAM @who.")
    mine = _next_shift(ctx, chosen, actor.name)
    theirs = _next_shift(ctx, chosen, them)
    first = add_override(
        ctx, actor, oncall.team, them, mine.start, mine.end, schedule=chosen.name, reason="swap"
    )
    second = add_override(
        ctx,
        actor,
        oncall.team,
        actor.name,
        theirs.start,
        theirs.end,
        schedule=chosen.name,
        reason="swap",
    )
    return first, second


def cancel_override(ctx: DeskContext, actor: Actor, key: str) -> OncallOverride:
    """End an override now (or before it starts): the rota applies again."""
    override = keys.load(ctx.session, OncallOverride, key, "OVR", "override", for_update=True)
    oncall = rota.team_oncall(ctx, override.team)
    if actor.name not in (override.person, override.by):
        _require_may_change(ctx, actor, oncall)
    now = ctx.clock.now()
    if override.cancelled_at is not None:
        raise InvalidTransition(f"{override.key} was cancelled already by {override.cancelled_by}.")
    if override.ends_at <= now:
        raise InvalidTransition(f"{override.key} is over already.")
    override.cancelled_at, override.cancelled_by = now, actor.name
    chosen = oncall.schedules.get(override.schedule)
    if chosen is not None:
        rota.forget_covers(ctx, chosen)
        handover.reschedule(ctx, chosen)
    return override


def list_overrides(ctx: DeskContext, team: str) -> list[OncallOverride]:
    """The team's overrides in force now or later, soonest first."""
    oncall = rota.team_oncall(ctx, team)
    return list(
        ctx.session.scalars(
            select(OncallOverride)
            .where(
                OncallOverride.team == oncall.team,
                OncallOverride.cancelled_at.is_(None),
                OncallOverride.ends_at > ctx.clock.now(),
            )
            .order_by(OncallOverride.starts_at, OncallOverride.id)
            .limit(50)
        )
    )


def _require_may_change(ctx: DeskContext, actor: Actor, oncall: TeamOncall) -> None:
    team = ctx.policy.teams.get(oncall.team)
    member = team is not None and actor.name in team.members
    if actor.is_admin or (actor.is_agent and member):
        return
    raise PermissionDenied(
        f"Only agents of the {oncall.team} team and admins can change its on-call."
    )


def _member(ctx: DeskContext, oncall: TeamOncall, name: str) -> str:
    person = get_person(ctx, name.strip().lstrip("@").lower()[:64])
    team = ctx.policy.teams.get(oncall.team)
    if team is not None and person.name not in team.members:
        raise InvalidInput(
            f"{person.name} is not in the {oncall.team} team ({', '.join(team.members)})."
        )
    return person.name


def _next_shift(ctx: DeskContext, schedule: Schedule, person: str):
    now = ctx.clock.now()
    for shift in rota.timeline(ctx, schedule, now, now + ctx.policy.oncall.max_override * 4):
        if shift.person == person and shift.end > now:
            return shift
    raise InvalidInput(f"{person} has no shift in {schedule.team} {schedule.name} soon to swap.")


def _view(override: OncallOverride) -> dict:
    return {
        "key": override.key,
        "team": override.team,
        "schedule": override.schedule,
        "person": override.person,
        "starts_at": override.starts_at,
        "ends_at": override.ends_at,
        "reason": override.reason,
    }
