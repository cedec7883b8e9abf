"""One interaction pipeline for every chat adapter.

An adapter translates a platform's slash command, button, form or DM into a call here and
shows what comes back; everything in between is the same on every platform:

1. **store** the interaction (`accept`: one insert into `inbound_work`, keyed by the
   platform's delivery identity) *before* acknowledging it, so an acknowledged
   interaction survives a crash and a delivery that arrives twice is kept once;
2. the adapter **acknowledges** (Slack's `ack()`, Discord's defer) and `start`s the work,
   so the platform's 3-second deadline never waits on desk work;
3. **resolve** the person (the adapter's `identify`, which may say the platform cannot
   tell right now);
4. **act once** per delivery identity: the dispatcher stores the identity in the
   command's own transaction, with its reply, so work done again after a crash changes
   nothing twice and still answers;
5. run desk work on a **bounded** thread pool (`run`);
6. answer a typed error with its sentence, and an unexpected one with an error id that
   is both logged and shown (`guard`).

Work a dead process left behind is taken over by `recover` (every process with the
adapter runs `keep_recovering`); see bot/inbound_work.py for the rows' life.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError

from bot import inbound_work
from bot.commands import Reply
from bot.identity import PlatformIdentity
from bot.inbound import first_delivery, forget_delivery
from bot.inbound_work import Work
from bot.logs import command_name
from bot.lull import Lull

log = logging.getLogger(__name__)

T = TypeVar("T")

# How many pieces of desk work (SQL and Python, in threads) run at once. More threads only
# fight the event loop for the GIL, and the loop must keep acknowledging platforms within
# 3 s under a burst; SQLite serialises writes anyway. Network waits are not limited by this.
DESK_THREADS = 2
# Storing an interaction before its acknowledgement has threads of its own: an
# acknowledgement never waits behind desk work.
RECEIPT_THREADS = 2
# How often a process looks for work a dead process left, and purges finished rows.
RECOVER_EVERY = 5.0
PURGE_EVERY = timedelta(hours=1)

Identify = Callable[[], Awaitable[PlatformIdentity]]
Tell = Callable[[str], Awaitable[None]]


class Unidentified(Exception):
    """The platform cannot say who the person is right now; `message` tells them so."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Job:
    """What an adapter does with one kind of stored interaction.

    `run(work)` does it (live, or taken over from a dead process: `work.replay`), and
    `teller(work)` says how to tell the person about an unexpected failure (or None).
    Both work from the stored payload alone: a replay has no platform request object.
    """

    run: Callable[[Work], Awaitable[Any]]
    teller: Callable[[Work], Tell | None] = lambda work: None


def apology(error_id: str) -> str:
    """What a person reads when the desk failed on its side."""
    return f"Something went wrong on my side (error id {error_id}); please try again."


