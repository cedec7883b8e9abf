"""Incident management: log, categorise, prioritise, assign, work, resolve, close."""

from __future__ import annotations

from collections.abc import Callable

from domain import keys, paging, timers
from domain.context import SYSTEM, Actor, DeskContext
from domain.errors import InvalidInput, InvalidTransition, PermissionDenied
from domain.incidents import measures, sla
from domain.incidents.fields import check_level, clean_title, find_service
from domain.incidents.records import IncidentRecord, TimelineEntry
from domain.incidents.states import INCIDENT
from domain.notifications import notify_channel, notify_person
from domain.people import get_person
from domain.text import check_text

CARD = "card"  # the message reference of an incident's card
# What other processes do when an incident is logged, before its card is posted (problem
# management offers a known error's workaround). Each may return a sentence for the reporter.
ON_OPEN: list[Callable[[DeskContext, Actor, IncidentRecord], str | None]] = []
# Called when an incident is closed after a fix (confirmed, or closed automatically), never
# when it is cancelled: other processes follow up (a satisfaction survey).
ON_CLOSE: list[Callable[[DeskContext, IncidentRecord], None]] = []
# Called when an incident is resolved, cancelled or reopened, however it happened: other
# processes keep what they run around it in step (a major incident's war room).
ON_RESOLVE: list[Callable[[DeskContext, Actor, IncidentRecord], None]] = []
ON_CANCEL: list[Callable[[DeskContext, Actor, IncidentRecord], None]] = []
ON_REOPEN: list[Callable[[DeskContext, Actor, IncidentRecord], None]] = []
# Called once, when someone first responds (claims, acknowledges, resolves): on-call stops
# paging about it.
ON_FIRST_RESPONSE: list[Callable[[DeskContext, IncidentRecord], None]] = []
# Called whenever an agent claims an incident (the first response, or a later claim).
ON_CLAIM: list[Callable[[DeskContext, IncidentRecord], None]] = []
OPEN_STATES = INCIDENT.open_states
STATE_LABELS = INCIDENT.labels


def get_incident(ctx: DeskContext, key: str | int, *, for_update: bool = False) -> IncidentRecord:
    """Load an incident by number or key."""
    return keys.load(ctx.session, IncidentRecord, key, "INC", "incident", for_update=for_update)


def open_incident(
    ctx: DeskContext,
    actor: Actor,
    *,
    title: str,
    description: str = "",
    service: str | None = None,
    category: str | None = None,
    impact: str = "medium",
    urgency: str = "medium",
) -> IncidentRecord:
    """Log a new incident, prioritise it from the matrix and route it to its team."""
    title = clean_title(title)
    description = check_text(description, "The description")
    impact, urgency = check_level(impact, "impact"), check_level(urgency, "urgency")
    group = ctx.policy.triage_team
    if category is not None and service is None:
        raise InvalidInput("Give the service too: --service NAME --category NAME.")
    if service is not None:
        found = find_service(ctx, service, category)
        service, group = found.name, found.owner
    now = ctx.clock.now()
    incident = IncidentRecord(
        title=title,
        description=description.strip(),
        reporter=actor.name,
        service=service,
        category=category,
        impact=impact,
        urgency=urgency,
        priority=ctx.policy.priority(impact, urgency),
        assignment_group=group,
        state="new",
        opened_at=now,
        updated_at=now,
        paused_seconds=0,
        escalation_level=0,
        reopen_count=0,
        team_changes=0,
        respond_warned=False,
        respond_breached=False,
        resolve_warned=False,
        resolve_breached=False,
    )
    ctx.session.add(incident)
    ctx.session.flush()
    record_event(ctx, incident, actor, "opened", f"Opened with priority {incident.priority}")
    sla.schedule_sla(ctx, incident, fresh=True)
    said = [s for s in (hook(ctx, actor, incident) for hook in ON_OPEN) if s]
    ctx.cache.setdefault("remarks", {})[incident.id] = said
    if incident.priority in ctx.policy.oncall.page_priorities:
        paging.page(ctx, group, incident, f"New {incident.priority} incident")
    # The post in the triage channel becomes the incident's card, edited on every change.
    notify_channel(
        ctx, ctx.policy.triage_channel, "incident_opened", subject=incident, creates_ref=CARD
    )
    return incident


