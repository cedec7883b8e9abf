"""Event management's timers: a heartbeat's deadline, a flapping group settling, a card
redrawn after a storm's interval."""

from __future__ import annotations

from domain import timers
from domain.context import DeskContext
from domain.events import heartbeats, inbox, settling
from domain.events.records import EventGroup, HeartbeatRecord
from domain.events.states import INCIDENT_OPEN


@timers.timer_handler("heartbeat_due")
def heartbeat_due(ctx: DeskContext, timer, row: HeartbeatRecord) -> None:
    """No check-in by the deadline: raise the heartbeat's silence as an event, through the
    inbox like any other (processing locks heartbeats after the events lock; a timer
    holding a heartbeat must not wait for that lock)."""
    for integration, signal in heartbeats.missed(ctx, row, ctx.clock.now()):
        inbox.put(ctx, integration.name, [signal])


@timers.timer_handler("event_group_settle")
def group_settle(ctx: DeskContext, timer, group: EventGroup) -> None:
    """A flapping group has been still for a whole window: say so, and resolve its
    incident if every event has resolved meanwhile."""
    if not group.flapping:
        return
    group.flapping, group.flap_changes, group.flap_since = False, 0, None
    incident = group.incident if group.incident_id is not None else None
    settling.tell_flapping(ctx, group, incident, "event_settled")
    if incident is not None and incident.state in INCIDENT_OPEN and group.firing == 0:
        settling.resolve_group_incident(ctx, group, incident)


@timers.timer_handler("event_card")
def card(ctx: DeskContext, timer, group: EventGroup) -> None:
    """The interval after the last redraw is up: redraw the card with the counts now."""
    incident = group.incident if group.incident_id is not None else None
    if incident is not None and incident.state in INCIDENT_OPEN:
        settling.redraw_card(ctx, incident)


timers.register_loader(
    "heartbeat", lambda ctx, ids: timers.lock_subjects(ctx, HeartbeatRecord, ids)
)
timers.register_loader("event_group", lambda ctx, ids: timers.lock_subjects(ctx, EventGroup, ids))
