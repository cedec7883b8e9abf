"""The measures an incident keeps of itself as it goes, for reports (docs/metrics.md).

Each is written where the thing it measures happens, so a report adds up stored numbers
instead of reading instants and timelines. Migration 0016 derives the same values for
incidents older than these columns; tests/metrics/test_measures.py holds the two together.
"""

from __future__ import annotations

from datetime import datetime

from domain.incidents.records import IncidentRecord


def _seconds(start: datetime, end: datetime) -> float:
    """Elapsed seconds, to the millisecond (what the report shows)."""
    return round((end - start).total_seconds(), 3)


def responded(incident: IncidentRecord) -> None:
    """The first response was just recorded: time to acknowledge."""
    if incident.first_response_at is not None:
        incident.response_seconds = _seconds(incident.opened_at, incident.first_response_at)


def resolved(incident: IncidentRecord) -> None:
    """Resolved (or closed as fixed) just now: time to resolve, opening to this resolution
    less the time paused so far. Call after any resume, which adds to the paused time;
    later pauses start at the resolution and end only with a reopen, which clears this."""
    if incident.resolved_at is not None:
        incident.resolution_seconds = round(
            _seconds(incident.opened_at, incident.resolved_at) - (incident.paused_seconds or 0), 3
        )


def reopened(incident: IncidentRecord) -> None:
    """Reopened: one more reopen, and no resolution until the next one."""
    incident.reopen_count = (incident.reopen_count or 0) + 1
    incident.resolution_seconds = None


def sent_to_team(incident: IncidentRecord) -> None:
    """Assigned to a team (an "Assigned to team …" timeline entry): a functional
    escalation, even back to the queue it was in."""
    incident.team_changes = (incident.team_changes or 0) + 1
