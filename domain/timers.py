"""Firing timers that fell due: SLA warnings and breaches, escalation, auto-close."""

from __future__ import annotations

from sqlalchemy import select

from domain import sla
from domain.context import SYSTEM, DeskContext
from domain.incidents import OPEN_STATES, announce_change, auto_close, get_incident, record_event
from domain.notifications import notify_channel, notify_person
from domain.records import IncidentRecord, Timer

_CLOCK_WORDS = {"respond": "time to respond", "resolve": "time to resolve"}


def claim_due_timer(ctx: DeskContext) -> Timer | None:
    """Lock the oldest due timer and its incident together, skipping rows others hold.

    Use cases lock an incident and then its timers; taking both here in one statement
    (FOR UPDATE SKIP LOCKED over the join) means the worker never waits on a command
    that waits on it. A timer whose incident is busy is simply taken on the next pass.
    """
    return ctx.session.scalar(
        select(Timer)
        .join(IncidentRecord, IncidentRecord.id == Timer.incident_id)
        .where(Timer.state == "pending", Timer.due_at <= ctx.clock.now())
        .order_by(Timer.due_at, Timer.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def fire_timer(ctx: DeskContext, timer: Timer) -> None:
    """Do what the timer is for, and mark it fired in the same transaction."""
    timer.state, timer.fired_at = "fired", ctx.clock.now()
    incident = get_incident(ctx, timer.incident_id, for_update=True)
    if timer.kind == "auto_close":
        auto_close(ctx, SYSTEM, incident)
        return
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
    notify_channel(ctx, channel, "sla_warning", incident=incident, clock=words)
    notify_person(ctx, incident.assignee, "sla_warning", incident=incident, clock=words)


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
    notify_channel(
        ctx,
        ctx.policy.escalation_channel,
        "sla_breached",
        incident=incident,
        clock=words,
        lead=lead,
    )
    if lead:
        notify_person(ctx, lead, "sla_breached", incident=incident, clock=words, lead=lead)
    if incident.assignee is None:
        # Nobody owns it: put it back in front of the whole desk.
        notify_channel(
            ctx, ctx.policy.triage_channel, "incident_rerouted", incident=incident, clock=words
        )
