"""Processing: signals from the inbox become events, groups and incidents.

A batch (many requests' signals) is applied in order, in memory, against the live events
and groups it names, loaded once; then each group it touched is settled (an incident
opened, attached, reopened or resolved; flapping noticed; the card refreshed), and the
events are written with one statement per kind of change. Events go through SQLAlchemy
Core (thousands a second); groups and incidents through the ORM (a few per batch).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from domain.context import DeskContext
from domain.event_settings import Integration
from domain.events import heartbeats, inbox, settling
from domain.events.classify import Reading, group_key, read
from domain.events.lock import hold_events
from domain.events.records import EventGroup, EventRecord
from domain.events.signals import SUMMARY_LENGTH, Signal
from domain.events.suppression import Suppressions

log = logging.getLogger(__name__)
CHUNK = 500  # keys per IN (…): well under every database's limit on parameters


@dataclass
class Live:
    """An event as a batch holds it while applying signals."""

    integration: str
    source: str
    key: str
    group: EventGroup
    state: str
    classification: str
    severity: str
    priority: str | None
    summary: str
    service: str | None
    team: str | None
    suppressed: str | None
    first_seen: datetime
    last_seen: datetime
    count: int = 1
    id: int | None = None  # None: new in this batch
    labels: str = "{}"
    details: str = "{}"
    url: str | None = None
    incident_id: int | None = None
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None


@dataclass
class Batch:
    """One batch of signals being applied: what it loaded and what it changed."""

    ctx: DeskContext
    now: datetime
    live: dict[tuple[str, str], Live] = field(default_factory=dict)
    groups: dict[tuple[str, str], EventGroup] = field(default_factory=dict)
    new: list[Live] = field(default_factory=list)
    changed: dict[int, Live] = field(default_factory=dict)
    touched: dict[int, settling.Touch] = field(default_factory=dict)
    suppressions: Suppressions | None = None

    def touch(self, group: EventGroup) -> settling.Touch:
        """What this batch did to `group` (made on first use)."""
        found = self.touched.get(id(group))
        if found is None:
            found = self.touched[id(group)] = settling.Touch(group)
        return found


def process_inbox(ctx: DeskContext, limit: int = 5000) -> int:
    """Process the oldest waiting requests (about `limit` signals); returns signals done."""
    hold_events(ctx)
    taken = inbox.take(ctx, limit)
    process_many(ctx, taken)
    return sum(len(signals) for _, signals in taken)


def process(ctx: DeskContext, integration: str, signals: list[Signal]) -> None:
    """Apply one request's signals (see `process_many`)."""
    process_many(ctx, [(integration, signals)])


def process_many(ctx: DeskContext, requests: list[tuple[str, list[Signal]]]) -> int:
    """Apply the signals of many requests, in the order they arrived; returns how many."""
    hold_events(ctx)
    now = ctx.clock.now()
    work: list[tuple[Integration, Signal]] = []
    for name, signals in requests:
        integration = ctx.policy.events.integrations.get(name)
        if integration is None:  # removed from the config since it was accepted
            log.warning("events: %d signals of unknown integration %r dropped", len(signals), name)
            continue
        for signal in signals:
            if signal.source == "heartbeat" and signal.action == "checkin":
                work += heartbeats.check_in(ctx, integration, signal.key, now)
            else:
                work.append((integration, signal))
    if work:
        apply(ctx, work, now)
    return len(work)


def apply(ctx: DeskContext, work: list[tuple[Integration, Signal]], now: datetime) -> None:
    """Apply signals already read from their requests (heartbeats raise theirs here too)."""
    batch = Batch(ctx, now)
    _load(batch, work)
    readings: dict[tuple[str, str], Reading] = {}
    for integration, signal in work:
        _apply(batch, integration, signal, readings)
    settling.settle(ctx, now, list(batch.touched.values()))
    _write(batch)