def remarks(ctx: DeskContext, incident: IncidentRecord) -> list[str]:
    """What other processes said to the reporter when `incident` was logged in this unit."""
    return list(ctx.cache.get("remarks", {}).get(incident.id, ()))


def claim_incident(ctx: DeskContext, actor: Actor, key: str) -> IncidentRecord:
    """An agent takes an incident for themselves and starts work on it."""
    require_agent(actor, "claim")
    incident = get_incident(ctx, key, for_update=True)
    _require_state(incident, "claim")
    if incident.assignee == actor.name and incident.state == "in_progress":
        raise InvalidTransition(f"You are already working on {incident.key}.")
    previous = incident.assignee
    incident.assignee = actor.name
    _follow_assignee(ctx, incident)
    incident.state = "in_progress"
    text = f"Claimed by {actor.name}" + (f" (was {previous})" if previous else "")
    record_event(ctx, incident, actor, "claimed", text)
    _first_response(ctx, incident)
    for hook in ON_CLAIM:
        hook(ctx, incident)
    announce_change(ctx, incident, f"claimed by @{actor.name}")
    if actor.name != incident.reporter:
        notify_person(
            ctx,
            incident.reporter,
            "incident_claimed",
            subject=incident,
            by=actor.name,
            started=True,
        )
    if previous and previous != actor.name:
        notify_person(ctx, previous, "incident_taken_over", subject=incident, by=actor.name)
    return incident


def assign_incident(ctx: DeskContext, actor: Actor, key: str, target: str) -> IncidentRecord:
    """Assign to a team (functional escalation) or to a person."""
    require_agent(actor, "assign")
    incident = get_incident(ctx, key, for_update=True)
    _require_state(incident, "assign")
    name = target.strip().lstrip("@").lower()
    team = ctx.policy.teams.get(name)
    if team is not None:
        if incident.assignment_group == team.name and incident.assignee is None:
            raise InvalidTransition(f"{incident.key} is already with {team.name}.")
        from_group, calendar = incident.assignment_group, sla.calendar_of(ctx, incident)
        incident.assignment_group, incident.assignee, incident.state = team.name, None, "new"
        if sla.calendar_of(ctx, incident) != calendar:  # a team's business hours apply
            sla.retarget(ctx, incident)
        record_event(ctx, incident, actor, "assigned", f"Assigned to team {team.name}")
        measures.sent_to_team(incident)
        if from_group == team.name:  # taken off a person, back in the same queue: no escalation
            announce_change(ctx, incident, f"back in team {team.name}'s queue, by @{actor.name}")
            return incident
        announce_change(ctx, incident, f"assigned to team {team.name} by @{actor.name}")
        tell_new_team(ctx, incident, actor, from_group)
        return incident
    person = get_person(ctx, name)
    if not person.role_set & {"agent", "admin"}:
        raise InvalidInput(
            f"{person.name} is not an agent, so incidents cannot be assigned to them."
        )
    if incident.assignee == person.name:
        raise InvalidTransition(f"{incident.key} is already assigned to {person.name}.")
    incident.assignee = person.name
    _follow_assignee(ctx, incident)
    incident.state = "assigned"
    record_event(ctx, incident, actor, "assigned", f"Assigned to {person.name}")
    _first_response(ctx, incident)
    announce_change(ctx, incident, f"assigned to @{person.name} by @{actor.name}")
    if person.name != actor.name:
        notify_person(ctx, person.name, "incident_assigned", subject=incident, by=actor.name)
    if incident.reporter not in (actor.name, person.name):
        # Assigned, not yet started: "has been assigned", not "is working on".
        notify_person(
            ctx,
            incident.reporter,
            "incident_claimed",
            subject=incident,
            by=person.name,
            started=False,
        )
    return incident


