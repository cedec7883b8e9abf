"""The incident as templates see it: plain data, frozen at the moment of a notification."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from domain.incidents.records import IncidentRecord

# What other processes add to an incident's snapshot (problems: the problem it belongs to),
# and how each loads what it reads for many incidents at once (a batch of timers snapshots
# thousands: one query for all of them, not one each).
PARTS: list[Callable[[IncidentRecord], dict[str, Any]]] = []
PRELOADS: list[Callable[[Session, list[IncidentRecord]], None]] = []


def preload(session: Session, incidents: list[IncidentRecord]) -> None:
    """Load what every part of these incidents' snapshots reads, in one query per part."""
    if incidents:
        for load in PRELOADS:
            load(session, incidents)


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
