"""Request fulfilment: ask for a catalogue item, get it approved, have it fulfilled.

The requester follows every step in one DM thread; approvers are asked by DM; an approved
request becomes a task card in the fulfilling team's channel, or the directory does it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from difflib import get_close_matches

from sqlalchemy import func, select

from domain import approvals, audit, keys, timers
from domain.catalog import CatalogItem
from domain.context import Actor, DeskContext
from domain.directory import DirectoryUnavailable
from domain.errors import DeskError, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from domain.notifications import DM_THREAD, notify_channel, notify_person
from domain.requests.answers import check_answers
from domain.requests.records import RequestEvent, RequestRecord
from domain.requests.states import REQUEST
from domain.text import check_text

APPROVAL_TIMERS = ("request_reminder", "request_escalation")
ALL_TIMERS = (*APPROVAL_TIMERS, "request_breach", "request_task_breach", "request_retry")
CARD = "card"  # the message reference of a request's task card
# Called when a request is fulfilled (not denied or cancelled): a satisfaction survey.
ON_FULFIL: list[Callable[[DeskContext, RequestRecord], None]] = []


def get_request(ctx: DeskContext, key: str | int, *, for_update: bool = False) -> RequestRecord:
    """Load a request by number or key."""
    return keys.load(ctx.session, RequestRecord, key, "REQ", "request", for_update=for_update)


def find_item(ctx: DeskContext, item_id: str) -> CatalogItem:
    """A catalogue item by id, or NotFound listing what can be requested."""
    name = item_id.strip().lower()
    item = ctx.policy.catalog.get(name)
    if item is None:
        close = get_close_matches(name, list(ctx.policy.catalog), n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise NotFound(
            f"The catalogue has no item '{item_id[:40]}'.{hint} See them all with /request catalog."
        )
    return item


def may_request(ctx: DeskContext, actor: Actor, item: CatalogItem) -> bool:
    """Whether the item's audience includes this person (no roles or teams: everyone)."""
    if not item.roles and not item.teams:
        return True
    if set(item.roles) & actor.roles:
        return True
    return any(t.name in item.teams for t in ctx.policy.teams_of(actor.name))


def manager_of(ctx: DeskContext, name: str) -> str | None:
    """A person's manager: the config's `manager:`, else the directory's."""
    profile = ctx.policy.people.get(name)
    if profile is not None and profile.manager:
        return profile.manager
    if ctx.directory is None:
        return None
    person = ctx.directory.find_person(name)
    return person.manager if person else None


def submit_request(
    ctx: DeskContext, actor: Actor, item_id: str, answers: dict[str, str]
) -> RequestRecord:
    """Request a catalogue item with the form's answers; ask its approvers, or start
    fulfilling it at once when it needs no approval."""
    item = find_item(ctx, item_id)
    if item.fulfilment.directory == "reset_password":
        raise InvalidInput("A password reset is no request: start it with /desk password.")
    if not may_request(ctx, actor, item):
        raise PermissionDenied(f'"{item.title}" is not in your catalogue.')
    values = check_answers(ctx, item, answers, actor)
    # Who gains from a directory change (added to a group) may not approve it either.
    beneficiary = (
        item.resolve(item.fulfilment.member, values, actor.name)
        if item.fulfilment.automatic
        else None
    )
    approvers = approvals.approvers_for(
        item.approval,
        actor.name,
        ctx.policy,
        lambda n: manager_of(ctx, n),
        f'"{item.title}"',
        beneficiary=beneficiary,
    )
    now = ctx.clock.now()
    request = RequestRecord(
        item=item.id,
        title=item.title,
        requester=actor.name,
        state="awaiting_approval" if approvers.needed else "approved",
        answers=json.dumps(values),
        approvers=",".join(approvers.people),
        approvals_required=approvers.required,
        approval_lead=approvers.lead,
        opened_at=now,
        updated_at=now,
        due_at=now + item.sla,
        approved_at=None if approvers.needed else now,
    )
    ctx.session.add(request)
    ctx.session.flush()
    # At the request's own time: no second write of the row just inserted.
    record_event(ctx, request, actor, "opened", f"Requested {item.title}", at=now)
    _audit(
        ctx,
        actor,
        "request.submitted",
        request,
        item=item.id,
        approvers=list(approvers.people),
        approvals_required=approvers.required if approvers.needed else 0,
    )
    timers.schedule(ctx, request, "request_breach", request.due_at)
    notify_person(ctx, actor.name, "request_submitted", subject=request, creates_ref=DM_THREAD)
    if approvers.needed:
        for person in approvers.people:
            notify_person(ctx, person, "request_approval", subject=request)
        timers.schedule(ctx, request, "request_reminder", now + item.approval.remind_after)
        timers.schedule(ctx, request, "request_escalation", now + item.approval.escalate_after)
    else:
        start_fulfilment(ctx, request, actor)
    return request


