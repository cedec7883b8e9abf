"""The worker: fires due timers and delivers the outbox, in loops that share one wake-up."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.event_processing import EventProcessing
from bot.identity import BY_NAME
from bot.outbox import OutboxDelivery, wait_for_work
from domain import timers
from domain.context import DeskContext, PendingRows
from domain.directory import DirectoryFactory
from domain.records import Timer

# Timers claimed and fired per transaction: large enough that thousands due at one instant
# cost few round trips, small enough that a batch holds its rows only briefly.
BATCH = 200
# How soon to look again at a timer that is due but whose subject another transaction holds.
BUSY_RETRY = 0.05

log = logging.getLogger(__name__)


class TimerWorker:
    """Fires timers that fell due, in batches; a failing handler undoes only its own timer."""

    def __init__(
        self,
        *,
        database,
        policy,
        clock,
        platforms: tuple[str, ...],
        by_name: frozenset[str] = BY_NAME,
        directory: DirectoryFactory | None = None,
        batch_size: int = BATCH,
        audit_key: bytes | None = None,
    ) -> None:
        self.database = database
        self.policy = policy
        self.clock = clock
        self.platforms = platforms
        self.by_name = by_name
        self.directory = directory
        self.batch_size = batch_size
        self.audit_key = audit_key

    def seconds_to_next(self) -> float | None:
        """How long until the next pending timer falls due (negative if one is overdue,
        its subject busy); None when no timer is pending."""
        with self.database.transaction() as session:
            due = session.scalar(select(func.min(Timer.due_at)).where(Timer.state == "pending"))
        if due is None:
            return None
        if due.tzinfo is None:  # SQLite hands back naive UTC
            due = due.replace(tzinfo=UTC)
        return (due - self.clock.now()).total_seconds()

    def run_due(self, limit: int = 5000) -> int:
        """Fire due timers (up to about `limit`); returns how many fired."""
        fired = 0
        while fired < limit:
            try:
                done, claimed = self._run_batch()
            except OperationalError:
                # Deadlock victim, lock timeout, lost connection: the batch rolled back, its
                # timers are still pending, and the next pass tries again.
                log.warning("timers: database busy or unreachable; retrying", exc_info=True)
                return fired
            fired += done
            if claimed < self.batch_size or done == 0:
                return fired  # nothing more is due, or only timers whose subject is busy
        return fired

    def _run_batch(self) -> tuple[int, int]:
        """Claim one batch and fire it in one transaction: (fired, claimed)."""
        with self.database.transaction() as session:
            # Timeline entries and outbox rows are held and inserted per table in one go:
            # a burst of thousands of timers is mostly those rows.
            pending = PendingRows()
            ctx = DeskContext(
                session,
                self.policy,
                self.clock,
                self.platforms,
                by_name=self.by_name,
                pending_rows=pending,
                directory=self.directory(session) if self.directory else None,
                audit_key=self.audit_key,
            )
            batch = timers.claim_due(ctx, self.batch_size)
            if not batch:
                return 0, 0
            subjects = timers.load_subjects(ctx, batch)
            # The quick way first: the whole batch in one savepoint, one flush. If any
            # handler fails, that is rolled back and each timer fires in a savepoint of its
            # own, so only the failing one is lost (and marked failed).
            try:
                with session.begin_nested():
                    fired = self._fire_all(ctx, batch, subjects)
                    timers.mark_fired(ctx, fired)
                    pending.write(session)
                    session.flush()
                return len(fired), len(batch)
            except OperationalError:
                raise
            except Exception:
                pending.discard()
                log.info("timers: a handler failed; firing this batch one by one")
            done = 0
            for timer in batch:
                try:
                    with session.begin_nested():
                        if self._fire(ctx, timer, subjects):
                            timers.mark_fired(ctx, [timer])
                            done += 1
                        pending.write(session)
                        session.flush()
                except OperationalError:
                    raise
                except Exception:
                    pending.discard()
                    log.exception(
                        "timer %s (%s) failed; it is marked failed and will not fire again",
                        timer.id,
                        timer.kind,
                    )
                    timer.state = "failed"
            return done, len(batch)

    def _fire_all(self, ctx: DeskContext, batch: list, subjects: dict) -> list:
        """Fire a batch in due order; kinds with a batch handler go together after the
        rest (a grant's last reminder before its expiry). Returns the timers fired."""
        fired, together = [], defaultdict(list)
        for timer in batch:
            subject = subjects.get((timer.subject_type, timer.subject_id))
            if timer.kind in timers.BATCH_HANDLERS and subject not in (None, timers.GONE):
                together[timer.kind].append((timer, subject))
            elif self._fire(ctx, timer, subjects):
                fired.append(timer)
        for kind, due in together.items():
            timers.fire_batch(ctx, kind, due)
            fired += [timer for timer, _ in due]
        return fired

    @staticmethod
    def _fire(ctx: DeskContext, timer, subjects: dict) -> bool:
        subject = subjects.get((timer.subject_type, timer.subject_id))
        try:
            timers.fire(ctx, timer, subject)
        except timers.SubjectBusy:
            return False  # a command holds it: a later pass fires it
        return True


class Worker:
    """Runs the timer loop and each platform's delivery until stopped.

    Timers, and deliveries that keep one stream (the console), go in passes; every other
    platform's lanes are delivered side by side (`OutboxDelivery.keep_delivering`), so a
    paced channel never holds up a timer or another channel.
    """

    def __init__(
        self,
        timers: TimerWorker,
        deliveries: list[OutboxDelivery],
        poll_interval: float = 1.0,
        events: EventProcessing | None = None,
    ) -> None:
        self.timers = timers
        self.deliveries = deliveries
        self.events = events
        self.poll_interval = poll_interval
        self._wakes: list[asyncio.Event] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._overdue_waits = 0  # idle passes in a row that found an overdue timer busy

    def wake(self) -> None:
        """Ask the loops to look for work now (thread-safe; called after each commit)."""
        if self._loop is not None and not self._loop.is_closed():
            for wake in self._wakes:
                self._loop.call_soon_threadsafe(wake.set)

    async def run_once(self) -> int:
        """One pass: fire due timers, then deliver what is due. Returns work done."""
        done = await asyncio.to_thread(self.timers.run_due)
        if self.events is not None:
            done += await asyncio.to_thread(self.events.run_all)
        for delivery in self.deliveries:
            done += await delivery.deliver_once()
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until `stop` is set; an error in one pass is logged and the loop goes on."""
        self._loop = asyncio.get_running_loop()
        in_passes = [d for d in self.deliveries if not d.lanes_apart]
        loops = [self._passes(stop, in_passes, self._new_wake())]
        loops += [
            delivery.keep_delivering(stop, self._new_wake(), self.poll_interval)
            for delivery in self.deliveries
            if delivery.lanes_apart
        ]
        if self.events is not None:  # events never wait behind timers or deliveries
            loops.append(self.events.keep_processing(stop, self._new_wake(), self.poll_interval))
        try:
            await asyncio.gather(*loops)
        finally:
            for delivery in self.deliveries:
                await delivery.close()

    async def _idle_for(self) -> float:
        try:
            ahead = await asyncio.to_thread(self.timers.seconds_to_next)
        except OperationalError:
            return self.poll_interval
        if ahead is None or ahead > 0:
            self._overdue_waits = 0
            return self.poll_interval if ahead is None else min(self.poll_interval, ahead)
        # Overdue and not fired: its subject is busy. Look again soon, then less and less
        # often (a subject held for long must not keep the loop spinning).
        wait = min(self.poll_interval, BUSY_RETRY * 2**self._overdue_waits)
        self._overdue_waits += 1
        return wait

    def _new_wake(self) -> asyncio.Event:
        wake = asyncio.Event()
        self._wakes.append(wake)
        return wake

    async def _passes(
        self, stop: asyncio.Event, deliveries: list[OutboxDelivery], wake: asyncio.Event
    ) -> None:
        while not stop.is_set():
            try:
                done = await asyncio.to_thread(self.timers.run_due)
                for delivery in deliveries:
                    done += await delivery.deliver_once()
            except Exception:
                log.exception("worker pass failed; retrying")
                done = 0
            if done:
                continue
            # Sleep until the next timer falls due (an escalation step is on time), a commit
            # wakes the loop, or the poll interval passes (deliveries' retries).
            await wait_for_work(wake, stop, await self._idle_for())
