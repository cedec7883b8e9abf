"""The incident figures of a report, each one aggregate query (definitions: docs/metrics.md).

Windows are half-open, [since, until). Durations are elapsed seconds (not business time).
An incident's MTTR is its last resolution less its opening less the time its SLA clocks
were paused — on hold, and resolved before a reopen: `paused_seconds`, which the incident
process adds to at every resume and reopen (domain/incidents/sla.py). A resolved incident's
current pause began at its resolution, so it adds nothing.

The incident process keeps these measures on the incident as it goes
(domain/incidents/measures.py): `response_seconds` (MTTA), `resolution_seconds` (MTTR),
`reopen_count` (its "reopened" timeline entries) and `team_changes` (its "Assigned to team"
entries), so the figures add up numbers rather than convert instants or probe timelines.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.operators import custom_op

from domain.context import DeskContext
from domain.incidents.records import IncidentRecord, TimelineEntry
from domain.incidents.states import OPEN
from domain.metrics.scope import Scope
from domain.metrics.sql import Stat, is_sqlite, rank, ranked_value, seconds, stat
from domain.problems.records import ProblemLink

I = IncidentRecord.__table__  # noqa: E741  (Core tables: aggregates, not objects)
T = TimelineEntry.__table__
DAY = 86400
# Backlog ages, from the youngest: (label, upper bound in seconds or None).
AGE_BUCKETS = (
    ("<1d", DAY),
    ("1-3d", 3 * DAY),
    ("3-7d", 7 * DAY),
    ("7-30d", 30 * DAY),
    (">30d", None),
)
WEEKS_OF_ALL_TIME = 12
TOP = 5


def in_scope(scope: Scope) -> list[ColumnElement]:
    """The incidents a scope covers: its teams' queues, a service, or a person's own."""
    conditions: list[ColumnElement] = []
    if scope.teams is not None:
        conditions.append(I.c.assignment_group.in_(scope.teams))
    if scope.service is not None:
        conditions.append(I.c.service == scope.service)
    if scope.person is not None:
        conditions.append(I.c.reporter == scope.person)
    return conditions


def within(
    column: Any, since: datetime | None, until: datetime, ctx: DeskContext | None = None
) -> list[ColumnElement]:
    """[since, until); no lower bound for all time.

    With `ctx` on SQLite, an all-time bound is written so that it cannot use the column's
    index: SQLite keeps no statistics and would read nearly every row through the index,
    several times slower than reading the table in order.
    """
    if since is None and ctx is not None and is_sqlite(ctx):
        unindexed = UnaryExpression(column, operator=custom_op("+"), type_=column.type)
        return [unindexed < until]
    found = [column < until]
    if since is not None:
        found.append(column >= since)
    return found


def mttr_seconds(ctx: DeskContext) -> ColumnElement:
    """Open to last resolution, less the time paused (on hold, resolved before a reopen)."""
    return I.c.resolution_seconds


def _reopened() -> ColumnElement:
    return I.c.reopen_count > 0


def _sent_to_team() -> ColumnElement:
    # "Assigned to team X" is the functional escalation's timeline entry (lifecycle.py).
    return I.c.team_changes > 0


def _count(condition: ColumnElement) -> ColumnElement:
    # COUNT of a CASE with no ELSE: the rows meeting the condition (zero when none).
    return func.count(case((condition, 1)))


def opened_by_priority(ctx: DeskContext, scope: Scope) -> dict[str, dict[str, int]]:
    """Per priority, of the incidents opened in the window: how many, their SLA verdicts
    (cancelled ones left out) and how many were escalated."""
    live = I.c.state != "cancelled"
    # The measures are there exactly when the instants are (first response, resolution);
    # read so, the figures come from ix_incidents_priority_opened alone.
    responded = I.c.response_seconds.is_not(None)
    resolved = I.c.resolution_seconds.is_not(None)
    respond_breached = I.c.respond_breached.is_(True)
    resolve_breached = I.c.resolve_breached.is_(True)
    escalated = or_(I.c.escalation_level > 0, _sent_to_team())
    rows = ctx.session.execute(
        select(
            I.c.priority,
            func.count(),
            _count(and_(live, or_(responded, respond_breached))),
            _count(and_(live, responded, not_(respond_breached))),
            _count(and_(live, or_(resolved, resolve_breached))),
            _count(and_(live, resolved, not_(resolve_breached))),
            _count(escalated),
        )
        .where(*in_scope(scope), *within(I.c.opened_at, scope.since, scope.until, ctx))
        .group_by(I.c.priority)
        .order_by(I.c.priority)
    ).all()
    names = ("opened", "respond_total", "respond_met", "resolve_total", "resolve_met")
    return {
        row[0]: dict(zip((*names, "escalations"), (int(v) for v in row[1:]), strict=True))
        for row in rows
    }


def sla_rows(by_priority: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """SLA compliance per priority, for the priorities with a verdict on either clock."""
    keys = ("respond_met", "respond_total", "resolve_met", "resolve_total")
    return [
        {"priority": priority, **{k: row[k] for k in keys}}
        for priority, row in sorted(by_priority.items())
        if row["respond_total"] or row["resolve_total"]
    ]


def mtta(ctx: DeskContext, scope: Scope) -> Stat:
    """Open to first response, for incidents first answered in the window."""
    window = within(I.c.first_response_at, scope.since, scope.until, ctx)
    return stat(ctx, I.c.response_seconds, [*in_scope(scope), *window], walk=scope.all_time)


def mttr(ctx: DeskContext, scope: Scope) -> Stat:
    """Time to resolve (see the module), for incidents last resolved in the window."""
    window = within(I.c.resolved_at, scope.since, scope.until, ctx)
    return stat(ctx, mttr_seconds(ctx), [*in_scope(scope), *window], walk=scope.all_time)


def resolutions(ctx: DeskContext, scope: Scope) -> dict[str, int]:
    """Of the incidents last resolved in the window: how many, how many had been reopened,
    and how many were resolved at first contact (never reopened, never sent to another
    team, never escalated to a lead)."""
    reopened = _reopened()
    first_contact = and_(not_(reopened), not_(_sent_to_team()), I.c.escalation_level == 0)
    row = ctx.session.execute(
        select(func.count(), _count(reopened), _count(first_contact)).where(
            *in_scope(scope), *within(I.c.resolved_at, scope.since, scope.until, ctx)
        )
    ).one()
    return {"resolved": int(row[0]), "reopened": int(row[1]), "first_contact": int(row[2])}


def backlog(ctx: DeskContext, scope: Scope) -> list[dict[str, Any]]:
    """Incidents open now, per priority, by age (now − opened) in AGE_BUCKETS."""
    # Compared as instants (opened after now − bound), which reads the stored values as
    # they are instead of converting each to seconds.
    bucket = case(
        *(
            (I.c.opened_at > scope.now - timedelta(seconds=bound), label)
            for label, bound in AGE_BUCKETS
            if bound is not None
        ),
        else_=AGE_BUCKETS[-1][0],
    ).label("bucket")
    rows = ctx.session.execute(
        select(I.c.priority, bucket, func.count())
        .where(*in_scope(scope), I.c.state.in_(OPEN))
        .group_by(I.c.priority, bucket)
    ).all()
    found: dict[str, dict[str, int]] = {}
    for priority, label, count in rows:
        buckets = found.setdefault(priority, {name: 0 for name, _ in AGE_BUCKETS})
        buckets[label] = int(count)
    return [
        {"priority": p, "buckets": found[p], "total": sum(found[p].values())} for p in sorted(found)
    ]


def tops(ctx: DeskContext, scope: Scope) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The most frequent services and categories among incidents opened in the window.

    One grouped count per (service, category) pair — read in the order of the service's
    index — added up per service and per category here: a few dozen groups, not incidents.
    """
    rows = ctx.session.execute(
        select(I.c.service, I.c.category, func.count())
        .where(*in_scope(scope), *within(I.c.opened_at, scope.since, scope.until, ctx))
        .group_by(I.c.service, I.c.category)
    ).all()
    services: dict[str, int] = {}
    categories: dict[str, int] = {}
    for service, category, n in rows:
        if service is not None:
            services[service] = services.get(service, 0) + int(n)
        if category is not None:
            categories[category] = categories.get(category, 0) + int(n)
    return _most(services), _most(categories)