def approve_request(ctx: DeskContext, actor: Actor, key: str, note: str = "") -> RequestRecord:
    """An approver agrees; with enough approvals the request goes to fulfilment."""
    note = check_text(note, "The note")
    request = _locked(ctx, key, "approve")
    tally = approvals.decide(
        ctx,
        request,
        requester=request.requester,
        approvers=request.asked,
        actor=actor,
        decision="approve",
        reason=note,
    )
    count = f" ({tally.approvals} of {tally.required})" if tally.required > 1 else ""
    record_event(ctx, request, actor, "approved", f"Approved by {actor.name}{count}" + _colon(note))
    decided = {
        "approvals": tally.approvals,
        "approvals_required": tally.required,
        "outcome": tally.outcome,
        "note": note,
    }
    if tally.outcome == "pending":
        _audit(ctx, actor, "request.approved", request, **decided)
        tell_requester(
            ctx, request, f"approved by @{actor.name}{count}; waiting for more approvals"
        )
        return request
    request.state, request.approved_at = "approved", ctx.clock.now()
    request.approval_seconds = round((request.approved_at - request.opened_at).total_seconds(), 3)
    # The request's changes go out in one UPDATE at commit: what runs meanwhile reads
    # nothing they touch (timers by subject, people's platform accounts). The audit trail's
    # head is locked after the timers: a worker holding timers it claimed may be waiting
    # for that head, never the other way round.
    with ctx.session.no_autoflush:
        timers.cancel(ctx, request, APPROVAL_TIMERS)
        _audit(ctx, actor, "request.approved", request, **decided)
        start_fulfilment(ctx, request, actor)
    return request


def deny_request(ctx: DeskContext, actor: Actor, key: str, reason: str) -> RequestRecord:
    """An approver says no, with a reason the requester reads."""
    reason = check_text(reason, "The reason")
    if not reason:
        raise InvalidInput(
            f'Say why it is denied: /request deny {key} "not in this year\'s budget".'
        )
    request = _locked(ctx, key, "deny")
    approvals.decide(
        ctx,
        request,
        requester=request.requester,
        approvers=request.asked,
        actor=actor,
        decision="deny",
        reason=reason,
    )
    _close(ctx, request, "denied", reason)
    record_event(ctx, request, actor, "denied", f"Denied by {actor.name}: {reason}")
    _audit(ctx, actor, "request.denied", request, reason=reason)
    tell_requester(ctx, request, f"denied by @{actor.name}: {reason}")
    return request


def claim_request(ctx: DeskContext, actor: Actor, key: str) -> RequestRecord:
    """An agent takes an approved request's task."""
    REQUEST.require_permission("claim", actor)
    request = _locked(ctx, key, "claim")
    if request.assignee == actor.name:
        raise InvalidTransition(f"You are already fulfilling {request.key}.")
    previous, request.assignee, request.state = request.assignee, actor.name, "in_progress"
    was = f" (was {previous})" if previous else ""
    record_event(ctx, request, actor, "claimed", f"Claimed by {actor.name}{was}")
    announce_change(ctx, request, f"claimed by @{actor.name}")
    tell_requester(ctx, request, f"@{actor.name} is working on it")
    return request


def fulfil_request(ctx: DeskContext, actor: Actor, key: str, note: str = "") -> RequestRecord:
    """The task is done: the request is fulfilled and the requester told."""
    REQUEST.require_permission("done", actor)
    note = check_text(note, "The note")
    request = _locked(ctx, key, "done")
    request.assignee = request.assignee or actor.name
    _close(ctx, request, "fulfilled", note or None)
    record_event(ctx, request, actor, "fulfilled", f"Fulfilled by {actor.name}" + _colon(note))
    _audit(ctx, actor, "request.fulfilled", request, by="task", note=note)
    announce_change(ctx, request, f"fulfilled by @{actor.name}")
    tell_requester(ctx, request, "fulfilled" + _colon(note))
    _fulfilled(ctx, request)
    return request


