"""What people do with events in chat: acknowledge, silence a key, put a service in
maintenance. Agents only: events are operations' business."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain import keys
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.events.lock import hold_events
from domain.events.records import EventRecord, EventSilence, MaintenanceWindow
from domain.events.states import EVENT, INCIDENT_OPEN, LIVE
from domain.incidents import lifecycle as incidents
from domain.incidents.fields import find_service
from domain.incidents.records import IncidentRecord
from domain.text import check_text

LONGEST = timedelta(days=30)  # a silence or window longer than this is forgotten, not meant


def require_agent(actor: Actor) -> None:
    """Events are for agents and admins."""
    if not actor.is_agent:
        raise PermissionDenied("Only agents can see and act on monitoring events.")


def find_event(ctx: DeskContext, key: str, *, for_update: bool = False) -> EventRecord:
    """An event by its key (EVT-7, 7), or the live event with this source key."""
    if key.upper().startswith("EVT-") or key.isdigit():
        return keys.load(ctx.session, EventRecord, key, "EVT", "event", for_update=for_update)
    query = select(EventRecord).where(
        EventRecord.dedup_key == key, EventRecord.state.in_(sorted(LIVE))
    )
    found = ctx.session.scalars(query.with_for_update() if for_update else query).all()
    if not found:
        raise NotFound(f"No live event has the key '{key[:80]}'. Try /event list.")
    if len(found) > 1:
        names = ", ".join(e.key for e in found[:5])
        raise InvalidInput(f"'{key[:80]}' names {len(found)} live events ({names}); give one.")
    return found[0]


def acknowledge(ctx: DeskContext, actor: Actor, key: str) -> EventRecord:
    """Someone is on it: the event, and its incident (claimed for them if nobody has it)."""
    hold_events(ctx)
    event = find_event(ctx, key, for_update=True)
    EVENT.require_permission("ack", actor, event)
    EVENT.require_state("ack", event.state, event.key)
    now = ctx.clock.now()
    event.state, event.acknowledged_at, event.acknowledged_by = "acknowledged", now, actor.name
    incident = (
        ctx.session.get(IncidentRecord, event.incident_id, with_for_update=True)
        if event.incident_id
        else None
    )
    if incident is not None and incident.state in INCIDENT_OPEN:
        if incident.state == "new" and not incident.assignee:
            incidents.claim_incident(ctx, actor, incident.key)
        else:
            incidents.acknowledge_incident(ctx, actor, incident, f"by @{actor.name} ({event.key})")
    return event


def silence(
    ctx: DeskContext, actor: Actor, key: str, duration: timedelta | None, reason: str = ""
) -> EventSilence:
    """Keep one event key quiet for a while: its new events are stored, never raised."""
    require_agent(actor)
    hold_events(ctx)
    duration = _duration(duration, "/event silence KEY --for 1h [REASON]")
    reason = check_text(reason, "The reason").strip()
    try:
        event = find_event(ctx, key, for_update=True)
    except NotFound:
        if key.upper().startswith("EVT-") or key.isdigit():
            raise
        event = None  # a key not firing now: silenced before it comes
    if event is not None:
        EVENT.require_permission("silence", actor, event)
        EVENT.require_state("silence", event.state, event.key)
        event.suppressed = "silenced"
    now = ctx.clock.now()
    found = EventSilence(
        integration=event.integration if event is not None else "*",
        dedup_key=event.dedup_key if event is not None else key[:255],
        reason=reason,
        by=actor.name,
        since=now,
        until=now + duration,
    )
    ctx.session.add(found)
    ctx.session.flush()
    return found


def end_silence(ctx: DeskContext, actor: Actor, key: str) -> int:
    """Lift the silences on a key (EVT-n or the source's key) now; how many were lifted."""
    require_agent(actor)
    hold_events(ctx)
    dedup = key
    if key.upper().startswith("EVT-") or key.isdigit():
        dedup = find_event(ctx, key).dedup_key
    now = ctx.clock.now()
    rows = ctx.session.scalars(
        select(EventSilence).where(
            EventSilence.dedup_key == dedup,
            EventSilence.until > now,
            EventSilence.ended_at.is_(None),
        )
    ).all()
    if not rows:
        raise NotFound(f"'{key[:80]}' is not silenced.")
    for row in rows:
        row.ended_at, row.ended_by = now, actor.name
    return len(rows)


def start_maintenance(
    ctx: DeskContext, actor: Actor, service: str, duration: timedelta | None, reason: str = ""
) -> MaintenanceWindow:
    """Put a service in maintenance from now: its events are stored, not raised."""
    require_agent(actor)
    found = find_service(ctx, service)
    duration = _duration(duration, "/event maintenance SERVICE --for 2h REASON")
    reason = check_text(reason, "The reason").strip()
    now = ctx.clock.now()
    window = MaintenanceWindow(
        service=found.name, reason=reason, by=actor.name, since=now, until=now + duration
    )
    ctx.session.add(window)
    ctx.session.flush()
    return window


def end_maintenance(ctx: DeskContext, actor: Actor, service: str) -> int:
    """End a service's maintenance windows from chat now; how many were ended."""
    require_agent(actor)
    found = find_service(ctx, service)
    now = ctx.clock.now()
    rows = ctx.session.scalars(
        select(MaintenanceWindow).where(
            MaintenanceWindow.service == found.name,
            MaintenanceWindow.until > now,
            MaintenanceWindow.ended_at.is_(None),
        )
    ).all()
    if not rows:
        raise NotFound(f"{found.name} has no maintenance window from chat running now.")
    for row in rows:
        row.ended_at, row.ended_by = now, actor.name
    return len(rows)


def _duration(duration: timedelta | None, usage: str) -> timedelta:
    if duration is None:
        raise InvalidInput(f"Say for how long: {usage}")
    if duration <= timedelta(0):
        raise InvalidInput("The duration must be more than nothing: --for 30m, 2h, 1d.")
    if duration > LONGEST:
        raise InvalidInput("At most 30 days; silence or schedule it again when that ends.")
    return duration
