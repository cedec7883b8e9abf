"""Event management: monitoring events in, de-duplicated, correlated into incidents that
open and resolve on their own, kept quiet while flapping or in maintenance; heartbeats.

Signals arrive through the inbox (`inbox.put`, or the HTTP adapter's writer) and are
processed in batches (`process_inbox`). Importing the package registers the process with
the kernel and adds the alert counts to incident cards (`incidents.snapshot.PARTS`).
"""

from sqlalchemy import update

from domain import notifications, people, timers
from domain.context import DeskContext
from domain.events import settling, timer_handlers  # noqa: F401  (timers registered)
from domain.events.heartbeats import start_watching
from domain.events.lifecycle import (
    acknowledge,
    end_maintenance,
    end_silence,
    find_event,
    silence,
    start_maintenance,
)
from domain.events.processing import process, process_inbox, process_many
from domain.events.queries import EventList, Quiet, list_events, quiet_now, show_event
from domain.events.records import EventRecord, EventSilence, MaintenanceWindow
from domain.events.signals import Signal
from domain.events.snapshot import event_data, incident_part, preload_groups
from domain.events.states import EVENT, KINDS
from domain.incidents import lifecycle as incident_lifecycle
from domain.incidents import snapshot as incident_snapshot


def rename_person(ctx: DeskContext, old: str, new: str) -> None:
    """Acknowledgements, silences and maintenance windows follow a person's new name."""
    for model, column in (
        (EventRecord, EventRecord.acknowledged_by),
        (EventSilence, EventSilence.by),
        (EventSilence, EventSilence.ended_by),
        (MaintenanceWindow, MaintenanceWindow.by),
        (MaintenanceWindow, MaintenanceWindow.ended_by),
    ):
        ctx.session.execute(
            update(model)
            .where(column == old)
            .values({column.key: new})
            .execution_options(synchronize_session=False)
        )


notifications.register_kinds("events", KINDS)
notifications.register_subject(notifications.SubjectType("event", EVENT, event_data, "EVT"))
incident_lifecycle.ON_OPEN.append(settling.link_opening)
incident_snapshot.PARTS.append(incident_part)
incident_snapshot.PRELOADS.append(preload_groups)
timers.ON_START.append(start_watching)
people.RENAMERS.append(rename_person)

__all__ = [
    "EVENT",
    "EventList",
    "Quiet",
    "Signal",
    "acknowledge",
    "end_maintenance",
    "end_silence",
    "find_event",
    "list_events",
    "process",
    "process_inbox",
    "process_many",
    "quiet_now",
    "show_event",
    "silence",
    "start_maintenance",
]
