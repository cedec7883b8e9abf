"""Console delivery: channel posts print as [#channel] text, DMs as [DM @name] text."""

from __future__ import annotations

import asyncio
from typing import TextIO

from bot.outbox import OutboundMessage


class ConsoleSender:
    """Prints outbox messages to a text stream."""

    def __init__(self, out: TextIO, turn: asyncio.Lock | None = None) -> None:
        self.out = out
        # Held by the session while a command runs, so a reply prints before what it caused.
        self.turn = turn or asyncio.Lock()

    async def send(self, message: OutboundMessage) -> str | None:
        async with self.turn:
            return self._print(message)

    def _print(self, message: OutboundMessage) -> None:
        prefix = (
            f"[DM @{message.address}]"
            if message.destination_kind == "dm"
            else f"[#{message.address}]"  # a configured channel or the subject's room
        )
        text = message.text()
        self.out.write(f"{prefix} {text}\n")
        self.out.flush()
        return None
