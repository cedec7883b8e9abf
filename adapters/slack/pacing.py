"""About one message per second per channel: Slack's posting limit, kept before it bites."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

PRUNE_AT = 2000


class ChannelPacer:
    """Hands out posting slots per channel, `interval` seconds apart."""

    def __init__(
        self,
        interval: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}

    async def wait_turn(self, channel: str) -> None:
        """Return when `channel` may receive its next message."""
        if self.interval <= 0:
            return
        now = self.clock()
        # Reserve the slot before sleeping, so concurrent senders queue up behind it.
        slot = max(now, self._next.get(channel, now))
        self._next[channel] = slot + self.interval
        if len(self._next) > PRUNE_AT:
            self._next = {c: t for c, t in self._next.items() if t > now}
        if slot > now:
            await self.sleep(slot - now)
