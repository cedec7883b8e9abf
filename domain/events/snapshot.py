"""Events and groups as templates see them; what an incident's card says of its alerts."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from domain.events.records import EventGroup, EventRecord
from domain.events.states import EVENT
from domain.incidents.records import IncidentRecord


def event_data(event: EventRecord) -> dict[str, Any]:
    """One event's fields (the kernel adds the actions its state allows)."""
    return {
        "number": event.id,
        "key": event.key,
        "source": event.source,
        "integration": event.integration,
        "dedup_key": event.dedup_key,
        "state": event.state,
        "state_label": EVENT.labels.get(event.state, event.state),
        "classification": event.classification,
        "severity": event.severity,
        "summary": event.summary,
        "service": event.service,
        "team": event.team,
        "labels": json.loads(event.labels or "{}"),
        "url": event.url,
        "suppressed": event.suppressed,
        "count": event.count,
        "first_seen": event.first_seen.strftime("%Y-%m-%d %H:%M UTC"),
        "last_seen": event.last_seen.strftime("%Y-%m-%d %H:%M UTC"),
        "incident": f"INC-{event.incident_id}" if event.incident_id else None,
        "acknowledged_by": event.acknowledged_by,
    }


def incident_part(incident: IncidentRecord) -> dict[str, Any]:
    """What an incident's card says of the alerts it stands for (nothing if none)."""
    group = incident.event_group
    if group is None:
        return {"alerts": None}
    return {
        "alerts": {
            "firing": group.firing,
            "events": group.events,
            "received": group.received,
            "flapping": group.flapping,
            "source": group.integration,
        }
    }


def preload_groups(session: Session, incidents: list[IncidentRecord]) -> None:
    """Load the groups of many incidents in one query (None where there is none)."""
    found = {
        group.incident_id: group
        for group in session.scalars(
            select(EventGroup).where(EventGroup.incident_id.in_([i.id for i in incidents]))
        )
    }
    for incident in incidents:
        set_committed_value(incident, "event_group", found.get(incident.id))
