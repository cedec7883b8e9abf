"""One interaction pipeline for every chat adapter.

An adapter translates a platform's slash command, button, form or DM into a call here and
shows what comes back; everything in between is the same on every platform:

1. **record** the delivery (`DeliveryLog.received`: today in memory; the seam where a
   durable record will be written before the acknowledgement);
2. the adapter **acknowledges** (Slack's `ack()`, Discord's defer) and `spawn`s the work,
   so the platform's 3-second deadline never waits on desk work;
3. **resolve** the person (the adapter's `identify`, which may say the platform cannot
   tell right now);
4. **act once** per delivery identity: the dispatcher stores the identity in the
   command's own transaction, so a delivery that arrives twice changes nothing twice;
5. run desk work on a **bounded** thread pool (`run`);
6. answer a typed error with its sentence, and an unexpected one with an error id that
   is both logged and shown (`guard`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from bot.commands import Reply
from bot.identity import PlatformIdentity
from bot.inbound import first_delivery, forget_delivery

log = logging.getLogger(__name__)

T = TypeVar("T")

# How many pieces of desk work (SQL and Python, in threads) run at once. More threads only
# fight the event loop for the GIL, and the loop must keep acknowledging platforms within
# 3 s under a burst; SQLite serialises writes anyway. Network waits are not limited by this.
DESK_THREADS = 2

Identify = Callable[[], Awaitable[PlatformIdentity]]
Tell = Callable[[str], Awaitable[None]]


class Unidentified(Exception):
    """The platform cannot say who the person is right now; `message` tells them so."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Delivery:
    """One inbound interaction as its platform identifies it.

    `key` is the delivery identity acted on once: a Slack slash command by its trigger id,
    a button by action, message and press time, a Discord interaction by its id. None for
    deliveries that have no identity (a typed console line).
    """

    platform: str
    kind: str  # "command", "button", "form", "message"
    key: str | None = None


class DeliveryLog(Protocol):
    """Where inbound deliveries are recorded before they are acknowledged."""

    def received(self, delivery: Delivery) -> None: ...


class InMemoryLog:
    """Records nothing durable: a crash after the acknowledgement loses the delivery.

    The reliability work replaces this with a table written before the acknowledgement.
    """

    def received(self, delivery: Delivery) -> None:
        log.debug("%s %s received", delivery.platform, delivery.kind)


def apology(error_id: str) -> str:
    """What a person reads when the desk failed on its side."""
    return f"Something went wrong on my side (error id {error_id}); please try again."


class Pipeline:
    """Runs interactions from one chat platform through the dispatcher."""

    def __init__(
        self,
        dispatcher,
        *,
        platform: str,
        threads: int = DESK_THREADS,
        deliveries: DeliveryLog | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.platform = platform
        self.threads = threads
        self.deliveries = deliveries or InMemoryLog()
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def received(self, kind: str, key: str | None = None) -> Delivery:
        """Record a delivery (step 1); call before acknowledging it."""
        delivery = Delivery(self.platform, kind, key)
        self.deliveries.received(delivery)
        return delivery

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
        delivery: Delivery | None = None,
    ) -> Reply:
        """Resolve the person and run a command once per delivery (steps 3–5)."""
        try:
            identity = await identify()
        except Unidentified as exc:
            return Reply(exc.message, ok=False)
        key = delivery.key if delivery is not None else None
        if argv is not None:
            return await self.run(self.dispatcher.execute_argv, identity, argv, delivery=key)
        return await self.run(self.dispatcher.execute, identity, text or "", delivery=key)

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

    async def first_time(self, key: str) -> bool:
        """True the first time `key` (an event id…) is seen on this platform."""
        database, clock = self.dispatcher.database, self.dispatcher.clock
        return await self.run(first_delivery, database, clock, self.platform, key)

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
        """Let started work finish (up to `timeout` seconds), then cancel what is left."""
        tasks = [t for t in self._tasks if not t.done()]
        if not tasks:
            return
        _, left = await asyncio.wait(tasks, timeout=timeout)
        for task in left:
            task.cancel()
        if left:
            log.warning(
                "%s: %d request(s) were still running at shutdown and were cancelled",
                self.platform,
                len(left),
            )
