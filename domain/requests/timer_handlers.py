"""A request's timers: remind silent approvers, then escalate to their lead; say when the
request or its task breaches its SLA; retry a directory action that failed."""

from __future__ import annotations

from domain import approvals, timers
from domain.context import SYSTEM, DeskContext
from domain.notifications import notify_channel, notify_person
from domain.records import Timer
from domain.requests.lifecycle import record_event, run_directory, team_channel, tell_requester
from domain.requests.records import RequestRecord
from domain.requests.states import OPEN, WORKING


def load_requests(ctx: DeskContext, ids: list[str]) -> dict:
    """The requests of a batch of timers, locked; busy ones are left for a later pass."""
    return timers.lock_subjects(ctx, RequestRecord, ids)


@timers.timer_handler("request_reminder")
def fire_reminder(ctx: DeskContext, timer: Timer, request: RequestRecord) -> None:
    """Approvers have not answered in the configured time: remind those still silent."""
    if request.state != "awaiting_approval":
        return
    waiting = approvals.waiting_on(ctx, request, request.asked)
    for person in waiting:
        notify_person(ctx, person, "request_reminder", subject=request)
    if waiting:
        record_event(ctx, request, SYSTEM, "reminded", "Reminded " + ", ".join(waiting))


@timers.timer_handler("request_escalation")
def fire_escalation(ctx: DeskContext, timer: Timer, request: RequestRecord) -> None:
    """Still unanswered: the approvers' lead may now decide too, and the requester is told."""
    if request.state != "awaiting_approval" or request.escalated:
        return
    request.escalated = True
    lead = request.approval_lead
    if lead and lead != request.requester and lead not in request.asked.people:
        request.approvers = ",".join((*request.asked.people, lead))
        notify_person(ctx, lead, "request_escalated", subject=request)
        record_event(ctx, request, SYSTEM, "escalated", f"Escalated to {lead}")
        tell_requester(ctx, request, f"still waiting for approval, so @{lead} was asked too")
        return
    # Nobody above the approvers: the service desk hears of it.
    record_event(ctx, request, SYSTEM, "escalated", "Escalated to the service desk")
    notify_channel(
        ctx,
        ctx.policy.triage_channel,
        "request_waiting",
        subject=request,
        reason="nobody has answered its approval; approvers: " + ", ".join(request.asked.people),
    )


@timers.timer_handler("request_breach")
def fire_breach(ctx: DeskContext, timer: Timer, request: RequestRecord) -> None:
    """The request's SLA ran out before it was fulfilled."""
    if request.state not in OPEN or request.breached:
        return
    request.breached = True
    record_event(ctx, request, SYSTEM, "sla_breach", "SLA breached: not fulfilled in time")
    channels = {team_channel(ctx, request), ctx.policy.escalation_channel}
    for channel in channels - {None}:
        notify_channel(
            ctx, channel, "request_waiting", subject=request, reason="its SLA is breached"
        )


@timers.timer_handler("request_task_breach")
def fire_task_breach(ctx: DeskContext, timer: Timer, request: RequestRecord) -> None:
    """The fulfilment task's own SLA ran out: its team and the team's lead hear of it."""
    if request.state not in WORKING:
        return
    record_event(ctx, request, SYSTEM, "task_breach", "Task SLA breached")
    team = ctx.policy.teams.get(request.fulfil_team or "")
    reason = "its fulfilment task is past its SLA"
    notify_channel(
        ctx, team_channel(ctx, request), "request_waiting", subject=request, reason=reason
    )
    if team is not None and team.lead:
        notify_person(ctx, team.lead, "request_waiting", subject=request, reason=reason)


@timers.timer_handler("request_retry")
def fire_retry(ctx: DeskContext, timer: Timer, request: RequestRecord) -> None:
    """Try a failed directory action again."""
    item = ctx.policy.catalog.get(request.item)
    if request.state != "approved" or item is None or not item.fulfilment.automatic:
        return
    run_directory(ctx, request, item, SYSTEM)
