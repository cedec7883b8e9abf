"""The incident as templates see it: plain data, frozen at the moment of a notification."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.incidents.records import IncidentRecord

# What other processes add to an incident's snapshot (problems: the problem it belongs to).
PARTS: list[Callable[[IncidentRecord], dict[str, Any]]] = []


def incident_data(incident: IncidentRecord) -> dict[str, Any]:
    """The incident's fields (the kernel adds the actions its state allows)."""
    data = {
        "number": incident.id,
        "key": incident.key,
        "title": incident.title,
        "description": incident.description,
        "reporter": incident.reporter,
        "service": incident.service,
        "category": incident.category,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "priority": incident.priority,
        "group": incident.assignment_group,
        "assignee": incident.assignee,
        "state": incident.state,
        "hold_reason": incident.hold_reason,
        "resolution": incident.resolution,
        "breached": incident.breached,
        "opened_at": incident.opened_at.isoformat(),
    }
    for part in PARTS:
        data.update(part(incident))
    return data