class Pipeline:
    """Runs interactions from one chat platform through the dispatcher."""

    def __init__(self, dispatcher, *, platform: str, threads: int = DESK_THREADS) -> None:
        self.dispatcher = dispatcher
        self.platform = platform
        self.threads = threads
        self.owner = inbound_work.process_owner()
        self.jobs: dict[str, Job] = {}
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._receipts = ThreadPoolExecutor(RECEIPT_THREADS, thread_name_prefix="receipts")
        self._writer = inbound_work.ReceiptWriter(dispatcher.database, dispatcher.clock)
        self._running: set[int] = set()  # ids of stored work this process is doing now
        self.lull = Lull()  # started work holds back while acknowledgements are due
        self._closed = False

    def job(self, name: str, run: Callable[[Work], Awaitable[Any]], teller=None) -> None:
        """Register what to do with stored interactions of kind `name`."""
        self.jobs[name] = Job(run, teller or (lambda work: None))

    async def _receipt(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._receipts, lambda: function(*args, **kwargs))

    async def accept(
        self,
        job: str,
        delivery: str | None,
        payload: dict[str, Any],
        *,
        reply_token: str | None = None,
    ) -> Work | None:
        """Store an interaction (step 1); call before acknowledging it.

        Returns None when this delivery was stored before (the platform sent it twice):
        acknowledge it and do nothing. `delivery` None gets an identity of its own.
        """
        if job not in self.jobs:
            raise LookupError(f"no job {job!r} registered on {self.platform}")
        self.lull.arrived()
        return await self._writer.accept(
            platform=self.platform,
            delivery=delivery or f"anonymous:{uuid.uuid4().hex}",
            job=job,
            payload=payload,
            reply_token=reply_token,
            owner=self.owner,
        )

    def start(self, work: Work) -> asyncio.Task[Any]:
        """Do stored work after the acknowledgement (step 2 onwards)."""
        return self.spawn(self._perform(work), what=work.job, tell=self._teller(work))

    async def perform(self, work: Work) -> None:
        """Do stored work now, in the caller's task (for adapters that answer inline)."""
        await self._perform(work)

    def _teller(self, work: Work) -> Tell | None:
        job = self.jobs.get(work.job)
        return job.teller(work) if job is not None else None

    async def _perform(self, work: Work) -> None:
        database, clock = self.dispatcher.database, self.dispatcher.clock
        if not work.replay:
            await self.lull.wait()
        stale = not work.replay and not work.fresh(clock.now())
        if stale and not await self._receipt(
            inbound_work.take, database, clock, work.id, self.owner
        ):
            return  # its lease ran out while it waited here, and another process took it
        job = self.jobs.get(work.job)
        if job is None:
            log.error("%s: stored work %s has unknown job %r", self.platform, work.id, work.job)
            await self._writer.finish(work.id, self.owner, "failed")
            return
        self._running.add(work.id)
        state = "failed"
        try:
            await job.run(work)
            state = "done"
        except OperationalError:
            # The database went away mid-work: leave the row pending; when its lease runs
            # out it is done again (act-once keeps that from changing anything twice), and
            # the person hears the answer then.
            log.warning(
                "%s: database unavailable during %s; it will be retried", self.platform, work.job
            )
            state = "pending"
        finally:
            self._running.discard(work.id)
            if state != "pending":
                await self._writer.finish(work.id, self.owner, state)

    async def forget(self, work: Work) -> None:
        """Drop stored work that did nothing, so the same delivery is taken if it comes again."""
        database, clock = self.dispatcher.database, self.dispatcher.clock
        await self._receipt(inbound_work.forget, database, clock, work.id)

    async def recover(self, limit: int = 20) -> int:
        """Take over work whose lease ran out (its process died); returns how many."""
        database, clock = self.dispatcher.database, self.dispatcher.clock
        taken, given_up = await self._receipt(
            inbound_work.claim_abandoned,
            database,
            clock,
            platform=self.platform,
            owner=self.owner,
            limit=limit,
        )
        for work in given_up:
            log.error(
                "%s: gave up on %s %s after %d attempts",
                self.platform,
                work.job,
                work.delivery,
                work.attempts - 1,
            )
        for work in taken:
            log.info(
                "%s: taking over %s %s (attempt %d)",
                self.platform,
                work.job,
                work.delivery,
                work.attempts,
            )
            self.start(work)
        return len(taken)

    async def keep_recovering(self, stop: asyncio.Event, every: float = RECOVER_EVERY) -> None:
        """Until `stop`: renew this process's leases, take over abandoned work, purge."""
        database, clock = self.dispatcher.database, self.dispatcher.clock
        purged_at = None
        while not stop.is_set():
            try:
                await self._receipt(
                    inbound_work.renew, database, clock, sorted(self._running), self.owner
                )
                while await self.recover() and not stop.is_set():
                    pass
                if purged_at is None or clock.now() - purged_at >= PURGE_EVERY:
                    await self._receipt(inbound_work.purge, database, clock)
                    purged_at = clock.now()
            except Exception:  # the database may be down: try again next round
                log.warning("%s: looking for abandoned work failed", self.platform, exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
        await self.drain()

    async def run(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run desk work (dispatcher, database) in a thread, at most `threads` at a time."""
        if self._slots is None:  # created in the loop that runs the listeners
            self._slots = asyncio.Semaphore(self.threads)
        async with self._slots:
            return await asyncio.to_thread(function, *args, **kwargs)

    async def command(
        self,
        identify: Identify,
        *,
        argv: list[str] | None = None,
        text: str | None = None,
        delivery: str | None = None,
    ) -> Reply:
        """Resolve the person and run a command once per delivery (steps 3–5)."""
        started = time.monotonic()
        try:
            identity = await identify()
        except Unidentified as exc:
            return Reply(exc.message, ok=False, retry=True)
        key = delivery
        if argv is not None:
            reply = await self.run(self.dispatcher.execute_argv, identity, argv, delivery=key)
        else:
            reply = await self.run(self.dispatcher.execute, identity, text or "", delivery=key)
        # One line per command: its name and who ran it, never its words (bot/logs.py).
        name, person = command_name(argv, text), f"{identity.platform}:{identity.user_id}"
        ms = round((time.monotonic() - started) * 1000, 1)
        log.info(
            "command %s by %s: %s in %s ms",
            name,
            person,
            "ok" if reply.ok else "not ok",
            ms,
            extra={"command": name, "person": person, "ok": reply.ok, "ms": ms},
        )
        return reply

    async def act(
        self,
        identify: Identify,
        work: Callable[[Any, Any], Reply],
        *,
        delivery: str | None = None,
    ) -> Reply:
        """Resolve the person and run `work(ctx, actor)` once per delivery, as `command` does
        (for what is not a command: a chat message marked for a timeline, bot/chat_marks.py)."""
        try:
            identity = await identify()
        except Unidentified as exc:
            return Reply(exc.message, ok=False, retry=True)
        return await self.run(self.dispatcher.perform, identity, work, delivery=delivery)

    async def refusal(
        self, identify: Identify, subject_type: str, action: str, budget: float
    ) -> str | None:
        """Why the person may not take `action`, if the desk can say so within `budget` s.

        Used before opening a form, so nobody fills one in vain. A slower check goes on in
        the background (it may create the person) and its answer is dropped; either way
        the command checks again when the form is submitted.
        """
        verdict: list[str | None] = []

        async def check() -> None:
            try:
                identity = await identify()
            except Unidentified as exc:
                verdict.append(exc.message)
                return
            verdict.append(await self.run(self.dispatcher.refusal, identity, action, subject_type))

        await asyncio.wait({self.spawn(check())}, timeout=budget)
        return verdict[0] if verdict else None

    async def once(self, key: str, work: Callable[[Callable[[], None]], Awaitable[Any]]) -> bool:
        """Run `work(keep)` unless `key` is taken; False (and nothing run) if it was.

        For work of several steps (open an incident from a DM, then remember the thread): the
        key is taken before the work starts, so a second press arriving meanwhile (on any
        replica) is turned away. The work calls `keep()` as soon as what the key stands for
        has happened; otherwise, when it ends or fails, the key is given back, so a failed
        attempt can simply be repeated.
        """
        database, clock = self.dispatcher.database, self.dispatcher.clock
        if not await self.run(first_delivery, database, clock, self.platform, key):
            return False
        kept = False

        def keep() -> None:
            nonlocal kept
            kept = True

        try:
            await work(keep)
        finally:
            if not kept:
                await self.run(forget_delivery, database, self.platform, key)
        return True

    async def guard(self, what: str, work: Awaitable[Any], tell: Tell | None = None) -> None:
        """Await `work`; an unexpected error is logged with an id that `tell` shows too."""
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("%s %s failed (error id %s)", self.platform, what, error_id)
            if tell is not None:
                try:
                    await tell(apology(error_id))
                except Exception:  # the person may just not hear about it; the log has it
                    log.warning("%s: could not report error %s", self.platform, error_id)

    def spawn(
        self, work: Coroutine[Any, Any, Any], *, what: str = "request", tell: Tell | None = None
    ) -> asyncio.Task[Any]:
        """Run `work` after the acknowledgement, guarded; tracked until it ends (`drain`)."""
        task = asyncio.ensure_future(self.guard(what, work, tell))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def pending(self) -> int:
        """How many started pieces of work have not finished yet."""
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:
        """Let started work finish (up to `timeout` seconds); hand back what is left.

        Work still running then is cancelled and its rows released at once, so another
        process takes it over without waiting for the lease; nothing waits when nothing
        runs.
        """
        if self._closed:
            return
        self._closed = True
        tasks = [t for t in self._tasks if not t.done()]
        left: set[asyncio.Task[Any]] = set()
        if tasks:
            _, left = await asyncio.wait(tasks, timeout=timeout)
        unfinished = sorted(self._running)
        for task in left:
            task.cancel()
        if left:
            log.warning(
                "%s: %d request(s) still running at shutdown; handed to another process",
                self.platform,
                len(left),
            )
        try:
            if unfinished:
                await self._receipt(
                    inbound_work.hand_back,
                    self.dispatcher.database,
                    self.dispatcher.clock,
                    unfinished,
                    self.owner,
                )
        finally:
            self._receipts.shutdown(wait=False)
            await asyncio.to_thread(self._writer.close)
