"""What each dashboard page shows, read from the domain in the request's unit of work.

Each function takes the unit of work, the signed-in actor and the page's query, and
returns the template's context as plain values. Who may see what is the domain's
business: the queue comes from `incidents.list_incidents`, one incident from
`incidents.show_incident`, the report from `metrics.build_report` — each refuses with a
`DeskError` the page shows; nothing here decides a permission.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from bot.charts import chart_alt_text
from domain import incidents, major, oncall
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput

QUEUE_LIMIT = 100  # the queue shows this many at most (sorted by priority): narrow it by filters
FIELD_MAX = 64  # longest filter value read from an address


@dataclass
class Page:
    """A page to render: its template, status and context."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200


def _param(query: Mapping[str, str], name: str) -> str:
    return str(query.get(name, "")).strip()[:FIELD_MAX]


def queue(ctx: DeskContext, actor: Actor, query: Mapping[str, str]) -> Page:
    """The front page: the queue (filtered by team, priority and state), the major
    incidents running and who is on call now."""
    chosen = {name: _param(query, name) for name in ("team", "priority", "state")}
    priorities = sorted(ctx.policy.sla)
    context: dict[str, Any] = {
        "chosen": chosen,
        "teams": sorted(ctx.policy.teams) if actor.is_agent else [],
        "priorities": priorities,
        "states": dict(incidents.STATE_LABELS),
        "majors": _majors(ctx),
        "major_configured": bool(ctx.policy.major.channel or ctx.policy.major.rooms_in),
        "oncall": _oncall_now(ctx),
    }
    if chosen["priority"] and chosen["priority"] not in priorities:
        return Page("queue", context | {"problem": "Choose a priority from the list."}, 400)
    found = incidents.list_incidents(
        ctx,
        actor,
        team=chosen["team"] or None,
        state=chosen["state"] or None,
        priority=chosen["priority"] or None,
        limit=QUEUE_LIMIT,
    )
    rows = found.incidents
    context |= {
        "title": found.title + (f", {chosen['priority']}" if chosen["priority"] else ""),
        "incidents": [_row(i) for i in rows],
        "more": found.total > len(found.incidents),
        "limit": QUEUE_LIMIT,
    }
    return Page("queue", context)


def _row(found: incidents.IncidentRecord) -> dict[str, Any]:
    """What a queue's line shows: the record's own columns only (a full snapshot would
    read each incident's problem and event links: a query each, a hundred times)."""
    return {
        "key": found.key,
        "priority": found.priority,
        "title": found.title,
        "state": found.state,
        "group": found.assignment_group,
        "assignee": found.assignee,
        "opened_at": found.opened_at,
        "breached": found.breached,
    }


def incident(ctx: DeskContext, actor: Actor, key: str) -> Page:
    """One incident and its timeline, if the actor may see it."""
    detail = incidents.show_incident(ctx, actor, key[:FIELD_MAX])
    found = detail.incident
    return Page(
        "incident",
        {
            "incident": incidents.incident_data(found)
            | {
                "resolved_at": found.resolved_at,
                "first_response_at": found.first_response_at,
                "state_label": incidents.STATE_LABELS.get(found.state, found.state),
            },
            "timeline": [
                {"at": e.at, "actor": e.actor, "kind": e.kind, "text": e.text}
                for e in sorted(detail.timeline, key=lambda e: (e.at, e.id))
            ],
            "respond_left": detail.respond_left,
            "resolve_left": detail.resolve_left,
            "business_hours": detail.business_hours,
        },
    )


@dataclass(frozen=True)
class ReportQuery:
    """The report page's filters, checked; `address` is the same as a query string."""

    team: str | None
    service: str | None
    since: datetime | None
    until: datetime | None
    all_time: bool
    shown: dict[str, str]

    @property
    def address(self) -> str:
        return urlencode({k: v for k, v in self.shown.items() if v})


def report_query(query: Mapping[str, str]) -> ReportQuery:
    """Read the report's filters: dates are whole days in UTC (YYYY-MM-DD, as a date field
    sends them); `until` includes its day."""
    shown = {name: _param(query, name) for name in ("team", "service", "since", "until", "all")}
    all_time = shown["all"] in ("1", "on", "yes", "true")
    shown["all"] = "1" if all_time else ""
    since = _day(shown["since"], "From")
    until = _day(shown["until"], "To")
    return ReportQuery(
        team=shown["team"] or None,
        service=shown["service"] or None,
        since=None if all_time else since,
        until=until + timedelta(days=1) if until else None,
        all_time=all_time,
        shown=shown,
    )


def _day(text: str, label: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC)
    except ValueError:
        raise InvalidInput(
            f"{label}: '{text[:20]}' is not a date; use the form YYYY-MM-DD, e.g. 2026-11-30."
        ) from None


def build_report(ctx: DeskContext, actor: Actor, wanted: ReportQuery) -> dict[str, Any]:
    """The report as plain values (domain.metrics decides what this actor may see)."""
    from domain import metrics  # the report's process, read only by this page

    found = metrics.build_report(
        ctx,
        actor,
        team=wanted.team,
        service=wanted.service,
        since=wanted.since,
        until=wanted.until,
        all_time=wanted.all_time,
    )
    return found.as_dict()


def report(ctx: DeskContext, actor: Actor, query: Mapping[str, str]) -> Page:
    """The report page: the numbers as tables, and the chart of them as an image."""
    form = {
        "teams": sorted(ctx.policy.teams) if actor.is_agent else [],
        "services": sorted(ctx.policy.services) if actor.is_agent else [],
    }
    try:
        wanted = report_query(query)
    except InvalidInput as bad:
        shown = {n: _param(query, n) for n in ("team", "service", "since", "until", "all")}
        return Page("report", form | {"shown": shown, "problem": bad.message, "report": None}, 400)
    found = build_report(ctx, actor, wanted)
    return Page(
        "report",
        form
        | {
            "shown": wanted.shown,
            "report": found,
            "chart": "/dashboard/report.png" + (f"?{wanted.address}" if wanted.address else ""),
            "alt": chart_alt_text(found),
        },
    )


def _majors(ctx: DeskContext) -> list[dict[str, Any]]:
    return [major.major_data(m) for m in major.list_majors(ctx)]


def _oncall_now(ctx: DeskContext) -> list[dict[str, Any]]:
    """Who is on call now and who is next, per team and schedule (none configured: [])."""
    people = ctx.policy.people
    rows = []
    for team in ctx.policy.oncall.teams.values():
        for name, schedule in team.schedules.items():
            now = oncall.on_call(ctx, schedule)
            rows.append(
                {
                    "team": team.team,
                    "schedule": name,
                    "person": _display(people, now.now.person),
                    "until": now.now.end,
                    "next": _display(people, now.next.person) if now.next else None,
                }
            )
    return rows


def _display(people, name: str | None) -> str:
    if name is None:
        return "nobody"
    profile = people.get(name)
    return (profile.display_name if profile and profile.display_name else None) or name
