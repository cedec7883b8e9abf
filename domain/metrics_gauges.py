"""What an operator's monitoring reads off the database at each scrape: open incidents and
their SLA breaches, the outbox backlog, failed deliveries, timer lag, events ingested.

Plain grouped queries, a handful per scrape, each served by an index or a small table, so
a scrape costs milliseconds however much history the desk keeps. Nothing here knows about
Prometheus: `adapters/web/prometheus.py` turns these values into metric families.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, case, func, select, text

from domain.context import DeskContext
from domain.events.records import EventInbox, EventRecord
from domain.incidents.lifecycle import OPEN_STATES
from domain.incidents.records import IncidentRecord
from domain.records import OUTBOX_ACTIVE, OutboxMessage, Timer

NO_TEAM = "none"  # the team label of incidents with no assignment group
OUTBOX_FAILED = "status = 'failed'"


@dataclass(frozen=True)
class OpenIncidents:
    """Open incidents of one priority and team, and how many of them breached an SLA."""

    priority: str
    team: str
    count: int
    respond_breached: int
    resolve_breached: int


@dataclass(frozen=True)
class OutboxPlatform:
    """One platform's deliveries: waiting (pending or being sent), and failed for good."""

    platform: str
    pending: int
    oldest_pending_age_s: float  # 0 when nothing waits
    failed: int


@dataclass(frozen=True)
class EventsIngested:
    """Events one integration's source reported: distinct events, and signals with repeats."""

    integration: str
    source: str
    events: int
    signals: int


@dataclass(frozen=True)
class Gauges:
    """Everything a scrape reports from the database, read in one unit of work."""

    incidents: tuple[OpenIncidents, ...]
    outbox: tuple[OutboxPlatform, ...]
    timers_overdue: int
    timer_lag_s: float  # how long the oldest overdue timer has been due; 0 when none is
    events: tuple[EventsIngested, ...]
    event_inbox: int  # signals accepted over HTTP and not processed yet


def read_gauges(ctx: DeskContext) -> Gauges:
    """The desk's gauges now; `ctx.platforms` always appear in the outbox's, even at zero."""
    now = ctx.clock.now()
    return Gauges(
        incidents=_open_incidents(ctx),
        outbox=_outbox(ctx, now),
        **_timers(ctx, now),
        events=_events(ctx),
        event_inbox=ctx.session.scalar(select(func.count()).select_from(EventInbox)) or 0,
    )


def _flag_count(column) -> object:
    # SUM over a boolean: PostgreSQL cannot add booleans, so count the true ones as 1.
    return func.coalesce(func.sum(case((column, 1), else_=0)), 0).cast(Integer)


def _open_incidents(ctx: DeskContext) -> tuple[OpenIncidents, ...]:
    rows = ctx.session.execute(
        select(
            IncidentRecord.priority,
            IncidentRecord.assignment_group,
            func.count(),
            _flag_count(IncidentRecord.respond_breached),
            _flag_count(IncidentRecord.resolve_breached),
        )
        .where(IncidentRecord.state.in_(OPEN_STATES))
        .group_by(IncidentRecord.priority, IncidentRecord.assignment_group)
    ).all()
    found = [
        OpenIncidents(priority, team or NO_TEAM, count, int(respond), int(resolve))
        for priority, team, count, respond, resolve in rows
    ]
    return tuple(sorted(found, key=lambda row: (row.priority, row.team)))


def _outbox(ctx: DeskContext, now: datetime) -> tuple[OutboxPlatform, ...]:
    # The literal condition, as the partial index on active rows spells it: only then does
    # the query read that index (the backlog) instead of every message ever sent.
    waiting = {
        platform: (count, oldest)
        for platform, count, oldest in ctx.session.execute(
            select(OutboxMessage.platform, func.count(), func.min(OutboxMessage.created_at))
            .where(text(OUTBOX_ACTIVE))
            .group_by(OutboxMessage.platform)
        )
    }
    # Literal too, for a partial index on failed rows (`OUTBOX_FAILED`) to serve it; without
    # one this reads the whole outbox, sent history included.
    failed = dict(
        ctx.session.execute(
            select(OutboxMessage.platform, func.count())
            .where(text(OUTBOX_FAILED))
            .group_by(OutboxMessage.platform)
        ).all()
    )
    platforms = sorted(set(ctx.platforms) | set(waiting) | set(failed))
    found = []
    for platform in platforms:
        count, oldest = waiting.get(platform, (0, None))
        age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        found.append(OutboxPlatform(platform, count, age, failed.get(platform, 0)))
    return tuple(found)


def _timers(ctx: DeskContext, now: datetime) -> dict[str, float | int]:
    # (state, due_at) leads the timers' index: a range scan of the overdue ones only.
    count, oldest = ctx.session.execute(
        select(func.count(), func.min(Timer.due_at)).where(
            Timer.state == "pending", Timer.due_at <= now
        )
    ).one()
    lag = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return {"timers_overdue": count or 0, "timer_lag_s": lag}


def _events(ctx: DeskContext) -> tuple[EventsIngested, ...]:
    rows = ctx.session.execute(
        select(
            EventRecord.integration,
            EventRecord.source,
            func.count(),
            func.coalesce(func.sum(EventRecord.count), 0),
        )
        .group_by(EventRecord.integration, EventRecord.source)
        .order_by(EventRecord.integration, EventRecord.source)
    ).all()
    return tuple(EventsIngested(i, s, events, int(signals)) for i, s, events, signals in rows)
