"""SLA clocks: time to respond and time to resolve, paused on hold, warned and breached.

Clocks count elapsed time, or business time when `oncall.business_hours` gives the
incident a calendar (by its queue, service and priority; `calendar_of`). A target of 4h is
then four hours of the calendar's working time: the deadline is `add_business(opened_at,
target)`, the warning falls at `warn_at` of that business duration, and the time left is
the business time between now and the deadline (negative once breached).

Time paused (on hold, or resolved awaiting confirmation) never counts. `paused_seconds`
stays what it always was, the elapsed time paused, so elapsed clocks are unchanged. A
business clock needs the business time that fell inside the pauses, which depends on
*when* they were, so it reads the pauses from the timeline: a pause starts at a "held" or
"resolved" entry and ends at the next "resumed", "reopened", "closed" or "cancelled" one
(a pause still open while the incident runs is the resume in progress: it ends now). The
deadline is then `add_business(opened_at, target + business time paused)` — the instant
when the business time since opening, less the business time paused, reaches the target.
The pauses are calendar-free instants, so re-targeting (a new priority, queue or service
that changes the calendar, or moves between elapsed and business time) recomputes every
deadline correctly from the same history, and nothing new is stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from domain import timers
from domain.calendars import add_business, business_between
from domain.context import DeskContext
from domain.incidents.records import IncidentRecord, TimelineEntry
from domain.incidents.states import INCIDENT
from domain.oncall_settings import Calendar

SLA_TIMER_KINDS = ("respond_warning", "respond_breach", "resolve_warning", "resolve_breach")
# Timeline entries that stop the clocks (sla.pause) and that start them again (sla.resume,
# or the end of the incident's life while paused).
PAUSE_KINDS = frozenset({"held", "resolved"})
RESUME_KINDS = frozenset({"resumed", "reopened", "closed", "cancelled"})


def calendar_of(ctx: DeskContext, incident: IncidentRecord) -> Calendar | None:
    """The calendar the incident's SLA clocks count in, or None for elapsed time."""
    return ctx.policy.oncall.calendar_for(
        incident.assignment_group, incident.service, incident.priority
    )


def paused_spans(ctx: DeskContext, incident: IncidentRecord) -> list[tuple[datetime, datetime]]:
    """The finished pauses of the incident's clocks, from its timeline (oldest first)."""
    if incident.paused_seconds == 0 and incident.paused_since is None:
        return []  # never paused (or only for under a second): no need to read the timeline
    rows = ctx.session.execute(
        select(TimelineEntry.kind, TimelineEntry.at)
        .where(
            TimelineEntry.incident_id == incident.id,
            TimelineEntry.kind.in_(PAUSE_KINDS | RESUME_KINDS),
        )
        .order_by(TimelineEntry.id)
    ).all()
    spans: list[tuple[datetime, datetime]] = []
    since: datetime | None = None
    for kind, at in rows:
        if kind in PAUSE_KINDS and since is None:
            since = at
        elif kind in RESUME_KINDS and since is not None:
            spans.append((since, at))
            since = None
    if since is not None and incident.paused_since is None:
        # sla.resume runs before its timeline entry is written: the pause ends now.
        spans.append((since, ctx.clock.now()))
    return spans


def deadlines(ctx: DeskContext, incident: IncidentRecord) -> dict[str, datetime]:
    """When each SLA timer of the incident falls due, counting time spent paused."""
    target = ctx.policy.sla[incident.priority]
    calendar = calendar_of(ctx, incident)
    offsets = {
        "respond_warning": target.respond * target.warn_at,
        "respond_breach": target.respond,
        "resolve_warning": target.resolve * target.warn_at,
        "resolve_breach": target.resolve,
    }
    if calendar is None:
        start = incident.opened_at + timedelta(seconds=incident.paused_seconds)
        return {kind: start + offset for kind, offset in offsets.items()}
    paused = sum(
        (business_between(calendar, a, b) for a, b in paused_spans(ctx, incident)), timedelta(0)
    )
    return {
        kind: add_business(calendar, incident.opened_at, offset + paused)
        for kind, offset in offsets.items()
    }


def clock_running(incident: IncidentRecord, kind: str) -> bool:
    """Whether an SLA timer of this kind still has something to say."""
    flags = {
        "respond_warning": incident.respond_warned or incident.respond_breached,
        "respond_breach": incident.respond_breached,
        "resolve_warning": incident.resolve_warned or incident.resolve_breached,
        "resolve_breach": incident.resolve_breached,
    }
    if kind.startswith("respond") and incident.first_response_at is not None:
        return False
    return not flags[kind]


def schedule_sla(ctx: DeskContext, incident: IncidentRecord, *, fresh: bool = False) -> None:
    """(Re)create the pending SLA timers of a running incident from its current deadlines.

    `fresh` says the incident was just opened and has no timers to cancel yet.
    """
    if not fresh:
        cancel_sla(ctx, incident)
    if incident.paused_since is not None:
        return
    for kind, due in deadlines(ctx, incident).items():
        if clock_running(incident, kind):
            timers.schedule(ctx, incident, kind, due)


def cancel_sla(ctx: DeskContext, incident: IncidentRecord, clock_name: str | None = None) -> None:
    """Cancel pending SLA timers: all of them, or one clock's ("respond" or "resolve")."""
    kinds = [k for k in SLA_TIMER_KINDS if clock_name is None or k.startswith(clock_name)]
    timers.cancel(ctx, incident, kinds)


def pause(ctx: DeskContext, incident: IncidentRecord) -> None:
    """Stop the SLA clocks (on hold, or resolved awaiting confirmation)."""
    if incident.paused_since is None:
        incident.paused_since = ctx.clock.now()
    cancel_sla(ctx, incident)


def resume(ctx: DeskContext, incident: IncidentRecord) -> None:
    """Restart the SLA clocks, pushing every deadline back by the time spent paused."""
    if incident.paused_since is not None:
        elapsed = ctx.clock.now() - incident.paused_since
        incident.paused_seconds += int(elapsed.total_seconds())
        incident.paused_since = None
    schedule_sla(ctx, incident)


def retarget(ctx: DeskContext, incident: IncidentRecord) -> None:
    """New targets (priority) or a new way of counting (calendar): rearm and reschedule.

    A warning already given is given again when the new warning point is still ahead.
    """
    due = deadlines(ctx, incident)
    now = ctx.clock.now()
    for clock_name in ("respond", "resolve"):
        breached = getattr(incident, f"{clock_name}_breached")
        if not breached and due[f"{clock_name}_warning"] > now:
            setattr(incident, f"{clock_name}_warned", False)
    schedule_sla(ctx, incident)


def remaining(ctx: DeskContext, incident: IncidentRecord) -> dict[str, timedelta | None]:
    """Time left on each clock (negative when breached); None when the clock has stopped.

    Business time when the incident's clocks count in a calendar (see `calendar_of`).
    """
    due = deadlines(ctx, incident)
    now = incident.paused_since or ctx.clock.now()
    calendar = calendar_of(ctx, incident)

    def left(deadline: datetime) -> timedelta:
        if calendar is None:
            return deadline - now
        return business_between(calendar, now, deadline)

    respond = None if incident.first_response_at else left(due["respond_breach"])
    running = incident.state in INCIDENT.open_states
    resolve = left(due["resolve_breach"]) if running else None
    return {"respond": respond, "resolve": resolve}