def retry_request(ctx: DeskContext, actor: Actor, key: str) -> RequestRecord:
    """Run a request's directory action again after the directory failed."""
    REQUEST.require_permission("retry", actor)
    request = _locked(ctx, key, "retry")
    item = ctx.policy.catalog.get(request.item)
    if item is None or not item.fulfilment.automatic:
        raise InvalidTransition(
            f"{request.key} is fulfilled by a team, not by the directory: /request done {request.key}."
        )
    run_directory(ctx, request, item, actor)
    return request


def comment_request(ctx: DeskContext, actor: Actor, key: str, text: str) -> RequestRecord:
    """A word between the requester and whoever is deciding or fulfilling the request."""
    text = check_text(text, "A comment")
    if not text:
        raise InvalidInput(f'A comment needs some text: /request comment {key} "…".')
    request = get_request(ctx, key, for_update=True)
    if not involved(request, actor):
        raise PermissionDenied(
            f"Only the requester, its approvers and agents can comment on {request.key}."
        )
    REQUEST.require_state("comment", request.state, request.key)
    record_event(ctx, request, actor, "comment", text)
    if actor.name != request.requester:
        notify_person(
            ctx, request.requester, "request_comment", subject=request, by=actor.name, text=text
        )
    else:
        waiting = (
            [request.assignee]
            if request.assignee
            else approvals.waiting_on(ctx, request, request.asked)
        )
        for person in waiting:
            notify_person(ctx, person, "request_comment", subject=request, by=actor.name, text=text)
    if request.fulfil_team:
        announce_change(ctx, request, f"comment by @{actor.name}: {text}")
    return request


def cancel_request(ctx: DeskContext, actor: Actor, key: str, reason: str = "") -> RequestRecord:
    """The requester (or an agent) withdraws a request that is still open."""
    reason = check_text(reason, "The reason")
    request = get_request(ctx, key, for_update=True)
    if actor.name != request.requester and not actor.is_agent:
        raise PermissionDenied(f"Only the requester or an agent can cancel {request.key}.")
    REQUEST.require_state("cancel", request.state, request.key)
    _close(ctx, request, "cancelled", reason or None)
    record_event(ctx, request, actor, "cancelled", f"Cancelled by {actor.name}" + _colon(reason))
    _audit(ctx, actor, "request.cancelled", request, reason=reason)
    if request.fulfil_team:
        announce_change(ctx, request, f"cancelled by @{actor.name}" + _colon(reason))
    if actor.name != request.requester:
        tell_requester(ctx, request, f"cancelled by @{actor.name}" + _colon(reason))
    return request


def start_fulfilment(ctx: DeskContext, request: RequestRecord, actor: Actor) -> None:
    """An approved request: the directory does it, or its team gets a task card."""
    item = ctx.policy.catalog.get(request.item)
    if item is not None and item.fulfilment.automatic:
        run_directory(ctx, request, item, actor)
        return
    fulfilment = item.fulfilment if item is not None else None
    team = (fulfilment.team if fulfilment else None) or ctx.policy.triage_team
    request.fulfil_team = team
    if fulfilment is not None and fulfilment.sla is not None:
        request.task_due_at = ctx.clock.now() + fulfilment.sla
        timers.schedule(ctx, request, "request_task_breach", request.task_due_at)
    notify_channel(
        ctx, team_channel(ctx, request), "request_opened", subject=request, creates_ref=CARD
    )
    who = f"team {team}" if team else "the service desk"
    tell_requester(ctx, request, f"approved; {who} will fulfil it")


