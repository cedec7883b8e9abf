"""The worker: fires due timers and delivers the outbox, in loops that share one wake-up."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import OperationalError

from bot.outbox import OutboxDelivery
from domain.context import DeskContext
from domain.records import Timer
from domain.timers import claim_due_timer, fire_timer

log = logging.getLogger(__name__)


class TimerWorker:
    """Fires timers that fell due, one transaction each, so a failure stops only itself."""

    def __init__(self, *, database, policy, clock, platforms: tuple[str, ...]) -> None:
        self.database = database
        self.policy = policy
        self.clock = clock
        self.platforms = platforms

    def run_due(self, limit: int = 500) -> int:
        """Fire every due timer (up to `limit`); returns how many fired."""
        fired = 0
        while fired < limit:
            timer_id = None
            try:
                with self.database.transaction() as session:
                    ctx = DeskContext(session, self.policy, self.clock, self.platforms)
                    timer = claim_due_timer(ctx)
                    if timer is None:
                        return fired
                    timer_id = timer.id
                    fire_timer(ctx, timer)
            except OperationalError:
                # Deadlock victim, lock timeout, lost connection: the timer is still
                # pending (the transaction rolled back) and the next pass tries again.
                log.warning("timers: database busy or unreachable; retrying", exc_info=True)
                return fired
            except Exception:
                if timer_id is None:
                    raise
                log.exception(
                    "timer %s failed; it is marked failed and will not fire again", timer_id
                )
                with self.database.transaction() as session:
                    failed = session.get(Timer, timer_id)
                    if failed is not None:
                        failed.state = "failed"
            fired += 1
        return fired


class Worker:
    """Runs the timer loop and one delivery loop per platform until stopped."""

    def __init__(
        self, timers: TimerWorker, deliveries: list[OutboxDelivery], poll_interval: float = 1.0
    ) -> None:
        self.timers = timers
        self.deliveries = deliveries
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Ask the loops to look for work now (thread-safe; called after each commit)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run_once(self) -> int:
        """One pass: fire due timers, then deliver what is due. Returns work done."""
        done = await asyncio.to_thread(self.timers.run_due)
        for delivery in self.deliveries:
            done += await delivery.deliver_once()
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until `stop` is set; an error in one pass is logged and the loop goes on."""
        self._loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:
                log.exception("worker pass failed; retrying")
                done = 0
            if done:
                continue
            self._wake.clear()
            waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(
                waits, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
            for w in waits:
                w.cancel()