def _load(batch: Batch, work: list[tuple[Integration, Signal]]) -> None:
    """The live events and the groups this batch names, one query per chunk of keys."""
    ctx = batch.ctx
    by_integration: dict[str, set[str]] = {}
    for integration, signal in work:
        by_integration.setdefault(integration.name, set()).add(signal.key)
    rows = []
    table = EventRecord.__table__
    for name, keys in by_integration.items():
        ordered = sorted(keys)
        for start in range(0, len(ordered), CHUNK):
            rows += ctx.session.execute(
                select(table).where(
                    table.c.integration == name,
                    table.c.dedup_key.in_(ordered[start : start + CHUNK]),
                    table.c.state != "resolved",
                )
            ).all()
    group_ids = {row.group_id for row in rows}
    live = {(row.integration, row.dedup_key) for row in rows}
    # Groups of the events this batch may create (a repeat's group comes with its event).
    wanted = {
        (i.name, group_key(i, s))
        for i, s in work
        if s.action == "trigger" and (i.name, s.key) not in live
    }
    _load_groups(batch, group_ids, wanted)
    for row in rows:
        group = batch.groups[("#", str(row.group_id))]
        batch.live[(row.integration, row.dedup_key)] = Live(
            integration=row.integration,
            source=row.source,
            key=row.dedup_key,
            group=group,
            state=row.state,
            classification=row.classification,
            severity=row.severity,
            priority=None,
            summary=row.summary,
            service=row.service,
            team=row.team,
            suppressed=row.suppressed,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            count=row.count,
            id=row.id,
            incident_id=row.incident_id,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
        )
    batch.suppressions = Suppressions(ctx, batch.now)


def _load_groups(batch: Batch, ids: set[int], wanted: set[tuple[str, str]]) -> None:
    """Groups by id (of live events) and by (integration, group key) (for new ones), locked."""
    ctx = batch.ctx
    found: list[EventGroup] = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        found += ctx.session.scalars(
            select(EventGroup)
            .where(EventGroup.id.in_(ordered[start : start + CHUNK]))
            .with_for_update()
        )
    by_integration: dict[str, list[str]] = {}
    for name, key in wanted:
        by_integration.setdefault(name, []).append(key)
    for name, keys in by_integration.items():
        keys.sort()
        for start in range(0, len(keys), CHUNK):
            found += ctx.session.scalars(
                select(EventGroup)
                .where(
                    EventGroup.integration == name,
                    EventGroup.group_key.in_(keys[start : start + CHUNK]),
                )
                .with_for_update()
            )
    for group in found:
        batch.groups[("#", str(group.id))] = group
        batch.groups[(group.integration, group.group_key)] = group


def _apply(
    batch: Batch,
    integration: Integration,
    signal: Signal,
    readings: dict[tuple[str, str], Reading],
) -> None:
    now = batch.now
    event = batch.live.get((integration.name, signal.key))
    if signal.action == "trigger":
        if event is not None:  # a repeat: counted, never a new event
            event.count += 1
            event.last_seen = now
            if signal.summary:
                event.summary = signal.summary[:SUMMARY_LENGTH]
            _changed(batch, event)
            touch = batch.touch(event.group)
            touch.received += 1
            return
        reading = read(batch.ctx.policy, integration, signal)
        group = _group(batch, integration, signal, reading)
        suppressed = batch.suppressions.why(integration.name, signal.key, reading.service)
        event = Live(
            integration=integration.name,
            source=signal.source,
            key=signal.key,
            group=group,
            state="firing",
            classification=reading.classification,
            severity=(signal.severity or "")[:32],
            priority=reading.priority,
            summary=(signal.summary or signal.key)[:SUMMARY_LENGTH],
            service=reading.service,
            team=reading.team,
            suppressed=suppressed,
            first_seen=now,
            last_seen=now,
            labels=_json(signal.labels),
            details=_json(signal.details),
            url=(signal.url or None) and signal.url[:500],
        )
        batch.live[(integration.name, signal.key)] = event
        batch.new.append(event)
        touch = batch.touch(group)
        touch.received += 1
        touch.fired(event, now, batch.ctx.policy.events)
        return
    if event is None:
        return  # a resolve or acknowledgement of nothing live: PagerDuty ignores it too
    if signal.action == "acknowledge":
        if event.state == "firing":
            event.state = "acknowledged"
            event.acknowledged_at, event.acknowledged_by = now, integration.name
            _changed(batch, event)
            batch.touch(event.group).acknowledged.append(event)
        return
    if signal.action == "resolve":
        event.state, event.resolved_at, event.last_seen = "resolved", now, now
        _changed(batch, event)
        del batch.live[(integration.name, signal.key)]
        batch.touch(event.group).resolved(event, now, batch.ctx.policy.events)


