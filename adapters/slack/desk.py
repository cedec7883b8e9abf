"""What every Slack listener works with: the dispatcher, people, replies and background work."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.asker import Asker, Replies
from adapters.slack.background import Background
from adapters.slack.people import SlackPeople, SlackUnavailable
from bot.dispatcher import Dispatcher, Reply
from bot.identity import PlatformIdentity
from bot.inbound import first_delivery
from domain.clock import Clock
from domain.policy import DeskPolicy


@dataclass
class SlackDesk:
    """The service desk as Slack listeners see it."""

    client: AsyncWebClient
    dispatcher: Dispatcher
    people: SlackPeople
    replies: Replies
    background: Background
    database: Any
    clock: Clock
    policy: DeskPolicy

    def spawn(self, work: Coroutine[Any, Any, Any], asker: Asker | None = None) -> None:
        """Do `work` after the acknowledgement; an unexpected failure is shown to `asker`."""

        async def report(error_id: str) -> None:
            if asker is not None:
                await self.replies.tell(
                    asker,
                    f"Something went wrong on my side (error id {error_id}). Please try again.",
                )

        self.background.spawn(work, on_error=report)

    async def identity(self, asker: Asker, username: str | None = None) -> PlatformIdentity | None:
        """Who the asker is for the desk; None (after telling them) if Slack cannot say now."""
        try:
            return await self.people.identity(asker.user_id, username)
        except SlackUnavailable as exc:
            await self.replies.tell(asker, exc.message)
            return None

    async def execute(
        self,
        asker: Asker,
        *,
        text: str | None = None,
        argv: list[str] | None = None,
        username: str | None = None,
        tell: bool = True,
    ) -> Reply | None:
        """Run a command for the asker through the shared grammar; show the reply unless `tell` is off."""
        identity = await self.identity(asker, username)
        if identity is None:
            return None
        if argv is not None:
            reply = await asyncio.to_thread(self.dispatcher.execute_argv, identity, argv)
        else:
            reply = await asyncio.to_thread(self.dispatcher.execute, identity, text or "")
        if tell:
            await self.replies.tell(asker, reply.text, private=reply.private)
        return reply

    async def first_time(self, key: str) -> bool:
        """True the first time `key` (an event id, a submitted view…) is seen."""
        return await asyncio.to_thread(first_delivery, self.database, self.clock, "slack", key)
