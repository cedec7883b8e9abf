"""Who is on call: the configured rotations (domain.schedules) with the overrides people
made from chat laid over them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from domain import schedules
from domain.context import DeskContext
from domain.errors import InvalidInput, NotFound
from domain.oncall.records import OncallOverride
from domain.oncall_settings import Schedule, TeamOncall
from domain.schedules import Cover, Shift


@dataclass(frozen=True)
class OnCallNow:
    """One schedule's on-call person now, and who follows at the next hand-over."""

    schedule: Schedule
    now: Shift
    next: Shift | None


def team_oncall(ctx: DeskContext, team: str) -> TeamOncall:
    """A team's on-call configuration; NotFound names the teams that have one."""
    name = team.strip().lstrip("@#").lower()
    found = ctx.policy.oncall.teams.get(name)
    if found is None:
        known = ", ".join(sorted(ctx.policy.oncall.teams)) or "none yet"
        if name in ctx.policy.teams:
            raise NotFound(f"The {name} team has no on-call schedule (teams with one: {known}).")
        raise NotFound(f"There is no team '{team[:40]}' (teams with on-call: {known}).")
    return found


def schedule_of(ctx: DeskContext, oncall: TeamOncall, name: str | None) -> Schedule:
    """One of the team's schedules, the first when `name` is None."""
    if not oncall.schedules:
        raise NotFound(f"The {oncall.team} team has no schedules.")
    if name is None:
        return next(iter(oncall.schedules.values()))
    found = oncall.schedules.get(name.strip().lower())
    if found is None:
        known = ", ".join(oncall.schedules)
        raise InvalidInput(f"The {oncall.team} team has no schedule '{name[:40]}' ({known}).")
    return found


def covers(ctx: DeskContext, schedule: Schedule, start: datetime, end: datetime) -> list[Cover]:
    """The overrides in force at some time in [start, end).

    A unit of work reads a schedule's overrides once (a batch of a thousand page steps
    asks the same question a thousand times); changing one calls `forget_covers`.
    """
    key = ("oncall_covers", schedule.team, schedule.name)
    found = ctx.cache.get(key)
    if found is None:
        since = ctx.clock.now() - _reach(ctx) - timedelta(days=400)
        rows = ctx.session.scalars(
            select(OncallOverride).where(
                OncallOverride.team == schedule.team,
                OncallOverride.schedule == schedule.name,
                OncallOverride.cancelled_at.is_(None),
                OncallOverride.ends_at > since,
            )
        )
        found = ctx.cache[key] = [Cover(r.id, r.person, r.starts_at, r.ends_at) for r in rows]
    return [c for c in found if c.end > start and c.start < end]


def forget_covers(ctx: DeskContext, schedule: Schedule) -> None:
    """An override of `schedule` was made or cancelled in this unit of work."""
    ctx.cache.pop(("oncall_covers", schedule.team, schedule.name), None)


# How far around an instant overrides are read: a shift's real boundaries may lie days
# away; an override can be no longer than the config's limit, so this bounds the search.
def _reach(ctx: DeskContext) -> timedelta:
    return ctx.policy.oncall.max_override + timedelta(days=1)


def on_call(ctx: DeskContext, schedule: Schedule, at: datetime | None = None) -> OnCallNow:
    """Who is on call in `schedule` at `at` (now), and who is next."""
    at = at or ctx.clock.now()
    found = covers(ctx, schedule, at - _reach(ctx), at + timedelta(days=400))
    now = schedules.on_call(schedule, at, found)
    following = schedules.on_call(schedule, now.end, found) if now.end else None
    return OnCallNow(schedule, now, following)


def timeline(ctx: DeskContext, schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The schedule's shifts over [start, end), overrides included."""
    return schedules.shifts(schedule, start, end, covers(ctx, schedule, start, end))


def person_on_call(ctx: DeskContext, schedule: Schedule, at: datetime | None = None) -> str | None:
    """The person on call in `schedule` now, None in a gap or if they left the desk."""
    person = on_call(ctx, schedule, at).now.person
    return person if person in ctx.policy.people else None