def add_note(ctx: DeskContext, actor: Actor, key: str, text: str) -> IncidentRecord:
    """Comment on an incident; the reporter and the assignee hear about it."""
    incident = get_incident(ctx, key, for_update=True)
    require_can_see(actor, incident)
    text = check_text(text, "A note")
    if not text:
        raise InvalidInput("A note needs some text.")
    if not INCIDENT.action("note").allowed_in(incident.state):
        raise InvalidTransition(f"{incident.key} is {incident.state}; open a new incident instead.")
    record_event(ctx, incident, actor, "note", text)
    if actor.is_agent and actor.name != incident.reporter:
        _first_response(ctx, incident)
    for person in {incident.reporter, incident.assignee} - {actor.name, None}:
        notify_person(ctx, person, "incident_note", subject=incident, by=actor.name, note=text)
    return incident


def hold_incident(ctx: DeskContext, actor: Actor, key: str, reason: str) -> IncidentRecord:
    """Put an incident on hold (waiting for the user or a supplier); SLA clocks pause."""
    require_agent(actor, "hold")
    reason = check_text(reason, "The reason")
    if not reason:
        raise InvalidInput(
            'Say why the incident is on hold: /incident hold INC-42 "waiting for the user".'
        )
    incident = get_incident(ctx, key, for_update=True)
    _require_state(incident, "hold")
    incident.state, incident.hold_reason = "on_hold", reason
    sla.pause(ctx, incident)
    record_event(ctx, incident, actor, "held", reason)
    announce_change(ctx, incident, f"on hold by @{actor.name}: {reason}")
    notify_person(
        ctx, incident.reporter, "incident_held", subject=incident, by=actor.name, reason=reason
    )
    return incident


def resume_incident(ctx: DeskContext, actor: Actor, key: str) -> IncidentRecord:
    """Take an incident off hold; SLA clocks run again from where they stopped."""
    require_agent(actor, "resume")
    incident = get_incident(ctx, key, for_update=True)
    _require_state(incident, "resume")
    incident.state, incident.hold_reason = "in_progress", None
    sla.resume(ctx, incident)
    record_event(ctx, incident, actor, "resumed", "Work resumed")
    announce_change(ctx, incident, f"resumed by @{actor.name}")
    notify_person(ctx, incident.reporter, "incident_resumed", subject=incident, by=actor.name)
    return incident


def resolve_incident(
    ctx: DeskContext, actor: Actor, key: str, resolution: str, *, authorised: bool = False
) -> IncidentRecord:
    """Record the fix; the reporter confirms (close) or it closes by itself later.

    `authorised`: the caller has checked the person may (a major incident's commander).
    """
    if not authorised:
        require_agent(actor, "resolve")
    resolution = check_text(resolution, "The resolution")
    if not resolution:
        raise InvalidInput(
            'Say how it was fixed: /incident resolve INC-42 "restarted the VPN concentrator".'
        )
    incident = get_incident(ctx, key, for_update=True)
    _require_state(incident, "resolve")
    if incident.state == "on_hold":
        sla.resume(ctx, incident)
    now = ctx.clock.now()
    if actor.name != SYSTEM.name:  # resolved by itself (its alerts): nobody to assign
        incident.assignee = incident.assignee or actor.name
    incident.state, incident.resolution, incident.resolved_at = "resolved", resolution, now
    incident.hold_reason = None
    measures.resolved(incident)
    _first_response(ctx, incident)
    sla.pause(ctx, incident)
    timers.schedule(ctx, incident, "auto_close", now + ctx.policy.auto_close_after)
    record_event(ctx, incident, actor, "resolved", resolution)
    announce_change(ctx, incident, f"resolved by @{actor.name}: {resolution}")
    notify_person(
        ctx,
        incident.reporter,
        "incident_resolved",
        subject=incident,
        by=actor.name,
        resolution=resolution,
    )
    for hook in ON_RESOLVE:
        hook(ctx, actor, incident)
    return incident


