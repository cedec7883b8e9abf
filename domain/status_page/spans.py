"""Trouble spans: the stretches of time a service was degraded or out, as one SQL query
over the records other processes keep. The current state and the history both read them.

The rule, in one place (docs/status-page.md says it in words):
- outage: a major incident on the service, from its declaration until it is resolved;
- degraded: an incident on the service that monitoring opened (an event group stands for
  it), or any P1/P2 incident on the service, from its opening until it is resolved or
  closed; and a live warning or exception event on the service that nothing suppressed
  (maintenance, a silence), from when it was first seen until it resolved.
A cancelled incident was no trouble at all (raised by mistake): neither it nor its major
incident counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, exists, func, literal, or_, select, union_all
from sqlalchemy.sql.selectable import CTE

from domain.events.records import EventGroup, EventRecord
from domain.incidents.records import IncidentRecord
from domain.incidents.states import OPEN as INCIDENT_OPEN
from domain.major.records import MajorIncident
from domain.records import UtcDateTime

STATES = ("operational", "degraded", "outage")  # a state's index is its level: worst = max
OPERATIONAL, DEGRADED, OUTAGE = range(3)
URGENT = ("P1", "P2")  # priorities that degrade their service whatever opened them
DEGRADING_EVENTS = ("warning", "exception")  # informational events change nothing


def at(value: datetime):
    """A datetime as a bound value of the columns' own type, so SQLite compares the same
    text it stores and PostgreSQL a timestamptz."""
    return literal(value, UtcDateTime())


def trouble_spans(services: Sequence[str], since: datetime, now: datetime) -> CTE:
    """One row per span touching [since, now]: service, level, starts, ends (now while it
    lasts) and live (1 while it lasts). A few indexed selects, one UNION ALL."""
    return union_all(
        _majors(services, since, now),
        _incidents(services, since, now),
        _events(services, now, live=True),
        _events(services, now, live=False, since=since),
    ).cte("trouble_spans")


def live_spans(services: Sequence[str], now: datetime) -> CTE:
    """The spans lasting now (the same columns): what the state now is made of."""
    return union_all(
        _majors(services, now, now, live_only=True),
        _incidents(services, now, now, live_only=True),
        _events(services, now, live=True),
    ).cte("live_spans")


def _majors(services: Sequence[str], since: datetime, now: datetime, *, live_only: bool = False):
    live = MajorIncident.state == "running"
    return (
        select(
            MajorIncident.service.label("service"),
            literal(OUTAGE).label("level"),
            MajorIncident.declared_at.label("starts"),
            case((live, at(now)), else_=func.coalesce(MajorIncident.resolved_at, at(now))).label(
                "ends"
            ),
            case((live, 1), else_=0).label("live"),
        )
        .join(IncidentRecord, IncidentRecord.id == MajorIncident.id)
        .where(
            MajorIncident.service.in_(list(services)),
            IncidentRecord.state != "cancelled",
            MajorIncident.declared_at <= at(now),
            live if live_only else or_(live, MajorIncident.resolved_at >= at(since)),
        )
    )


def _incidents(services: Sequence[str], since: datetime, now: datetime, *, live_only: bool = False):
    live = IncidentRecord.state.in_(sorted(INCIDENT_OPEN))
    ended = func.coalesce(IncidentRecord.resolved_at, IncidentRecord.closed_at)
    from_monitoring = exists().where(EventGroup.incident_id == IncidentRecord.id)
    return select(
        IncidentRecord.service.label("service"),
        literal(DEGRADED).label("level"),
        IncidentRecord.opened_at.label("starts"),
        case((live, at(now)), else_=func.coalesce(ended, at(now))).label("ends"),
        case((live, 1), else_=0).label("live"),
    ).where(
        IncidentRecord.service.in_(list(services)),
        IncidentRecord.state != "cancelled",
        or_(IncidentRecord.priority.in_(URGENT), from_monitoring),
        IncidentRecord.opened_at <= at(now),
        live if live_only else or_(live, ended >= at(since)),
    )


def _events(services: Sequence[str], now: datetime, *, live: bool, since: datetime | None = None):
    """Live events, or those resolved since `since`. Split in two so each reads an index:
    live ones the partial index of unresolved keys, resolved ones `last_seen` (which a
    resolve sets to the moment it resolved, and nothing moves later)."""
    where = [
        EventRecord.service.in_(list(services)),
        EventRecord.classification.in_(DEGRADING_EVENTS),
        EventRecord.suppressed.is_(None),
        EventRecord.first_seen <= at(now),
    ]
    if live:
        # Exactly the partial index's own condition (firing or acknowledged), so it is used.
        where.append(EventRecord.state != "resolved")
        ends = at(now)
    else:
        assert since is not None
        where += [
            EventRecord.state == "resolved",
            EventRecord.last_seen >= at(since),
            EventRecord.resolved_at >= at(since),
        ]
        ends = func.coalesce(EventRecord.resolved_at, at(now))
    return select(
        EventRecord.service.label("service"),
        literal(DEGRADED).label("level"),
        EventRecord.first_seen.label("starts"),
        ends.label("ends"),
        literal(1 if live else 0).label("live"),
    ).where(*where)
