"""One writer of events at a time: processing, and the commands and timers that change
events or groups, take this lock first (PostgreSQL; SQLite has one writer anyway).

Processing applies a batch in memory and writes it back; a command acknowledging an event
between the read and the write would be lost without it. A command waits one batch at most.
"""

from __future__ import annotations

from sqlalchemy import text

from domain.context import DeskContext

LOCK_ID = 0x6576_656E_7473  # "events"


def hold_events(ctx: DeskContext) -> None:
    """Take the events lock until this unit of work ends (once per unit)."""
    if ctx.cache.get("events_locked"):
        return
    if ctx.session.get_bind().dialect.name == "postgresql":
        ctx.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
    ctx.cache["events_locked"] = True
