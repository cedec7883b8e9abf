"""Draining the event inbox: signals accepted over HTTP become events and incidents.

One loop per worker process; processing holds the events lock (domain.events.lock), so
replicas take turns rather than race. A request whose signals make processing fail is
retried alone; failing alone too, it is dropped and logged, so one bad request never
holds up the ones behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import select

from bot.outbox import wait_for_work
from domain import events
from domain.events.records import EventInbox

log = logging.getLogger(__name__)

# Signals per transaction: a few Alertmanager groups' worth. Larger batches write fewer
# statements per signal; smaller ones hold the events lock less long.
BATCH = 5000


class EventProcessing:
    """Processes the inbox in batches with the desk's rules (a dispatcher's unit of work)."""

    def __init__(self, dispatcher, after_commit: Callable[[], None] = lambda: None) -> None:
        self.dispatcher = dispatcher
        self.after_commit = after_commit
        self.batch = BATCH

    def run_once(self) -> int:
        """Process one batch; returns the signals done (0: the inbox was empty)."""
        try:
            with self.dispatcher.unit_of_work() as ctx:
                done = events.process_inbox(ctx, self.batch)
        except Exception:
            log.exception("events: a batch failed; retrying its oldest request alone")
            done = self._one_alone()
        if done:
            self.after_commit()
        return done

    def run_all(self) -> int:
        """Process until the inbox is empty (the console and tests)."""
        total = 0
        while done := self.run_once():
            total += done
        return total

    def _one_alone(self) -> int:
        try:
            with self.dispatcher.unit_of_work() as ctx:
                return events.process_inbox(ctx, 1) or 1
        except Exception:
            pass
        with self.dispatcher.unit_of_work() as ctx:
            row = ctx.session.scalar(select(EventInbox).order_by(EventInbox.id).limit(1))
            if row is None:
                return 0
            log.error(
                "events: request %d from %s (%d signals) cannot be processed; dropped",
                row.id,
                row.integration,
                row.count,
            )
            ctx.session.delete(row)
        return 1

    async def keep_processing(self, stop: asyncio.Event, wake: asyncio.Event, poll: float) -> None:
        """Process whenever something arrives (woken by the intake) until `stop`."""
        while not stop.is_set():
            try:
                done = await asyncio.to_thread(self.run_once)
            except Exception:
                log.exception("events: processing failed; retrying")
                done = 0
            if not done:
                await wait_for_work(wake, stop, poll)
