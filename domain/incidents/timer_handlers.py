"""The incident's timers: SLA warnings and breaches (with escalation), and auto-close."""

from __future__ import annotations

from domain import paging, timers
from domain.context import SYSTEM, DeskContext
from domain.incidents import sla, snapshot
from domain.incidents.lifecycle import OPEN_STATES, announce_change, auto_close, record_event
from domain.incidents.records import IncidentRecord
from domain.notifications import notify, notify_channel
from domain.records import Timer

_CLOCK_WORDS = {"respond": "time to respond", "resolve": "time to resolve"}


def load_incidents(ctx: DeskContext, ids: list[str]) -> dict:
    """The incidents of a batch of timers, locked; busy ones are left for a later pass."""
    found = timers.lock_subjects(ctx, IncidentRecord, ids)
    snapshot.preload(ctx.session, [i for i in found.values() if isinstance(i, IncidentRecord)])
    return found


@timers.timer_handler("auto_close")
def fire_auto_close(ctx: DeskContext, timer: Timer, incident: IncidentRecord) -> None:
    """Nobody confirmed the fix in time: close the incident."""
    auto_close(ctx, SYSTEM, incident)


@timers.timer_handler("respond_warning")
@timers.timer_handler("respond_breach")
@timers.timer_handler("resolve_warning")
@timers.timer_handler("resolve_breach")
def fire_sla(ctx: DeskContext, timer: Timer, incident: IncidentRecord) -> None:
    """An SLA clock reached its warning point or its target."""
    if incident.state not in OPEN_STATES or incident.paused_since is not None:
        return  # the clock stopped after this timer was written; nothing to say
    if not sla.clock_running(incident, timer.kind):
        return  # answered, already warned or breached (e.g. a re-targeted clock)
    clock_name, _, stage = timer.kind.partition("_")
    if stage == "warning":
        _warn(ctx, incident, clock_name)
    else:
        _breach(ctx, incident, clock_name)


def _warn(ctx: DeskContext, incident, clock_name: str) -> None:
    setattr(incident, f"{clock_name}_warned", True)
    words = _CLOCK_WORDS[clock_name]
    record_event(ctx, incident, SYSTEM, "sla_warning", f"SLA warning: {words} is running out")
    channel = ctx.policy.team_channel(incident.assignment_group) or ctx.policy.triage_channel
    notify(
        ctx, "sla_warning", subject=incident, channel=channel, person=incident.assignee, clock=words
    )


def _breach(ctx: DeskContext, incident, clock_name: str) -> None:
    """Mark the breach and escalate hierarchically: the team lead and the escalation channel."""
    setattr(incident, f"{clock_name}_breached", True)
    incident.escalation_level += 1
    words = _CLOCK_WORDS[clock_name]
    team = ctx.policy.teams.get(incident.assignment_group or "")
    lead = team.lead if team else None
    record_event(
        ctx,
        incident,
        SYSTEM,
        "sla_breach",
        f"SLA breached: {words}; escalated to {lead or 'the escalation channel'}",
    )
    announce_change(ctx, incident, f"SLA breached ({words})")
    paging.page(ctx, incident.assignment_group, incident, f"SLA breached: {words}")
    notify(
        ctx,
        "sla_breached",
        subject=incident,
        channel=ctx.policy.escalation_channel,
        person=lead,
        clock=words,
        lead=lead,
    )
    if incident.assignee is None:
        # Nobody owns it: put it back in front of the whole desk.
        notify_channel(
            ctx, ctx.policy.triage_channel, "incident_rerouted", subject=incident, clock=words
        )
