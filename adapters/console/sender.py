"""Console delivery: channel posts print as [#channel] text, DMs as [DM @name] text."""

from __future__ import annotations

from typing import TextIO

from bot.outbox import OutboundMessage


class ConsoleSender:
    """Prints outbox messages to a text stream."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def send(self, message: OutboundMessage) -> str | None:
        prefix = (
            f"[#{message.address}]"
            if message.destination_kind == "channel"
            else f"[DM @{message.address}]"
        )
        text = message.text()
        self.out.write(f"{prefix} {text}\n")
        self.out.flush()
        return None
