"""Access requests: ask for a role of a resource for a while, with a reason; its owners
approve (never the person who gains it); a break-glass role is granted at once and
announced; the holder renews, the holder or an owner revokes, or the request is withdrawn.

Giving and taking away the directory group is `domain.access.directory_steps`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from difflib import get_close_matches

from sqlalchemy import select

from domain import approvals, audit, keys, timers
from domain.access.directory_steps import close, end_grant, schedule_expiry, start_grant
from domain.access.records import AccessGrant
from domain.access.states import ACCESS, HELD
from domain.access.steps import colon, record_event, tell_holder, when
from domain.access_resources import Resource
from domain.clock import format_duration
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from domain.notifications import DM_THREAD, notify_person
from domain.text import check_text

APPROVAL_REMINDER = timedelta(days=1)  # then daily, while owners stay silent
REQUEST_LAPSES = timedelta(days=3)  # an access request nobody answered in this long lapses
# Called after a grant is revoked (an open access review takes it as its answer).
ON_REVOKE: list[Callable[[DeskContext, Actor, AccessGrant], None]] = []


def get_grant(ctx: DeskContext, key: str | int, *, for_update: bool = False) -> AccessGrant:
    """Load a grant by number or key (ACC-7)."""
    return keys.load(ctx.session, AccessGrant, key, "ACC", "access grant", for_update=for_update)


def find_resource(ctx: DeskContext, name: str) -> Resource:
    """A resource by name, or NotFound naming the closest one."""
    wanted = name.strip().lower()
    resources = ctx.policy.access.resources
    if wanted in resources:
        return resources[wanted]
    close = get_close_matches(wanted, list(resources), n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    raise NotFound(
        f"There is no resource '{name[:40]}'.{hint} See them all with /access resources."
    )


def break_glass_allowed(ctx: DeskContext, actor: Actor, resource: Resource, role: str) -> bool:
    """Whether this person may take this role at once, without approval."""
    rule = resource.break_glass
    if rule is None or role not in rule.roles:
        return False
    return any(team.name in rule.teams for team in ctx.policy.teams_of(actor.name))


def request_access(
    ctx: DeskContext,
    actor: Actor,
    resource_name: str,
    *,
    role: str | None = None,
    duration: timedelta | None = None,
    reason: str = "",
) -> AccessGrant:
    """Ask for a role of a resource for a while; the owners are asked, or a break-glass
    role is granted at once."""
    resource = find_resource(ctx, resource_name)
    role = _role(resource, role)
    reason = check_text(reason, "The reason").strip()
    urgent = break_glass_allowed(ctx, actor, resource, role)
    limit = resource.break_glass.max_duration if urgent and resource.break_glass else None
    if urgent and limit is not None and duration is not None and duration > limit:
        urgent = False  # longer than break-glass allows: it goes to the owners instead
    duration = _duration(resource, duration, limit if urgent else None)
    if (resource.reason_required or urgent) and not reason:
        raise InvalidInput(
            f"{resource.name} needs a reason: /access request {resource.name} --role {role} "
            f'--for {format_duration(duration)} "why you need it".'
        )
    _refuse_duplicate(ctx, actor.name, resource, role)
    return _open(ctx, actor, resource, role, duration, reason, urgent=urgent)


def approve_access(ctx: DeskContext, actor: Actor, key: str, note: str = "") -> AccessGrant:
    """An owner agrees; with enough approvals the access starts at once."""
    note = check_text(note, "The note").strip()
    grant = _locked(ctx, key, "approve")
    tally = approvals.decide(
        ctx,
        grant,
        requester=grant.person,
        approvers=current_approvers(ctx, grant),
        actor=actor,
        decision="approve",
        reason=note,
    )
    count = f" ({tally.approvals} of {tally.required})" if tally.required > 1 else ""
    record_event(ctx, grant, actor, "approved", f"Approved by {actor.name}{count}{colon(note)}")
    if tally.outcome == "pending":
        audit.record(ctx, actor.name, "access.approve", grant.key, {"note": note, "count": count})
        tell_holder(ctx, grant, f"approved by @{actor.name}{count}; waiting for more approvals")
        return grant
    # The audit trail's head is taken after every timer change (and the directory's
    # record of it): a worker holding timers it claimed may wait for that head, never the
    # other way round.
    _started(ctx, grant, actor, approval=("access.approve", {"note": note, "count": count}))
    return grant


def deny_access(ctx: DeskContext, actor: Actor, key: str, reason: str) -> AccessGrant:
    """An owner says no, with a reason the requester reads."""
    reason = check_text(reason, "The reason").strip()
    if not reason:
        raise InvalidInput(f'Say why it is denied: /access deny {key} "not needed for your role".')
    grant = _locked(ctx, key, "deny")
    approvals.decide(
        ctx,
        grant,
        requester=grant.person,
        approvers=current_approvers(ctx, grant),
        actor=actor,
        decision="deny",
        reason=reason,
    )
    _finish(ctx, grant, "denied", actor, reason)
    record_event(ctx, grant, actor, "denied", f"Denied by {actor.name}: {reason}")
    audit.record(ctx, actor.name, "access.deny", grant.key, {"reason": reason})
    tell_holder(ctx, grant, f"denied by @{actor.name}: {reason}")
    return grant


def cancel_access(ctx: DeskContext, actor: Actor, key: str, reason: str = "") -> AccessGrant:
    """The requester (or an admin) withdraws a request still waiting for approval."""
    reason = check_text(reason, "The reason").strip()
    grant = get_grant(ctx, key, for_update=True)
    if actor.name != grant.person and not actor.is_admin:
        raise PermissionDenied(f"You cannot cancel {grant.key}: it is not your request.")
    ACCESS.require_state("cancel", grant.state, grant.key)
    _finish(ctx, grant, "cancelled", actor, reason or None)
    record_event(ctx, grant, actor, "cancelled", f"Cancelled by {actor.name}{colon(reason)}")
    audit.record(ctx, actor.name, "access.cancel", grant.key, {"reason": reason})
    for owner in approvals.waiting_on(ctx, grant, grant.asked):
        notify_person(ctx, owner, "access_news", subject=grant, step=f"cancelled by @{actor.name}")
    return grant


def revoke_access(ctx: DeskContext, actor: Actor, key: str, reason: str = "") -> AccessGrant:
    """The holder gives access up, or an owner or admin takes it away; the directory
    removes the group (retried until it has, the grant shows as ending meanwhile)."""
    reason = check_text(reason, "The reason").strip()
    grant = get_grant(ctx, key, for_update=True)
    resource = ctx.policy.access.resources.get(grant.resource)
    owners = resource.owners if resource else ()
    if actor.name != grant.person and actor.name not in owners and not actor.is_admin:
        # Who holds it is not said: that is for its holder, owners and agents to see.
        raise PermissionDenied(
            f"You cannot revoke {grant.key}: only its holder, the owners of its resource "
            "or an admin can."
        )
    if grant.state == "ending":
        raise InvalidTransition(
            f"{grant.key} is already ending ({grant.ending}); the directory is being updated."
        )
    if grant.state in ("expired", "revoked"):
        raise InvalidTransition(f"{grant.key} has already {grant.state}: nothing to revoke.")
    ACCESS.require_state("revoke", grant.state, grant.key)
    renewal = ctx.session.scalar(
        select(AccessGrant)
        .where(AccessGrant.renewal_of == grant.id, AccessGrant.state == "pending")
        .with_for_update()
    )
    if renewal is not None:  # approving it later must not give the access back
        _finish(ctx, renewal, "cancelled", actor, f"{grant.key} was revoked")
        record_event(ctx, renewal, actor, "cancelled", f"Cancelled: {grant.key} was revoked")
    end_grant(ctx, grant, "revoked", actor, reason or "", ("access.revoke", {"reason": reason}))
    for hook in ON_REVOKE:
        hook(ctx, actor, grant)
    return grant


def renew_access(
    ctx: DeskContext,
    actor: Actor,
    key: str,
    duration: timedelta | None = None,
    reason: str = "",
) -> AccessGrant:
    """The holder asks for more time: extended at once where the resource allows
    self-renewal, else a new request (`renewal_of`) its owners approve."""
    reason = check_text(reason, "The reason").strip()
    grant = get_grant(ctx, key, for_update=True)
    if actor.name != grant.person:
        raise PermissionDenied(f"You cannot renew {grant.key}: only its holder can.")
    ACCESS.require_state("renew", grant.state, grant.key)
    resource = find_resource(ctx, grant.resource)
    if grant.role not in resource.roles:
        raise InvalidTransition(
            f"{grant.resource} no longer has the role {grant.role}: ask for one of "
            f"{', '.join(resource.roles)} with /access request."
        )
    duration = _duration(resource, duration or timedelta(seconds=grant.duration_s), None)
    if resource.self_renew and not grant.break_glass:
        grant.expires_at = ctx.clock.now() + duration
        grant.duration_s = int(duration.total_seconds())
        schedule_expiry(ctx, grant)
        until = when(grant.expires_at)
        record_event(ctx, grant, actor, "renewed", f"Renewed by {actor.name} until {until}")
        audit.record(ctx, actor.name, "access.renew", grant.key, {"until": until})
        tell_holder(ctx, grant, f"renewed until {until}")
        return grant
    pending = ctx.session.scalar(
        select(AccessGrant.id).where(
            AccessGrant.renewal_of == grant.id, AccessGrant.state == "pending"
        )
    )
    if pending is not None:
        raise InvalidTransition(f"A renewal of {grant.key} is already waiting: ACC-{pending}.")
    renewal = _open(
        ctx,
        actor,
        resource,
        grant.role,
        duration,
        reason or grant.reason,
        urgent=False,
        renewal_of=grant,
    )
    return renewal


def _open(
    ctx: DeskContext,
    actor: Actor,
    resource: Resource,
    role: str,
    duration: timedelta,
    reason: str,
    *,
    urgent: bool,
    renewal_of: AccessGrant | None = None,
) -> AccessGrant:
    approvers = (
        approvals.NO_APPROVAL
        if urgent
        else approvals.approvers_for(
            resource.rule,
            actor.name,
            ctx.policy,
            lambda name: None,
            f"Access to {resource.name}",
            beneficiary=actor.name,
        )
    )
    now = ctx.clock.now()
    grant = AccessGrant(
        resource=resource.name,
        role=role,
        group_name=resource.roles[role],
        person=actor.name,
        reason=reason,
        state="pending",
        duration_s=int(duration.total_seconds()),
        approvers=",".join(approvers.people),
        approvals_required=approvers.required,
        break_glass=urgent,
        renewal_of=renewal_of.id if renewal_of else None,
        requested_at=now,
        updated_at=now,
    )
    ctx.session.add(grant)
    ctx.session.flush()
    what = f"Asked for {role} of {resource.name} for {format_duration(duration)}"
    if renewal_of is not None:
        what += f", renewing {renewal_of.key}"
    record_event(ctx, grant, actor, "requested", what + colon(reason))
    notify_person(ctx, actor.name, "access_requested", subject=grant, creates_ref=DM_THREAD)
    requested = (
        "access.request",
        {
            "resource": resource.name,
            "role": role,
            "duration": format_duration(duration),
            "reason": reason,
            "break_glass": urgent,
            "renewal_of": renewal_of.key if renewal_of else None,
        },
    )
    if urgent:
        record_event(ctx, grant, actor, "break_glass", "Break-glass: granted without approval")
        _started(ctx, grant, actor, approval=requested)  # audited with the grant's start
        return grant
    for owner in approvers.people:
        notify_person(ctx, owner, "access_approval", subject=grant)
    # Owners who stay silent are reminded daily; unanswered, the request lapses.
    timers.schedule(ctx, grant, "access_approval_reminder", now + APPROVAL_REMINDER)
    timers.schedule(ctx, grant, "access_request_lapse", now + REQUEST_LAPSES)
    audit.record(ctx, actor.name, requested[0], grant.key, requested[1])
    return grant


def _started(
    ctx: DeskContext,
    grant: AccessGrant,
    actor: Actor,
    approval: tuple[str, dict] | None = None,
) -> None:
    """Approved (or break-glass): a renewal replaces the grant it renews, then the
    directory gives the group; the approval is audited after both."""
    if grant.renewal_of is not None:
        old = ctx.session.get(AccessGrant, grant.renewal_of, with_for_update=True)
        if old is not None and old.state in HELD:
            # The group stays: the renewal carries it on from here.
            grant.was_member = old.was_member
            _finish(ctx, old, "renewed", actor, f"renewed by {grant.key}")
            record_event(ctx, old, actor, "renewed", f"Replaced by {grant.key}")
    start_grant(ctx, grant, actor, approval)


def _finish(
    ctx: DeskContext, grant: AccessGrant, state: str, actor: Actor, reason: str | None
) -> None:
    close(ctx, grant, state, actor, reason)


def current_approvers(ctx: DeskContext, grant: AccessGrant) -> approvals.Approvers:
    """Those asked who are still owners of the resource: someone removed from `owners:`
    may no longer answer requests that were waiting for them."""
    resource = ctx.policy.access.resources.get(grant.resource)
    owners = set(resource.owners) if resource else set()
    asked = grant.asked
    return approvals.Approvers(
        tuple(p for p in asked.people if p in owners), asked.required, asked.lead
    )


def _role(resource: Resource, role: str | None) -> str:
    if role is None:
        if len(resource.roles) > 1:
            raise InvalidInput(
                f"{resource.name} has several roles ({', '.join(resource.roles)}): "
                f"say which with --role."
            )
        return resource.default_role
    wanted = role.strip().lower()
    if wanted not in resource.roles:
        raise InvalidInput(
            f"{resource.name} has no role '{role[:40]}'; its roles: {', '.join(resource.roles)}."
        )
    return wanted


def _duration(resource: Resource, duration: timedelta | None, limit: timedelta | None) -> timedelta:
    longest = min(resource.max_duration, limit) if limit else resource.max_duration
    if duration is None:
        return min(resource.default_duration, longest)
    if duration <= timedelta(0):
        raise InvalidInput("Access must last a while: say how long with --for, e.g. --for 4h.")
    if duration > longest:
        raise InvalidInput(
            f"{resource.name} can be given for at most {format_duration(longest)}"
            + (" without approval" if limit else "")
            + f", not {format_duration(duration)}."
        )
    return duration


def _refuse_duplicate(ctx: DeskContext, person: str, resource: Resource, role: str) -> None:
    existing = ctx.session.scalar(
        select(AccessGrant)
        .where(
            AccessGrant.person == person,
            AccessGrant.resource == resource.name,
            AccessGrant.role == role,
            AccessGrant.state.in_(("pending", "granting", "granted")),
        )
        .limit(1)
    )
    if existing is None:
        return
    if existing.state == "pending":
        raise InvalidTransition(
            f"You already asked for {resource.name}:{role}: {existing.key} waits for approval."
        )
    raise InvalidTransition(
        f"You already have {resource.name}:{role} ({existing.key}, until "
        f"{when(existing.expires_at)}): /access renew {existing.key} for more time."
    )


def _locked(ctx: DeskContext, key: str, action: str) -> AccessGrant:
    grant = get_grant(ctx, key, for_update=True)
    if grant.state != "pending" and action in ("approve", "deny"):
        raise InvalidTransition(
            f"{grant.key} is no longer waiting for approval: it is "
            f"{ACCESS.label(grant.state).lower()}."
        )
    ACCESS.require_state(action, grant.state, grant.key)
    return grant
