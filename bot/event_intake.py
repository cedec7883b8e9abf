"""The event inbox: signals accepted over HTTP are a row before their sender hears back.

Each request the monitoring routes accept becomes one `EventInbox` row (its signals as a
JSON list, and how many). Processing (`bot/event_processing.py`) drains the inbox in the
worker and deletes what it handled in the same transaction, so accepted work survives a
crash and is done once.

The rows are written by one thread of our own in batches, like `ReceiptWriter`: whatever
arrives while a batch is being written goes into the next one, so under a burst hundreds
of requests share one transaction (one turn of SQLite's write lock, one commit) instead
of queueing for a thread and a lock each.

The same thread counts the inbox (the backlog) at most once a second, inside a batch it
writes anyway when there is one; the routes ask `overloaded()` before storing and answer
503 when processing has fallen too far behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import func, insert, select

from bot.write_batches import settle, take_batch
from domain.clock import Clock
from domain.event_settings import EventSettings
from domain.events.records import EventInbox
from domain.events.signals import Signal

log = logging.getLogger(__name__)

# Seconds between counts of the inbox: the backlog only has to be roughly right, and a
# count is a scan of the whole inbox.
RECOUNT = 1.0
# Requests waiting for the writer beyond which we say we are overloaded: the database is
# not keeping up, and more waiters only add memory and latency.
MAX_QUEUED = 5000
# Signal fields `Signal.as_json` leaves out when empty (all but source, key, action).
_OPTIONAL = tuple(f.name for f in fields(Signal) if f.name not in ("source", "key", "action"))


def signal_json(signal: Signal) -> dict[str, Any]:
    """What `Signal.as_json` returns, without its deep copy: `dataclasses.asdict` costs
    more than the rest of storing an alert, and the routes store ten thousand a second."""
    data: dict[str, Any] = {"source": signal.source, "key": signal.key, "action": signal.action}
    for name in _OPTIONAL:
        value = getattr(signal, name)
        if value is not None and value != "" and value != {}:
            data[name] = value
    return data


@dataclass
class _Pending:
    """One request to the writer: a row to store (or, with no integration, a count)."""

    integration: str | None
    signals: str
    count: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future


class EventIntake:
    """Stores accepted signals in the inbox, in batches, on a thread of its own."""

    BATCH = 500  # requests per transaction at most

    def __init__(
        self,
        database,
        clock: Clock,
        settings: EventSettings,
        wake: Callable[[], None],
    ) -> None:
        self.database = database
        self.clock = clock
        self.settings = settings
        self.wake = wake
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # Written by the writer thread only: signals in the inbox at the last count plus
        # those stored since, and when that count was taken (time.monotonic).
        self._backlog = 0
        self._counted_at = float("-inf")
        # Kept on the event loop's side: requests and signals handed to the writer and not
        # yet committed, and the count being taken, if one is.
        self._queued = 0
        self._queued_signals = 0
        self._counting: asyncio.Future | None = None

    async def store(self, integration: str, signals: list[Signal]) -> None:
        """Store one request's signals as one inbox row; returns once it is committed."""
        if not signals:
            return
        # Serialised here, not on the writer thread: a body that fails to serialise fails
        # its own request, never the batch it would have shared.
        text = json.dumps([signal_json(s) for s in signals], separators=(",", ":"))
        self._queued += 1
        self._queued_signals += len(signals)
        try:
            await self._submit(integration, text, len(signals))
        finally:
            self._queued -= 1
            self._queued_signals -= len(signals)

    async def overloaded(self) -> bool:
        """True when processing is too far behind: the signals waiting in the inbox (counted
        at most once a second) reach `max_backlog`, or the writer's queue is very deep."""
        # What the writer has not even written yet counts first, and needs no database.
        if self._queued >= MAX_QUEUED or self._queued_signals >= self.settings.max_backlog:
            return True
        if time.monotonic() - self._counted_at >= RECOUNT and self._counting is None:
            # The writer counts while it writes; nothing written for a second (or ever):
            # ask it for a count on its own. Other requests meanwhile use the last one.
            self._counting = self._submit(None, "", 0)
            try:
                await self._counting
            finally:
                self._counting = None
        return self._backlog + self._queued_signals >= self.settings.max_backlog

    def _submit(self, integration: str | None, text: str, count: int) -> asyncio.Future:
        self._start()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put(_Pending(integration, text, count, loop, future))
        return future

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="event-inbox", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stop the thread once what is queued is written."""
        with self._lock:
            thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=10)

    def _run(self) -> None:
        while (batch := take_batch(self._queue, self.BATCH)) is not None:
            try:
                stored = self._write(batch)
            except BaseException as exc:  # every waiter hears of it; the thread goes on
                log.exception("event inbox: could not store %d request(s)", len(batch))
                for item in batch:
                    settle(item.loop, item.future, error=exc)
                continue
            if stored:
                try:
                    self.wake()
                except Exception:  # the rows are safe; processing finds them on its next pass
                    log.exception("event inbox: could not wake processing")
            for item in batch:
                settle(item.loop, item.future)

    def _write(self, batch: list[_Pending]) -> int:
        """Insert the batch's rows (and count the inbox if due) in one transaction; returns
        how many rows were stored."""
        now = self.clock.now()
        rows = [
            {
                "integration": item.integration,
                "signals": item.signals,
                "count": item.count,
                "received_at": now,
            }
            for item in batch
            if item.integration is not None
        ]
        recount = len(rows) < len(batch) or time.monotonic() - self._counted_at >= RECOUNT
        total = None
        with self.database.transaction(urgent=True) as session:
            if rows:
                # A Core insert: one executemany, none of the ORM's unit-of-work costs.
                session.execute(insert(EventInbox.__table__), rows)
            if recount:
                total = session.scalar(select(func.coalesce(func.sum(EventInbox.count), 0)))
        if total is not None:
            self._backlog, self._counted_at = int(total), time.monotonic()
        else:
            self._backlog += sum(row["count"] for row in rows)
        return len(rows)