def run_directory(
    ctx: DeskContext, request: RequestRecord, item: CatalogItem, actor: Actor
) -> bool:
    """Carry out the item's directory action. On failure the request stays approved, a
    retry is scheduled and the requester and desk are told; True when it was done."""
    action = item.fulfilment
    values = request.values
    group = item.resolve(action.group, values, request.requester)
    member = item.resolve(action.member, values, request.requester)
    directory = ctx.directory
    try:
        if directory is None:
            raise DirectoryUnavailable("No directory is configured.")
        if action.directory == "add_to_group":
            changed = directory.add_to_group(member, group)
            done = f"added {member} to {group}" + ("" if changed else f" ({member} already was)")
        elif action.directory == "remove_from_group":
            changed = directory.remove_from_group(member, group)
            done = f"removed {member} from {group}" + (
                "" if changed else f" ({member} was not in it)"
            )
        else:
            raise ValueError(f"{item.id}: no directory action {action.directory!r}")
    except DeskError as exc:
        failures = ctx.session.scalar(
            select(func.count(RequestEvent.id)).where(
                RequestEvent.request_id == request.id, RequestEvent.kind == "directory_failed"
            )
        )
        record_event(ctx, request, actor, "directory_failed", exc.message)
        timers.cancel(ctx, request, ("request_retry",))  # one retry chain, however started
        # No such group or person: retrying cannot help until someone fixes it.
        lasting = isinstance(exc, NotFound)
        if not lasting:
            timers.schedule(ctx, request, "request_retry", ctx.clock.now() + retry_delay(failures))
        _audit(
            ctx,
            actor,
            "request.directory_failed",
            request,
            directory_action=action.directory,
            group=group,
            member=member,
            error=exc.message,
            failures=failures + 1,
        )
        if failures == 0 or lasting:
            later = "the service desk will see to it" if lasting else "it will be retried"
            tell_requester(
                ctx,
                request,
                f"approved, but the directory could not do it yet ({exc.message}); "
                f"it stays open and {later}",
            )
            notify_channel(
                ctx,
                team_channel(ctx, request),
                "request_waiting",
                subject=request,
                reason=(
                    f"the directory failed: {exc.message}. "
                    + ("Fix that, then " if lasting else "It is retried on its own; or ")
                    + f"/request retry {request.key}"
                ),
            )
        return False
    timers.cancel(ctx, request, ("request_retry",))
    _close(ctx, request, "fulfilled", f"The directory {done}.")
    record_event(ctx, request, actor, "fulfilled", f"Directory: {done}")
    _audit(
        ctx,
        actor,
        "request.fulfilled",
        request,
        by="directory",
        directory_action=action.directory,
        group=group,
        member=member,
        changed=changed,
    )
    tell_requester(ctx, request, f"done: the directory {done}")
    _fulfilled(ctx, request)
    return True


def retry_delay(failures: int) -> timedelta:
    """How long to wait before retrying the directory: 5 minutes, doubling, at most 1 hour."""
    return timedelta(minutes=min(5 * 2**failures, 60))


def involved(request: RequestRecord, actor: Actor) -> bool:
    """The requester, its approvers, its assignee, and agents."""
    return (
        actor.is_agent
        or actor.name == request.requester
        or actor.name in request.asked.people
        or actor.name == request.assignee
    )


def tell_requester(ctx: DeskContext, request: RequestRecord, step: str) -> None:
    """Tell the requester of a step, in their DM thread about the request."""
    notify_person(ctx, request.requester, "request_news", subject=request, step=step)


def announce_change(ctx: DeskContext, request: RequestRecord, change: str) -> None:
    """Edit the task card in the fulfilling team's channel and say there what changed."""
    if request.fulfil_team is None:
        return
    notify_channel(
        ctx,
        team_channel(ctx, request),
        "request_changed",
        subject=request,
        updates_ref=CARD,
        change=change,
    )


def team_channel(ctx: DeskContext, request: RequestRecord) -> str | None:
    """The fulfilling team's channel, else the triage channel."""
    team = request.fulfil_team or (
        ctx.policy.catalog[request.item].fulfilment.team
        if request.item in ctx.policy.catalog
        else None
    )
    return ctx.policy.team_channel(team) or ctx.policy.triage_channel


def record_event(
    ctx: DeskContext,
    request: RequestRecord,
    actor: Actor,
    kind: str,
    text: str,
    at: datetime | None = None,
) -> None:
    """Add a step to the request's timeline and mark it updated (without loading it)."""
    now = at or ctx.clock.now()
    request.updated_at = now
    ctx.record(RequestEvent, request_id=request.id, at=now, actor=actor.name, kind=kind, text=text)


def _close(ctx: DeskContext, request: RequestRecord, state: str, outcome: str | None) -> None:
    request.state, request.outcome, request.closed_at = state, outcome, ctx.clock.now()
    timers.cancel(ctx, request, ALL_TIMERS)


def _fulfilled(ctx: DeskContext, request: RequestRecord) -> None:
    """After the requester was told it is done: what other processes follow up with."""
    for hook in ON_FULFIL:
        hook(ctx, request)


def _locked(ctx: DeskContext, key: str, action: str) -> RequestRecord:
    request = get_request(ctx, key, for_update=True)
    REQUEST.require_state(action, request.state, request.key)
    return request


def _audit(ctx: DeskContext, actor: Actor, action: str, request: RequestRecord, **details) -> None:
    """The decision in the audit trail, in this transaction."""
    audit.record(ctx, actor.name, action, request.key, details)


def _colon(text: str | None) -> str:
    return f": {text}" if text else ""
