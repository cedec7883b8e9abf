"""Re-categorising and re-prioritising an incident as more becomes known."""

from __future__ import annotations

from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, InvalidTransition
from domain.incidents import sla
from domain.incidents.fields import check_level, clean_title, find_service
from domain.incidents.lifecycle import (
    OPEN_STATES,
    announce_change,
    get_incident,
    record_event,
    require_agent,
    tell_new_team,
)
from domain.incidents.records import IncidentRecord
from domain.notifications import notify_person
from domain.text import check_text


def update_incident(
    ctx: DeskContext,
    actor: Actor,
    key: str,
    *,
    title: str | None = None,
    description: str | None = None,
    service: str | None = None,
    category: str | None = None,
    impact: str | None = None,
    urgency: str | None = None,
) -> IncidentRecord:
    """An agent corrects the title, service, category, impact or urgency.

    A new priority re-targets the SLA clocks (time already spent still counts), as does a
    new service or queue that changes the business-hours calendar they count in; a new
    service moves an incident nobody has taken to the service owner's queue.
    """
    require_agent(actor, "update")
    incident = get_incident(ctx, key, for_update=True)
    if incident.state not in OPEN_STATES:
        raise InvalidTransition(
            f"{incident.key} is {incident.state}; only open incidents can change."
        )
    changes: list[str] = []
    old_calendar = sla.calendar_of(ctx, incident)

    def change(field: str, label: str, value) -> None:
        old = getattr(incident, field)
        if value is not None and value != old:
            setattr(incident, field, value)
            changes.append(f"{label} {old or '—'} → {value}")

    if title is not None:
        change("title", "title", clean_title(title))
    if description is not None:
        change("description", "description", check_text(description, "The description"))
    from_group = incident.assignment_group
    if service is not None:
        found = find_service(ctx, service, category)
        change("service", "service", found.name)
        if category is None and incident.category not in (None, *found.categories):
            changes.append(f"category {incident.category} → —")  # not one of the new service's
            incident.category = None
        if incident.assignee is None:
            change("assignment_group", "queue", found.owner)
    if category is not None:
        if service is None:
            if incident.service is None:
                raise InvalidInput("Give the service too: --service NAME --category NAME.")
            find_service(ctx, incident.service, category)
        change("category", "category", category)
    change("impact", "impact", check_level(impact, "impact") if impact else None)
    change("urgency", "urgency", check_level(urgency, "urgency") if urgency else None)
    old_priority = incident.priority
    change("priority", "priority", ctx.policy.priority(incident.impact, incident.urgency))
    if not changes:
        raise InvalidInput(
            f"Nothing to change: give --title, --service, --category, --impact or --urgency for {incident.key}."
        )
    text = "; ".join(changes)
    record_event(ctx, incident, actor, "updated", text)
    if incident.priority != old_priority or sla.calendar_of(ctx, incident) != old_calendar:
        sla.retarget(ctx, incident)
    announce_change(ctx, incident, f"updated by @{actor.name}: {text}")
    if incident.assignment_group != from_group:
        tell_new_team(ctx, incident, actor, from_group)
    if incident.reporter != actor.name:
        notify_person(
            ctx,
            incident.reporter,
            "incident_changed",
            subject=incident,
            by=actor.name,
            changes=text,
        )
    return incident