def acknowledge_incident(
    ctx: DeskContext, actor: Actor, incident: IncidentRecord, how: str
) -> bool:
    """Someone is on it (an event acknowledged at its source, a page answered): the first
    response, recorded once. False when the incident was acknowledged already."""
    if incident.first_response_at is not None or incident.state not in OPEN_STATES:
        return False
    _first_response(ctx, incident)
    record_event(ctx, incident, actor, "acknowledged", f"Acknowledged {how}")
    announce_change(ctx, incident, f"acknowledged {how}")
    return True


def close_incident(ctx: DeskContext, actor: Actor, key: str) -> IncidentRecord:
    """The reporter (or an agent) confirms the fix and closes the incident."""
    incident = get_incident(ctx, key, for_update=True)
    INCIDENT.require_permission("close", actor, incident)
    _require_state(incident, "close")
    _close(ctx, incident, actor, "Closed")
    return incident


def reopen_incident(ctx: DeskContext, actor: Actor, key: str, reason: str = "") -> IncidentRecord:
    """The fix did not hold: back to work, SLA clocks running again."""
    incident = get_incident(ctx, key, for_update=True)
    INCIDENT.require_permission("reopen", actor, incident)
    reason = check_text(reason, "The reason")
    if incident.state == "closed":
        raise InvalidTransition(
            f"{incident.key} is closed; open a new incident and mention {incident.key}."
        )
    _require_state(incident, "reopen")
    incident.state = "in_progress" if incident.assignee else "new"
    incident.resolved_at = incident.resolution = None
    measures.reopened(incident)
    timers.cancel(ctx, incident, ("auto_close",))
    sla.resume(ctx, incident)
    record_event(ctx, incident, actor, "reopened", reason.strip() or "Reopened")
    announce_change(
        ctx,
        incident,
        f"reopened by @{actor.name}" + (f": {reason.strip()}" if reason.strip() else ""),
    )
    if incident.assignee and incident.assignee != actor.name:
        notify_person(
            ctx,
            incident.assignee,
            "incident_reopened",
            subject=incident,
            by=actor.name,
            reason=reason.strip(),
        )
    elif not incident.assignee:
        notify_channel(
            ctx,
            ctx.policy.team_channel(incident.assignment_group),
            "incident_reopened",
            subject=incident,
            by=actor.name,
            reason=reason.strip(),
        )
    for hook in ON_REOPEN:
        hook(ctx, actor, incident)
    return incident


def cancel_incident(ctx: DeskContext, actor: Actor, key: str, reason: str = "") -> IncidentRecord:
    """Withdraw an incident logged by mistake or no longer needed."""
    incident = get_incident(ctx, key, for_update=True)
    INCIDENT.require_permission("cancel", actor, incident)
    reason = check_text(reason, "The reason")
    _require_state(incident, "cancel")
    incident.state, incident.closed_at = "cancelled", ctx.clock.now()
    sla.cancel_sla(ctx, incident)
    record_event(ctx, incident, actor, "cancelled", reason.strip() or "Cancelled")
    announce_change(ctx, incident, f"cancelled by @{actor.name}")
    if incident.assignee and incident.assignee != actor.name:
        notify_person(ctx, incident.assignee, "incident_cancelled", subject=incident, by=actor.name)
    for hook in ON_CANCEL:
        hook(ctx, actor, incident)
    return incident


def close_as_fixed(
    ctx: DeskContext, actor: Actor, incident: IncidentRecord, resolution: str, said: str
) -> IncidentRecord:
    """The reporter says a fix they were given (a known error's workaround) worked: resolved
    and closed at once, on their word; `said` is the timeline's account of it."""
    INCIDENT.require_permission("fixed", actor, incident)
    _require_state(incident, "fixed")
    if incident.state == "on_hold":
        sla.resume(ctx, incident)
    now = ctx.clock.now()
    incident.resolution, incident.resolved_at, incident.hold_reason = resolution, now, None
    incident.state, incident.closed_at = "closed", now
    measures.resolved(incident)
    sla.cancel_sla(ctx, incident)
    timers.cancel(ctx, incident, ("auto_close",))
    record_event(ctx, incident, actor, "closed", said)
    announce_change(ctx, incident, f"closed by @{actor.name}: {said}")
    for hook in ON_CLOSE:
        hook(ctx, incident)
    return incident


