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


Entry = tuple[str, dict]  # a decision to audit with the directory's step: (action, details)


def start_grant(
    ctx: DeskContext, grant: AccessGrant, actor: Actor, decision: Entry | None = None
) -> None:
    """The grant starts now: its clock runs from approval, and the directory adds it.
    `decision` (the approval) is audited with the step, after every timer change."""
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
    give(ctx, grant, actor, decision)


def give(ctx: DeskContext, grant: AccessGrant, actor: Actor, decision: Entry | None = None) -> bool:
    """Add the grant's group in the directory; True when it is there."""
    decided = [(actor.name, decision[0], grant.key, decision[1])] if decision else []
    try:
        changed = _directory(ctx).add_to_group(grant.person, grant.group_name)
    except DeskError as exc:
        _failed(ctx, [grant], actor, exc, "add")
        audit.record_many(ctx, decided)
        return False
    timers.cancel(ctx, grant, ("access_retry",))
    grant.state = "granted"
    if not changed and grant.renewal_of is None:
        # A member before the grant keeps that membership when the grant ends — unless
        # another grant gives it (a renewal carries its grant's answer over).
        grant.was_member = _giver(ctx, grant) is None
    already = "" if changed else f" ({grant.person} already was a member)"
    record_event(ctx, grant, actor, "granted", f"Directory: added to {grant.group_name}{already}")
    granted = (actor.name, "access.granted", grant.key, {"group": grant.group_name})
    audit.record_many(ctx, [*decided, granted])
    tell_holder(
        ctx,
        grant,
        f"granted: you have {grant.resource}:{grant.role} until {when(grant.expires_at)} "
        f"({format_duration(timedelta(seconds=grant.duration_s))})",
    )
    return True


def _giver(ctx: DeskContext, grant: AccessGrant) -> int | None:
    """Another held grant of the same person giving the same group, if any."""
    return ctx.session.scalar(
        select(AccessGrant.id).where(
            AccessGrant.person == grant.person,
            AccessGrant.group_name == grant.group_name,
            AccessGrant.id != grant.id,
            AccessGrant.state.in_(("granting", "granted")),
        )
    )


def end_grant(
    ctx: DeskContext,
    grant: AccessGrant,
    how: str,
    actor: Actor,
    reason: str,
    decision: Entry | None = None,
) -> None:
    """End a held grant (`how`: revoked or expired); the directory removes the group.
    `decision` (the revocation) is audited with the step, after every timer change."""
    end_many(ctx, [grant], how, actor, reason, decision)


def end_many(
    ctx: DeskContext,
    grants: list[AccessGrant],
    how: str,
    actor: Actor,
    reason: str,
    decision: Entry | None = None,
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
        take_many(ctx, grants, actor, decision)


def take(ctx: DeskContext, grant: AccessGrant, actor: Actor) -> bool:
    """Remove the grant's group in the directory; True when the grant has ended."""
    return bool(take_many(ctx, [grant], actor))


def take_many(
    ctx: DeskContext, grants: list[AccessGrant], actor: Actor, decision: Entry | None = None
) -> list[AccessGrant]:
    """Remove ending grants' groups in the directory — one change per group, leaving a group
    another grant of the same person still gives, or that they had before — and end those
    grants. A group the directory could not change keeps its grants ending, retried.
    Returns the grants ended."""
    ids = [g.id for g in grants]
    # Locked: a revocation and an expiry of two grants giving one group, at once, must
    # not each leave the group to the other.
    kept = {
        (person, group): other
        for person, group, other in ctx.session.execute(
            select(AccessGrant.person, AccessGrant.group_name, AccessGrant.id)
            .where(
                AccessGrant.person.in_({g.person for g in grants}),
                AccessGrant.group_name.in_({g.group_name for g in grants}),
                AccessGrant.id.not_in(ids),
                AccessGrant.state.in_(("granting", "granted")),
            )
            .with_for_update()
        )
    }
    by_group: dict[str, list[AccessGrant]] = defaultdict(list)
    for grant in grants:
        by_group[grant.group_name].append(grant)
    ended: list[tuple[AccessGrant, str]] = []
    for group, members in by_group.items():
        leaving = [g.person for g in members if (g.person, group) not in kept and not g.was_member]
        try:
            removed = set(_directory(ctx).remove_members(group, leaving)) if leaving else set()
        except DeskError as exc:
            _failed(ctx, members, actor, exc, "remove")
            continue
        for grant in members:
            if (grant.person, group) in kept:
                done = f"{group} kept: ACC-{kept[(grant.person, group)]} still gives it"
            elif grant.was_member:
                done = f"{group} kept: {grant.person} was a member before the grant"
            elif grant.person in removed:
                done = f"removed from {group}"
            else:
                done = f"removed from {group} (was not a member)"
            ended.append((grant, done))
    entries = [(actor.name, decision[0], grants[0].key, decision[1])] if decision else []
    if not ended:
        audit.record_many(ctx, entries)
        return []
    now = ctx.clock.now()
    timers.cancel_many(ctx, AccessGrant.subject_type, [g.id for g, _ in ended], ALL_TIMERS)
    for grant, done in ended:
        how = grant.ending or "revoked"
        _final(grant, how, actor, grant.end_reason, now)
        record_event(ctx, grant, actor, how, f"Directory: {done}{colon(grant.end_reason)}")
        entries.append((actor.name, f"access.{how}", grant.key, {"directory": done}))
        ender = grant.ended_by or actor.name
        by = "" if ender == grant.person or how == "expired" else f" by @{ender}"
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


def _failed(
    ctx: DeskContext, grants: list[AccessGrant], actor: Actor, exc: DeskError, doing: str
) -> None:
    """The directory could not change one group for these grants: each keeps its state
    and retries on its own; the security channel hears once (not once per grant)."""
    failures = dict(
        ctx.session.execute(
            select(AccessEvent.grant_id, func.count(AccessEvent.id))
            .where(
                AccessEvent.grant_id.in_([g.id for g in grants]),
                AccessEvent.kind == "directory_failed",
            )
            .group_by(AccessEvent.grant_id)
        ).all()
    )
    lasting = isinstance(exc, NotFound)  # no such group or person: a person must fix it
    why = exc.message.rstrip(".")
    later = "someone must fix that" if lasting else "it is retried on its own"
    first = []
    timers.cancel_many(ctx, AccessGrant.subject_type, [g.id for g in grants], ("access_retry",))
    for grant in grants:
        failed_before = failures.get(grant.id, 0)
        record_event(ctx, grant, actor, "directory_failed", exc.message)
        if not lasting:
            timers.schedule(
                ctx, grant, "access_retry", ctx.clock.now() + retry_delay(failed_before)
            )
        if failed_before and not lasting:
            continue
        first.append(grant)
        if doing == "add":
            tell_holder(
                ctx, grant, f"approved, but the directory could not add it yet ({why}); {later}"
            )
    if not first:
        return
    others = f" (and {len(first) - 1} other grants)" if len(first) > 1 else ""
    channel = ctx.policy.security_channel or ctx.policy.triage_channel
    notify_channel(
        ctx,
        channel,
        "access_waiting",
        subject=first[0],
        reason=f"the directory could not {doing} {first[0].group_name}{others}: {why}; {later}",
    )


def _directory(ctx: DeskContext):
    if ctx.directory is None:
        raise DirectoryUnavailable("No directory is configured.")
    return ctx.directory
