"""Show one event, list events, and what is in maintenance or silenced now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from domain.context import Actor, DeskContext
from domain.events.lifecycle import find_event, require_agent
from domain.events.records import EventRecord, EventSilence, MaintenanceWindow
from domain.events.states import LIVE
from domain.events.suppression import in_recurring


@dataclass(frozen=True)
class EventList:
    """A page of events and how many matched in all."""

    events: list[EventRecord]
    total: int


@dataclass(frozen=True)
class Quiet:
    """Something keeping events quiet now."""

    what: str  # a service or an event key
    until: datetime | None  # None: a recurring window (its own schedule)
    reason: str
    by: str


def show_event(ctx: DeskContext, actor: Actor, key: str) -> EventRecord:
    """One event, for agents."""
    require_agent(actor)
    return find_event(ctx, key)


def list_events(
    ctx: DeskContext,
    actor: Actor,
    *,
    everything: bool = False,
    service: str | None = None,
    limit: int = 20,
) -> EventList:
    """Live events (or all), newest first."""
    require_agent(actor)
    query = select(EventRecord)
    if not everything:
        query = query.where(EventRecord.state.in_(sorted(LIVE)))
    if service:
        query = query.where(EventRecord.service == service.lower())
    total = ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    events = ctx.session.scalars(
        query.order_by(EventRecord.last_seen.desc(), EventRecord.id.desc()).limit(limit)
    ).all()
    return EventList(list(events), total)


def quiet_now(ctx: DeskContext, actor: Actor) -> tuple[list[Quiet], list[Quiet]]:
    """Maintenance running now (from chat and the config) and silences in force."""
    require_agent(actor)
    now = ctx.clock.now()
    windows = [
        Quiet(w.service, w.until, w.reason, w.by)
        for w in ctx.session.scalars(
            select(MaintenanceWindow)
            .where(
                MaintenanceWindow.since <= now,
                MaintenanceWindow.until > now,
                MaintenanceWindow.ended_at.is_(None),
            )
            .order_by(MaintenanceWindow.until)
        )
    ]
    windows += [
        Quiet(w.service, None, w.reason, "config")
        for w in ctx.policy.events.windows
        if in_recurring(w, now)
    ]
    silences = [
        Quiet(s.dedup_key, s.until, s.reason, s.by)
        for s in ctx.session.scalars(
            select(EventSilence)
            .where(EventSilence.until > now, EventSilence.ended_at.is_(None))
            .order_by(EventSilence.until)
        )
    ]
    return windows, silences
