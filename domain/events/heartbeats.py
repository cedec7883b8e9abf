"""Heartbeats: batch jobs and backups check in; one that stays silent raises an exception
event for its owning team, and checking in again resolves it.

Each configured heartbeat is a row with one pending timer at its deadline (the last
check-in plus `every` and `grace`); a check-in moves the timer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from domain import timers
from domain.context import DeskContext
from domain.event_settings import Heartbeat, Integration
from domain.events.records import HeartbeatRecord
from domain.events.signals import Signal

PREFIX = "heartbeat:"  # the event key of a heartbeat's silence


def event_key(name: str) -> str:
    """The key of the event a silent heartbeat raises."""
    return PREFIX + name


def check_in(
    ctx: DeskContext, integration: Integration, name: str, now: datetime
) -> list[tuple[Integration, Signal]]:
    """Record a check-in; the signal resolving its silence if it was missed."""
    beat = ctx.policy.events.heartbeats.get(name)
    if beat is None or beat.integration != integration.name:
        return []  # removed from the config since it was accepted
    row = _row(ctx, beat, now)
    missed = row.state == "missed"
    row.state, row.last_seen, row.missed_at = "ok", now, None
    _due(ctx, row, now + beat.every + beat.grace)
    if not missed:
        return []
    return [(integration, Signal("heartbeat", event_key(name), "resolve"))]


def missed(
    ctx: DeskContext, row: HeartbeatRecord, now: datetime
) -> list[tuple[Integration, Signal]]:
    """The deadline passed without a check-in: the signal that raises its silence."""
    beat = ctx.policy.events.heartbeats.get(row.name)
    if beat is None or row.state == "missed" or row.due_at > now:
        return []  # removed, raised already, or checked in since the timer was written
    integration = ctx.policy.events.integrations.get(beat.integration)
    if integration is None or integration.token is None:
        return []  # its token was removed since: it cannot check in
    row.state, row.missed_at = "missed", now
    since = row.last_seen.strftime("%Y-%m-%d %H:%M UTC") if row.last_seen else "deskbot started"
    summary = beat.summary or f"No heartbeat from {beat.name} since {since}"
    signal = Signal(
        "heartbeat",
        event_key(beat.name),
        "trigger",
        summary=summary,
        severity="heartbeat",
        service=beat.service,
        labels={"heartbeat": beat.name},
    )
    return [(integration, signal)]


def start_watching(ctx: DeskContext) -> None:
    """At start: every configured heartbeat whose integration has a token has a row and a
    deadline (a new one gets a whole interval from now)."""
    now = ctx.clock.now()
    beats = ctx.policy.events.heartbeats
    if not beats:
        return
    known = set(ctx.session.scalars(select(HeartbeatRecord.name)))
    integrations = ctx.policy.events.integrations
    for beat in beats.values():
        integration = integrations.get(beat.integration)
        if integration is None or integration.token is None:
            continue  # it could never check in (no token): watching it would only cry wolf
        if beat.name not in known:
            row = _row(ctx, beat, now)
            _due(ctx, row, now + beat.every + beat.grace)


def _row(ctx: DeskContext, beat: Heartbeat, now: datetime) -> HeartbeatRecord:
    row = ctx.session.scalar(
        select(HeartbeatRecord).where(HeartbeatRecord.name == beat.name).with_for_update()
    )
    if row is None:
        row = HeartbeatRecord(name=beat.name, state="waiting", due_at=now)
        ctx.session.add(row)
        ctx.session.flush()
    return row


def _due(ctx: DeskContext, row: HeartbeatRecord, due_at: datetime) -> None:
    row.due_at = due_at
    timers.cancel(ctx, row, ("heartbeat_due",))
    timers.schedule(ctx, row, "heartbeat_due", due_at)
