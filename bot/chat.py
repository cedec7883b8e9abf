"""What a chat platform adapter offers the bot: routes, a sender, and a connection loop."""

from __future__ import annotations

import asyncio
from typing import Protocol

from starlette.routing import BaseRoute

from bot.outbox import Sender
from bot.pipeline import Pipeline


class ChatAdapter(Protocol):
    """One chat platform, plugged into a deskbot process."""

    platform: str  # "slack" or "discord": the outbox rows it delivers
    pipeline: Pipeline  # its interactions: stored, acted on once, taken over after a crash

    def routes(self) -> list[BaseRoute]:
        """HTTP routes to mount on the web server (empty when the platform needs none)."""
        ...

    def sender(self) -> Sender:
        """Delivers this platform's outbox rows."""
        ...

    async def run(self, stop: asyncio.Event) -> None:
        """Hold the platform's live connection (Socket Mode, gateway) until `stop` is set."""
        ...
