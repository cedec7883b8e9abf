"""Background work waits for a lull in acknowledgements, within a bound.

A process has one interpreter lock: desk work running in a thread slows the event loop
that acknowledges the platform, and Slack gives up on an acknowledgement after 3 seconds.
Work is stored before it is acknowledged, so it can wait: while interactions keep
arriving (less than `gap` apart), background work holds back, and starts once they stop,
or after `longest` seconds whatever happens, so a storm that never ends delays answers
but never starves them.
"""

from __future__ import annotations

import asyncio
import contextlib

GAP = 0.02  # seconds without an arrival that count as a lull
LONGEST = 10.0  # seconds a piece of work waits at most


class Lull:
    """Tracks arrivals; `wait()` returns at the next lull (or after `longest` seconds)."""

    def __init__(self, gap: float = GAP, longest: float = LONGEST) -> None:
        self.gap = gap
        self.longest = longest
        self._last = float("-inf")
        self._calm: asyncio.Event | None = None
        self._watcher: asyncio.Task[None] | None = None

    def arrived(self) -> None:
        """An interaction arrived (call on the event loop, before acknowledging it)."""
        self._last = asyncio.get_running_loop().time()
        if self._calm is not None:
            self._calm.clear()

    def busy(self) -> bool:
        """True while interactions keep arriving."""
        return asyncio.get_running_loop().time() - self._last < self.gap

    async def wait(self) -> None:
        """Return once arrivals pause for `gap` seconds, or after `longest` seconds."""
        if not self.busy():
            return
        if self._calm is None:  # made in the loop that runs the work
            self._calm = asyncio.Event()
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.ensure_future(self._watch())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.longest):
                await self._calm.wait()

    async def _watch(self) -> None:
        # One task watches for the lull and wakes every waiter at once: each waiter
        # polling on its own would cost the loop more than the work it is waiting for.
        loop = asyncio.get_running_loop()
        while (left := self._last + self.gap - loop.time()) > 0:
            await asyncio.sleep(left)
        assert self._calm is not None
        self._calm.set()
