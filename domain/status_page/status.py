"""Each service's state now, its latest public updates and its history: what the public
status page shows, and nothing else.

Only these leave the desk: the service's configured name and display name, a state word,
and the text, status word and time of major-incident updates posted with `--public`.
Never an incident's title, description, people, teams, internal notes or private updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from domain.context import DeskContext
from domain.incidents.records import IncidentRecord
from domain.major.records import MajorIncident, MajorUpdate
from domain.policy import DeskPolicy
from domain.status_page.history import DAYS, window, worst_per_day
from domain.status_page.spans import OPERATIONAL, STATES, at, live_spans

UPDATES_SHOWN = 5  # per service, newest first
# A resolved major incident's public updates stay on the page this long, so the public
# reads that it is over, not only that the red went away.
RESOLVED_SHOWN = timedelta(days=1)


@dataclass(frozen=True)
class PublicUpdate:
    """A major-incident update its author marked public."""

    at: datetime
    status: str  # investigating | identified | monitoring | resolved
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"at": self.at.isoformat(), "status": self.status, "text": self.text}


@dataclass(frozen=True)
class DayState:
    """A service's worst state on one UTC day."""

    day: date
    state: str

    def as_dict(self) -> dict[str, str]:
        return {"date": self.day.isoformat(), "state": self.state}


@dataclass(frozen=True)
class ServiceStatus:
    """One service on the status page."""

    name: str
    display_name: str
    state: str  # operational | degraded | outage
    updates: tuple[PublicUpdate, ...]
    history: tuple[DayState, ...]  # oldest first, today last

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "state": self.state,
            "updates": [u.as_dict() for u in self.updates],
            "history": [d.as_dict() for d in self.history],
        }


def shown_services(policy: DeskPolicy) -> list[str]:
    """The status page's services in order: the ones it names, else every service."""
    named = policy.metrics.status_page.services
    return [s for s in named if s in policy.services] if named else list(policy.services)


def service_status(
    ctx: DeskContext, now: datetime | None = None, *, days: int = DAYS
) -> list[ServiceStatus]:
    """Every shown service's state now, public updates and `days` of history: three queries."""
    now = now or ctx.clock.now()
    names = shown_services(ctx.policy)
    if not names:
        return []
    spans = live_spans(names, now)
    current = dict(
        ctx.session.execute(
            select(spans.c.service, func.max(spans.c.level)).group_by(spans.c.service)
        ).all()
    )
    updates = _public_updates(ctx, names, now)
    history = worst_per_day(ctx, names, now, days)
    shown = window(now, days)
    result = []
    for name in names:
        service = ctx.policy.services[name]
        result.append(
            ServiceStatus(
                name=name,
                display_name=service.display_name or name,
                state=STATES[int(current.get(name, OPERATIONAL))],
                updates=tuple(updates.get(name, ())),
                history=tuple(
                    DayState(day, STATES[level])
                    for day, level in zip(shown, history[name], strict=True)
                ),
            )
        )
    return result


def overall(services: list[ServiceStatus]) -> str:
    """The worst state of any service: the page's headline."""
    return max((s.state for s in services), key=STATES.index, default=STATES[OPERATIONAL])


def _public_updates(
    ctx: DeskContext, names: list[str], now: datetime
) -> dict[str, list[PublicUpdate]]:
    """Public updates of the services' running (and lately resolved) major incidents."""
    query = (
        select(MajorIncident.service, MajorUpdate.at, MajorUpdate.status, MajorUpdate.text)
        .join(MajorIncident, MajorIncident.id == MajorUpdate.major_id)
        .join(IncidentRecord, IncidentRecord.id == MajorIncident.id)
        .where(
            MajorUpdate.public.is_(True),
            MajorIncident.service.in_(names),
            IncidentRecord.state != "cancelled",
            or_(
                MajorIncident.state == "running",
                MajorIncident.resolved_at >= at(now - RESOLVED_SHOWN),
            ),
        )
        .order_by(MajorUpdate.at.desc(), MajorUpdate.id.desc())
    )
    found: dict[str, list[PublicUpdate]] = {}
    for service, when, status, text in ctx.session.execute(query):
        kept = found.setdefault(service, [])
        if len(kept) < UPDATES_SHOWN:
            kept.append(PublicUpdate(when, status, text))
    return found
