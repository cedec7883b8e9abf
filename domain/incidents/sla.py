"""SLA clocks: time to respond and time to resolve, paused on hold, warned and breached."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import timers
from domain.context import DeskContext
from domain.incidents.records import IncidentRecord
from domain.incidents.states import INCIDENT

SLA_TIMER_KINDS = ("respond_warning", "respond_breach", "resolve_warning", "resolve_breach")


def deadlines(ctx: DeskContext, incident: IncidentRecord) -> dict[str, datetime]:
    """When each SLA timer of the incident falls due, counting time spent paused."""
    target = ctx.policy.sla[incident.priority]
    paused = timedelta(seconds=incident.paused_seconds)
    start = incident.opened_at + paused
    return {
        "respond_warning": start + target.respond * target.warn_at,
        "respond_breach": start + target.respond,
        "resolve_warning": start + target.resolve * target.warn_at,
        "resolve_breach": start + target.resolve,
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


def remaining(ctx: DeskContext, incident: IncidentRecord) -> dict[str, timedelta | None]:
    """Time left on each clock (negative when breached); None when the clock has stopped."""
    due = deadlines(ctx, incident)
    now = incident.paused_since or ctx.clock.now()
    respond = None if incident.first_response_at else due["respond_breach"] - now
    running = incident.state in INCIDENT.open_states
    resolve = due["resolve_breach"] - now if running else None
    return {"respond": respond, "resolve": resolve}