def _group(batch: Batch, integration: Integration, signal: Signal, reading: Reading):
    key = (integration.name, reading.group_key)
    group = batch.groups.get(key)
    if group is None:  # not prefetched (its key was live when the batch began)
        group = batch.ctx.session.scalar(
            select(EventGroup)
            .where(EventGroup.integration == key[0], EventGroup.group_key == key[1])
            .with_for_update()
        )
    if group is None:
        group = EventGroup(
            integration=integration.name,
            group_key=reading.group_key,
            title=(signal.summary or signal.key)[:200],
            service=reading.service,
            team=reading.team,
            state="quiet",
            firing=0,
            events=0,
            received=0,
            first_seen=batch.now,
            last_seen=batch.now,
            flapping=False,
            flap_changes=0,
        )
        batch.ctx.session.add(group)
    batch.groups[key] = group
    return group


def _changed(batch: Batch, event: Live) -> None:
    if event.id is not None:
        batch.changed[event.id] = event


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), default=str) if value else "{}"


def _write(batch: Batch) -> None:
    """Write the new and changed events: one INSERT and one UPDATE, each executemany."""
    session = batch.ctx.session
    session.flush()  # new groups and incidents get their ids
    table = EventRecord.__table__
    # Changed first: an event resolved in this batch must leave the live-key index before
    # its key's new event (triggered later in the same batch) is inserted.
    if batch.changed:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(
                state=bindparam("_state"),
                count=bindparam("_count"),
                summary=bindparam("_summary"),
                last_seen=bindparam("_last_seen"),
                resolved_at=bindparam("_resolved_at"),
                acknowledged_at=bindparam("_acknowledged_at"),
                acknowledged_by=bindparam("_acknowledged_by"),
            )
            .execution_options(synchronize_session=False),
            [
                {
                    "_id": e.id,
                    "_state": e.state,
                    "_count": e.count,
                    "_summary": e.summary,
                    "_last_seen": e.last_seen,
                    "_resolved_at": e.resolved_at,
                    "_acknowledged_at": e.acknowledged_at,
                    "_acknowledged_by": e.acknowledged_by,
                }
                for e in batch.changed.values()
            ],
        )
    if batch.new:
        session.execute(
            insert(table),
            [
                {
                    "integration": e.integration,
                    "source": e.source,
                    "dedup_key": e.key,
                    "group_id": e.group.id,
                    "incident_id": e.incident_id,
                    "state": e.state,
                    "classification": e.classification,
                    "severity": e.severity,
                    "summary": e.summary,
                    "service": e.service,
                    "team": e.team,
                    "labels": e.labels,
                    "details": e.details,
                    "url": e.url,
                    "suppressed": e.suppressed,
                    "count": e.count,
                    "first_seen": e.first_seen,
                    "last_seen": e.last_seen,
                    "resolved_at": e.resolved_at,
                    "acknowledged_at": e.acknowledged_at,
                    "acknowledged_by": e.acknowledged_by,
                }
                for e in batch.new
            ],
        )