def _most(counts: dict[str, int]) -> list[tuple[str, int]]:
    """The TOP largest counts, ties by name."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]


def problems(ctx: DeskContext, scope: Scope) -> dict[str, Any]:
    """Of the incidents opened in the window, those linked to a problem, and to how many."""
    L = ProblemLink.__table__  # noqa: N806
    # From the links, each looking up its incident: linked incidents are few, and a join
    # could start from every incident of the window instead.
    of_window = (
        select(I.c.id)
        .where(
            I.c.id == L.c.incident_id,
            *in_scope(scope),
            *within(I.c.opened_at, scope.since, scope.until),
        )
        .exists()
    )
    row = ctx.session.execute(
        select(func.count(), func.count(func.distinct(L.c.problem_id))).where(of_window)
    ).one()
    linked, count = int(row[0]), int(row[1])
    per = round(linked / count, 2) if count else None
    return {"problems": count, "linked_incidents": linked, "incidents_per_problem": per}


def monday_of(at: datetime) -> datetime:
    """00:00 UTC on the Monday of the ISO week holding `at`."""
    day: date = at.date() - timedelta(days=at.weekday())
    return datetime(day.year, day.month, day.day, tzinfo=at.tzinfo)


def weeks(ctx: DeskContext, scope: Scope) -> list[dict[str, Any]]:
    """Per ISO week (Monday 00:00 UTC) of the window, cut to the window: incidents opened,
    resolved, and the median MTTR of those resolved. All time: the last 12 weeks."""
    last = monday_of(scope.until - timedelta(microseconds=1))
    if scope.since is None:
        origin = last - timedelta(weeks=WEEKS_OF_ALL_TIME - 1)
        since = origin
    else:
        origin, since = monday_of(scope.since), scope.since
    starts = []
    start = origin
    while start <= last:
        starts.append(start)
        start += timedelta(weeks=1)
    ends = [*starts[1:], scope.until]
    # Each week [lower, end), the first cut to the window: counted, and ranked, as ranges of
    # the instants' indexes (a COUNT per week in one statement: no CASE, no sort).
    weeks_of = [(since if i == 0 else start, ends[i]) for i, start in enumerate(starts)]

    def per_week(column: Any, extra: list[ColumnElement]) -> list[int]:
        counts = [
            select(func.count())
            .where(*in_scope(scope), *extra, *within(column, lower, upper))
            .scalar_subquery()
            for lower, upper in weeks_of
        ]
        return [int(n or 0) for n in ctx.session.execute(select(*counts)).one()]

    opened = per_week(I.c.opened_at, [])
    # Resolved: how many per week, then each week's median at its rank.
    value = mttr_seconds(ctx)
    present = [value.is_not(None)]
    resolved_n = per_week(I.c.resolved_at, present)
    found = [i for i, n in enumerate(resolved_n) if n]
    medians = (
        ctx.session.execute(
            select(
                *(
                    ranked_value(
                        ctx,
                        value,
                        [*in_scope(scope), *present, *within(I.c.resolved_at, *weeks_of[i])],
                        rank(50, resolved_n[i]),
                    )
                    for i in found
                )
            )
        ).one()
        if found
        else ()
    )
    resolved = {i: (resolved_n[i], seconds(m)) for i, m in zip(found, medians, strict=True)}
    out = []
    for i, start in enumerate(starts):
        n, median = resolved.get(i, (0, None))
        out.append(
            {
                "start": start.date().isoformat(),
                "opened": opened[i],
                "resolved": n,
                "mttr_median_s": median,
            }
        )
    return out
