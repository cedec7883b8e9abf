"""Ninety days of history: each service's worst state on each UTC day, in one query: the
trouble spans folded to their first and last day, joined with a table of the days (no
query per day or per service)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import String, and_, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from domain.context import DeskContext
from domain.status_page.spans import OPERATIONAL, trouble_spans

DAYS = 90


class utc_day(FunctionElement):  # noqa: N801  (an SQL function, named as SQL names them)
    """The UTC day of a stored time as text, YYYY-MM-DD: compared as text on both databases."""

    type = String()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element, compiler, **kw) -> str:
    # SQLite keeps UTC times as "YYYY-MM-DD HH:MM:SS.ffffff" text: date() is its day.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element, compiler, **kw) -> str:
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def window(now: datetime, days: int = DAYS) -> list[date]:
    """The UTC days shown, oldest first, ending with today."""
    today = now.astimezone(UTC).date()
    return [today - timedelta(days=days - 1 - i) for i in range(days)]


def worst_per_day(
    ctx: DeskContext, services: Sequence[str], now: datetime, days: int = DAYS
) -> dict[str, list[int]]:
    """Each service's worst level (0 operational … 2 outage) on each day of `window`."""
    shown = window(now, days)
    levels = {service: [OPERATIONAL] * len(shown) for service in services}
    if not services:
        return levels
    spans = trouble_spans(services, datetime.combine(shown[0], time(), UTC), now)
    # Thousands of spans (an event storm) fold into a few rows per service: which days
    # each touched. A span that ends at midnight exactly touches the new day too.
    folded = (
        select(
            spans.c.service,
            spans.c.level,
            utc_day(spans.c.starts).label("first"),
            utc_day(spans.c.ends).label("last"),
        )
        .group_by(spans.c.service, spans.c.level, "first", "last")
        .subquery("folded")
    )
    # The days as rows: a UNION ALL of bound values works alike on SQLite and PostgreSQL,
    # where a VALUES list or generate_series would not.
    day_rows = union_all(
        *(
            select(literal(i).label("n"), literal(day.isoformat()).label("day"))
            for i, day in enumerate(shown)
        )
    ).cte("days")
    query = (
        select(folded.c.service, day_rows.c.n, func.max(folded.c.level))
        .join(day_rows, and_(folded.c.first <= day_rows.c.day, folded.c.last >= day_rows.c.day))
        .group_by(folded.c.service, day_rows.c.n)
    )
    for service, n, level in ctx.session.execute(query):
        levels[service][int(n)] = int(level)
    return levels
