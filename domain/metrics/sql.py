"""SQL pieces that read the same on SQLite and PostgreSQL: durations in seconds and
nearest-rank percentiles (SQLite has no percentile_cont).

Nearest rank: of n values sorted ascending, the p-th percentile is the value at rank
ceil(p/100 · n) — always one of the values, never an interpolation. The values are counted
first, then the one at that rank is read with ORDER BY … LIMIT 1 OFFSET rank − 1: the same
answer on both databases, and where the value is indexed a walk of the index, not a sort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, cast, extract, func, select
from sqlalchemy.sql.elements import ColumnElement

from domain.context import DeskContext


@dataclass(frozen=True)
class Stat:
    """A duration's spread: how many, the median and the 90th percentile in seconds
    (nearest rank; None when there are none)."""

    count: int
    median_s: float | None
    p90_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "median_s": self.median_s, "p90_s": self.p90_s}


def is_sqlite(ctx: DeskContext) -> bool:
    return ctx.session.get_bind().dialect.name == "sqlite"


def seconds_between(ctx: DeskContext, start: Any, end: Any) -> ColumnElement:
    """`end` − `start` in seconds."""
    if is_sqlite(ctx):
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return cast(extract("epoch", end - start), Float)


def rank(p: int, n: int) -> int:
    """The nearest rank of the p-th percentile of n values: ceil(p·n/100)."""
    return -(-p * n // 100)


def ranked_value(
    ctx: DeskContext,
    value: ColumnElement,
    where: Sequence[ColumnElement],
    position: int,
    *,
    walk: bool = False,
):
    """The `position`-th smallest `value` (from 1) of the rows `where` selects, as a scalar
    subquery: ORDER BY value LIMIT 1 OFFSET position − 1.

    `walk`: read the rows in the order of an index on the value (every row qualifies, as
    over all time). Otherwise SQLite, which keeps no statistics, is told not to (`+ 0`): it
    would walk the whole value index to find a period's few rows, instead of taking the
    period from its instant's index and sorting those.
    """
    order = value if walk or not is_sqlite(ctx) else value + 0
    found = select(value).where(*where).order_by(order).limit(1).offset(position - 1)
    return found.scalar_subquery()


def stat(
    ctx: DeskContext,
    value: ColumnElement,
    conditions: Sequence[ColumnElement],
    *,
    walk: bool = False,
    present: ColumnElement | None = None,
) -> Stat:
    """Count, median and 90th percentile of the durations `value` over the rows of one
    table that `conditions` select (rows with no value left out; `present` says which have
    one when that is cheaper to ask than computing the value).

    Two statements: the count, then each percentile as the value at its rank (see
    `ranked_value`) — with an index on the value, a walk of that many index entries
    instead of a sort of them all.
    """
    where = [value.is_not(None) if present is None else present, *conditions]
    n = ctx.session.scalar(select(func.count()).where(*where)) or 0
    if not n:
        return Stat(0, None, None)
    median, p90 = ctx.session.execute(
        select(*(ranked_value(ctx, value, where, rank(p, n), walk=walk) for p in (50, 90)))
    ).one()
    return Stat(int(n), seconds(median), seconds(p90))


def seconds(value: Any) -> float | None:
    """A duration from SQL to the millisecond (SQLite's Julian days carry float noise)."""
    return None if value is None else round(float(value), 3)


def rate(part: int, whole: int) -> float | None:
    """part / whole to four places, or None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None
