"""Giving and taking away a grant's directory group.

A grant is `granting` until the directory has added the group and `ending` until it has
removed it: it never shows as revoked or expired while the directory still has it.
Failures are retried with backoff (5 minutes, doubling, at most an hour), and the security
channel hears of the first one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select

from domain import audit, timers
from domain.access.records import AccessEvent, AccessGrant
from domain.access.steps import announce, colon, record_event, tell_holder, when
from domain.clock import format_duration
from domain.context import Actor, DeskContext
from domain.directory import DirectoryUnavailable
from domain.errors import DeskError, NotFound
from domain.notifications import notify_channel

REMINDERS = (("access_remind_day", timedelta(days=1)), ("access_remind_hour", timedelta(hours=1)))
EXPIRY_TIMERS = (*(kind for kind, _ in REMINDERS), "access_expiry")
APPROVAL_TIMERS = ("access_approval_reminder", "access_request_lapse")
ALL_TIMERS = (*EXPIRY_TIMERS, *APPROVAL_TIMERS, "access_retry")


def start_grant(ctx: DeskContext, grant: AccessGrant, actor: Actor) -> None:
    """The grant starts now: its clock runs from approval, and the directory adds it."""
    now = ctx.clock.now()
    grant.state, grant.approved_at = "granting", now
    grant.expires_at = now + timedelta(seconds=grant.duration_s)
    timers.cancel(ctx, grant, APPROVAL_TIMERS)
    schedule_expiry(ctx, grant)
    how = "break-glass, without approval" if grant.break_glass else f"approved by {actor.name}"
    announce(
        ctx,
        grant,
        f"{grant.person} gets {grant.resource}:{grant.role} until {when(grant.expires_at)} "
        f"({how}){colon(grant.reason)}",
    )
    give(ctx, grant, actor)


def give(ctx: DeskContext, grant: AccessGrant, actor: Actor) -> bool:
    """Add the grant's group in the directory; True when it is there."""
    try:
        changed = _directory(ctx).add_to_group(grant.person, grant.group_name)
    except DeskError as exc:
        _failed(ctx, grant, actor, exc, "add")
        return False
    timers.cancel(ctx, grant, ("access_retry",))
    grant.state = "granted"
    already = "" if changed else f" ({grant.person} already was a member)"
    record_event(ctx, grant, actor, "granted", f"Directory: added to {grant.group_name}{already}")
    audit.record(ctx, actor.name, "access.granted", grant.key, {"group": grant.group_name})
    tell_holder(
        ctx,
        grant,
        f"granted: you have {grant.resource}:{grant.role} until {when(grant.expires_at)} "
        f"({format_duration(timedelta(seconds=grant.duration_s))})",
    )
    return True


def end_grant(ctx: DeskContext, grant: AccessGrant, how: str, actor: Actor, reason: str) -> None:
    """End a held grant (`how`: revoked or expired); the directory removes the group."""
    end_many(ctx, [grant], how, actor, reason)


def end_many(
    ctx: DeskContext, grants: list[AccessGrant], how: str, actor: Actor, reason: str
) -> None:
    """End held grants together (a timer batch's expiries): one directory change per group."""
    if not grants:
        return
    # The grants' rows are written once, at commit, in their final state: nothing read
    # meanwhile (other grants, timers, the audit head) depends on them.
    with ctx.session.no_autoflush:
        for grant in grants:
            grant.state, grant.ending = "ending", how
            grant.ended_by, grant.end_reason = actor.name, reason or None
        timers.cancel_many(ctx, AccessGrant.subject_type, [g.id for g in grants], EXPIRY_TIMERS)
        take_many(ctx, grants, actor)


def take(ctx: DeskContext, grant: AccessGrant, actor: Actor) -> bool:
    """Remove the grant's group in the directory; True when the grant has ended."""
    return bool(take_many(ctx, [grant], actor))


