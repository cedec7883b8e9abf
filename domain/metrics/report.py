"""`build_report`: every figure of a report, for a scope the asker may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.context import Actor, DeskContext
from domain.metrics import activity, figures
from domain.metrics.scope import Scope, resolve_scope
from domain.metrics.sql import Stat, rate


@dataclass(frozen=True)
class Report:
    """The desk's numbers for one scope and period (definitions: docs/metrics.md)."""

    scope: Scope
    opened: int
    resolved: int
    mtta: Stat
    mttr: Stat
    sla: list[dict[str, Any]]
    backlog: list[dict[str, Any]]
    reopened: int
    reopen_rate: float | None
    first_contact: int
    fcr_rate: float | None
    escalations: int
    requests: dict[str, Any]
    access: dict[str, Any]
    csat: dict[str, Any]
    problems: dict[str, Any]
    top_services: list[tuple[str, int]]
    top_categories: list[tuple[str, int]]
    weeks: list[dict[str, Any]]

    @property
    def empty(self) -> bool:
        """Nothing at all happened in the period (the backlog aside)."""
        return not (
            self.opened
            or self.resolved
            or self.mtta.count
            or self.requests.get("submitted")
            or self.requests.get("fulfilled")
            or self.access.get("granted")
            or self.access.get("revoked")
            or self.access.get("expired")
            or self.csat["asked"]
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values: instants as ISO strings, durations as seconds."""
        return {
            "scope": self.scope.as_dict(),
            "opened": self.opened,
            "resolved": self.resolved,
            "mtta": self.mtta.as_dict(),
            "mttr": self.mttr.as_dict(),
            "sla": [dict(row) for row in self.sla],
            "backlog": [dict(row, buckets=dict(row["buckets"])) for row in self.backlog],
            "reopened": self.reopened,
            "reopen_rate": self.reopen_rate,
            "first_contact": self.first_contact,
            "fcr_rate": self.fcr_rate,
            "escalations": self.escalations,
            "requests": dict(self.requests),
            "access": dict(self.access),
            "csat": dict(self.csat),
            "problems": dict(self.problems),
            "top_services": [[name, n] for name, n in self.top_services],
            "top_categories": [[name, n] for name, n in self.top_categories],
            "weeks": [dict(week) for week in self.weeks],
            "empty": self.empty,
        }


def build_report(
    ctx: DeskContext,
    actor: Actor,
    *,
    team: str | None = None,
    service: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    all_time: bool = False,
) -> Report:
    """The report `actor` asked for; DeskError (the sentence to show) when they may not see
    it or the question is wrong (unknown team or service, a period that ends before it
    starts). Defaults: the 30 days up to now."""
    scope = resolve_scope(
        ctx, actor, team=team, service=service, since=since, until=until, all_time=all_time
    )
    return report_for(ctx, scope)


def report_for(ctx: DeskContext, scope: Scope) -> Report:
    """Every figure for an already checked scope."""
    by_priority = figures.opened_by_priority(ctx, scope)
    done = figures.resolutions(ctx, scope)
    services, categories = figures.tops(ctx, scope)
    return Report(
        scope=scope,
        opened=sum(row["opened"] for row in by_priority.values()),
        resolved=done["resolved"],
        mtta=figures.mtta(ctx, scope),
        mttr=figures.mttr(ctx, scope),
        sla=figures.sla_rows(by_priority),
        backlog=figures.backlog(ctx, scope),
        reopened=done["reopened"],
        reopen_rate=rate(done["reopened"], done["resolved"]),
        first_contact=done["first_contact"],
        fcr_rate=rate(done["first_contact"], done["resolved"]),
        escalations=sum(row["escalations"] for row in by_priority.values()),
        requests=activity.requests(ctx, scope),
        access=activity.access(ctx, scope),
        csat=activity.csat(ctx, scope),
        problems=figures.problems(ctx, scope),
        top_services=services,
        top_categories=categories,
        weeks=figures.weeks(ctx, scope),
    )
