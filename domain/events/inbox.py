"""The inbox: signals accepted and not yet processed (see `EventInbox`)."""

from __future__ import annotations

import json

from sqlalchemy import delete, select

from domain.context import DeskContext
from domain.events.records import EventInbox
from domain.events.signals import Signal


def put(ctx: DeskContext, integration: str, signals: list[Signal]) -> None:
    """Queue signals raised inside the desk (a silent heartbeat) behind what arrived."""
    ctx.record(
        EventInbox,
        integration=integration,
        signals=json.dumps([s.as_json() for s in signals], separators=(",", ":")),
        count=len(signals),
        received_at=ctx.clock.now(),
    )


def take(ctx: DeskContext, limit: int) -> list[tuple[str, list[Signal]]]:
    """The oldest requests, up to about `limit` signals, deleted in this unit of work (so
    they are gone exactly when their processing commits)."""
    rows = ctx.session.execute(
        select(EventInbox.id, EventInbox.integration, EventInbox.signals, EventInbox.count)
        .order_by(EventInbox.id)
        .limit(max(1, limit // 10))
    ).all()
    taken, total = [], 0
    for row in rows:
        if taken and total + row.count > limit:
            break
        taken.append(row)
        total += row.count
    if not taken:
        return []
    ctx.session.execute(
        delete(EventInbox)
        .where(EventInbox.id.in_([row.id for row in taken]))
        .execution_options(synchronize_session=False)
    )
    return [
        (row.integration, [Signal.from_json(s) for s in json.loads(row.signals)]) for row in taken
    ]