def take_many(ctx: DeskContext, grants: list[AccessGrant], actor: Actor) -> list[AccessGrant]:
    """Remove ending grants' groups in the directory — one change per group, leaving a group
    another grant of the same person still gives — and end those grants. A group the
    directory could not change keeps its grants ending, retried. Returns the grants ended."""
    ids = [g.id for g in grants]
    kept = {
        (person, group): other
        for person, group, other in ctx.session.execute(
            select(AccessGrant.person, AccessGrant.group_name, AccessGrant.id).where(
                AccessGrant.person.in_({g.person for g in grants}),
                AccessGrant.group_name.in_({g.group_name for g in grants}),
                AccessGrant.id.not_in(ids),
                AccessGrant.state.in_(("granting", "granted")),
            )
        )
    }
    by_group: dict[str, list[AccessGrant]] = defaultdict(list)
    for grant in grants:
        by_group[grant.group_name].append(grant)
    ended: list[tuple[AccessGrant, str]] = []
    for group, members in by_group.items():
        leaving = [g.person for g in members if (g.person, group) not in kept]
        try:
            removed = set(_directory(ctx).remove_members(group, leaving)) if leaving else set()
        except DeskError as exc:
            for grant in members:
                _failed(ctx, grant, actor, exc, "remove")
            continue
        for grant in members:
            if (grant.person, group) in kept:
                done = f"{group} kept: ACC-{kept[(grant.person, group)]} still gives it"
            elif grant.person in removed:
                done = f"removed from {group}"
            else:
                done = f"removed from {group} (was not a member)"
            ended.append((grant, done))
    if not ended:
        return []
    now = ctx.clock.now()
    timers.cancel_many(ctx, AccessGrant.subject_type, [g.id for g, _ in ended], ALL_TIMERS)
    entries = []
    for grant, done in ended:
        how = grant.ending or "revoked"
        _final(grant, how, actor, grant.end_reason, now)
        record_event(ctx, grant, actor, how, f"Directory: {done}{colon(grant.end_reason)}")
        entries.append((actor.name, f"access.{how}", grant.key, {"directory": done}))
        by = "" if actor.name == grant.person or how == "expired" else f" by @{actor.name}"
        tell_holder(ctx, grant, f"{how}{by}: you no longer have {grant.resource}:{grant.role}")
        # A grant running its course is routine: the security channel hears of ends someone
        # chose, and of break-glass access whichever way it ends.
        if how != "expired" or grant.break_glass:
            announce(ctx, grant, f"{grant.person}'s {grant.resource}:{grant.role} {how}{by}")
    audit.record_many(ctx, entries)
    return [grant for grant, _ in ended]


def close(
    ctx: DeskContext, grant: AccessGrant, state: str, actor: Actor, reason: str | None
) -> None:
    """Put the grant in a final state; who ended it and why stay on it."""
    _final(grant, state, actor, reason, ctx.clock.now())
    timers.cancel(ctx, grant, ALL_TIMERS)


def _final(grant: AccessGrant, state: str, actor: Actor, reason: str | None, now) -> None:
    grant.state, grant.ending, grant.ended_at = state, None, now
    grant.ended_by = grant.ended_by or actor.name
    grant.end_reason = reason or grant.end_reason


def schedule_expiry(ctx: DeskContext, grant: AccessGrant) -> None:
    """(Re)write the reminders a day and an hour before expiry, and the expiry itself."""
    assert grant.expires_at is not None
    timers.cancel(ctx, grant, EXPIRY_TIMERS)
    now = ctx.clock.now()
    for kind, before in REMINDERS:
        # A grant shorter than the reminder's lead gets no reminder of that kind.
        if grant.expires_at - before > now and timedelta(seconds=grant.duration_s) > before:
            timers.schedule(ctx, grant, kind, grant.expires_at - before)
    timers.schedule(ctx, grant, "access_expiry", grant.expires_at)


def retry_delay(failures: int) -> timedelta:
    """5 minutes, doubling, at most an hour."""
    return timedelta(minutes=min(5 * 2**failures, 60))


def _failed(ctx: DeskContext, grant: AccessGrant, actor: Actor, exc: DeskError, doing: str) -> None:
    failures = ctx.session.scalar(
        select(func.count(AccessEvent.id)).where(
            AccessEvent.grant_id == grant.id, AccessEvent.kind == "directory_failed"
        )
    )
    record_event(ctx, grant, actor, "directory_failed", exc.message)
    timers.cancel(ctx, grant, ("access_retry",))
    lasting = isinstance(exc, NotFound)  # no such group or person: a person must fix it
    if not lasting:
        timers.schedule(ctx, grant, "access_retry", ctx.clock.now() + retry_delay(failures))
    if failures and not lasting:
        return
    later = "someone must fix that" if lasting else "it is retried on its own"
    if doing == "add":
        tell_holder(
            ctx,
            grant,
            f"approved, but the directory could not add it yet ({exc.message.rstrip('.')}); {later}",
        )
    channel = ctx.policy.security_channel or ctx.policy.triage_channel
    notify_channel(
        ctx,
        channel,
        "access_waiting",
        subject=grant,
        reason=f"the directory could not {doing} {grant.group_name}: {exc.message.rstrip('.')}; {later}",
    )


def _directory(ctx: DeskContext):
    if ctx.directory is None:
        raise DirectoryUnavailable("No directory is configured.")
    return ctx.directory