def auto_close(ctx: DeskContext, actor: Actor, incident: IncidentRecord) -> None:
    """Close a resolved incident nobody confirmed within the auto-close period."""
    if incident.state == "resolved":
        _close(ctx, incident, actor, "Closed automatically: no reply after resolution")


def tell_new_team(
    ctx: DeskContext, incident: IncidentRecord, actor: Actor, from_group: str | None
) -> None:
    """Functional escalation: the incident's new team hears in its channel, and its lead."""
    team = ctx.policy.teams.get(incident.assignment_group or "")
    if team is None:
        return
    context = {"by": actor.name, "from_group": from_group, "to_group": team.name}
    notify_channel(ctx, team.channel, "incident_escalated", subject=incident, **context)
    notify_person(ctx, team.lead, "incident_escalated", subject=incident, **context)


def require_can_see(actor: Actor, incident: IncidentRecord) -> None:
    """Employees see their own incidents; agents and admins see all."""
    if not actor.is_agent and actor.name != incident.reporter:
        raise PermissionDenied(
            f"You can only see incidents you reported; {incident.key} is not one of them."
        )


def _close(ctx, incident, actor, text) -> None:
    incident.state, incident.closed_at = "closed", ctx.clock.now()
    timers.cancel(ctx, incident, ("auto_close",))
    record_event(ctx, incident, actor, "closed", text)
    announce_change(ctx, incident, f"closed by @{actor.name}")
    if actor.name != incident.reporter:
        notify_person(ctx, incident.reporter, "incident_closed", subject=incident, by=actor.name)
    for hook in ON_CLOSE:
        hook(ctx, incident)


def _follow_assignee(ctx: DeskContext, incident: IncidentRecord) -> None:
    """The queue follows the assignee: to their first team unless they are in it already."""
    teams = ctx.policy.teams_of(incident.assignee or "")
    if teams and incident.assignment_group not in {t.name for t in teams}:
        calendar = sla.calendar_of(ctx, incident)
        incident.assignment_group = teams[0].name
        if sla.calendar_of(ctx, incident) != calendar:  # a team's business hours apply
            sla.retarget(ctx, incident)


def _first_response(ctx: DeskContext, incident: IncidentRecord) -> None:
    # Call after the incident's other changes: cancelling timers flushes the session,
    # and one flush writes the incident in one UPDATE.
    if incident.first_response_at is None:
        incident.first_response_at = ctx.clock.now()
        measures.responded(incident)
        sla.cancel_sla(ctx, incident, "respond")
        for hook in ON_FIRST_RESPONSE:
            hook(ctx, incident)


def record_event(
    ctx: DeskContext, incident: IncidentRecord, actor: Actor, kind: str, text: str
) -> None:
    """Add an entry to the incident's timeline and mark it updated."""
    now = ctx.clock.now()
    incident.updated_at = now
    ctx.record(
        TimelineEntry, incident_id=incident.id, at=now, actor=actor.name, kind=kind, text=text
    )


def announce_change(ctx: DeskContext, incident: IncidentRecord, change: str) -> None:
    """Tell the triage channel, where the incident's card lives, what changed."""
    notify_channel(
        ctx,
        ctx.policy.triage_channel,
        "incident_updated",
        subject=incident,
        updates_ref=CARD,
        change=change,
    )


def require_agent(actor: Actor, action: str) -> None:
    """Refuse an agents-only action to anyone else (the wording is the action's own)."""
    INCIDENT.require_permission(action, actor)


def _require_state(incident: IncidentRecord, action: str) -> None:
    INCIDENT.require_state(action, incident.state, incident.key)
