"""Incident management: log, categorise, prioritise, assign, work, resolve, close.

Importing the package registers the process with the kernel: its notification kinds, how
its incidents appear in notifications, and the handlers of its timers.
"""

from domain import notifications, people, timers
from domain.incidents import timer_handlers
from domain.incidents.fields import parse_key
from domain.incidents.lifecycle import (
    OPEN_STATES,
    STATE_LABELS,
    add_note,
    assign_incident,
    auto_close,
    cancel_incident,
    claim_incident,
    close_as_fixed,
    close_incident,
    get_incident,
    hold_incident,
    open_incident,
    record_event,
    remarks,
    reopen_incident,
    require_agent,
    require_can_see,
    resolve_incident,
    resume_incident,
)
from domain.incidents.queries import IncidentDetail, IncidentQueue, list_incidents, show_incident
from domain.incidents.records import IncidentRecord, TimelineEntry
from domain.incidents.renames import rename_person
from domain.incidents.snapshot import incident_data
from domain.incidents.states import INCIDENT, KINDS
from domain.incidents.triage import update_incident

PROCESS = "incident"

notifications.register_kinds(PROCESS, KINDS)
notifications.register_subject(
    notifications.SubjectType(INCIDENT.subject_type, INCIDENT, incident_data, "INC")
)
timers.register_loader(INCIDENT.subject_type, timer_handlers.load_incidents)
people.RENAMERS.append(rename_person)

__all__ = [
    "INCIDENT",
    "OPEN_STATES",
    "STATE_LABELS",
    "IncidentDetail",
    "IncidentQueue",
    "IncidentRecord",
    "TimelineEntry",
    "add_note",
    "assign_incident",
    "auto_close",
    "cancel_incident",
    "claim_incident",
    "close_as_fixed",
    "close_incident",
    "get_incident",
    "hold_incident",
    "list_incidents",
    "open_incident",
    "parse_key",
    "record_event",
    "remarks",
    "reopen_incident",
    "require_agent",
    "require_can_see",
    "resolve_incident",
    "resume_incident",
    "show_incident",
    "update_incident",
]
