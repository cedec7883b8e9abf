"""What every Slack listener works with: the dispatcher, people, replies and background work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.asker import Asker, Replies
from adapters.slack.background import Background
from adapters.slack.errors import slack_error
from adapters.slack.people import SlackPeople, SlackUnavailable
from bot.dispatcher import Dispatcher, Reply
from bot.identity import PlatformIdentity
from bot.inbound import first_delivery, forget_delivery
from domain.clock import Clock
from domain.policy import DeskPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")


# How many pieces of desk work (SQL and Python, in threads) run at once. More threads only
# fight the event loop for the GIL, and the loop must keep acknowledging Slack within 3 s
# under a burst; SQLite serialises writes anyway. Network waits are not limited by this.
DESK_THREADS = 2


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
    _slots: asyncio.Semaphore | None = field(default=None, init=False, repr=False)

    async def run(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run desk work (dispatcher, database) in a thread, at most DESK_THREADS at a time."""
        if self._slots is None:  # created in the loop that runs the listeners
            self._slots = asyncio.Semaphore(DESK_THREADS)
        async with self._slots:
            return await asyncio.to_thread(function, *args, **kwargs)

    def spawn(self, work: Coroutine[Any, Any, Any], asker: Asker | None = None) -> None:
        """Do `work` after the acknowledgement; an unexpected failure is shown to `asker`."""

        async def report(error_id: str) -> None:
            if asker is not None:
                await self.replies.tell(
                    asker,
                    f"Something went wrong on my side (error id {error_id}). Please try again.",
                )

        self.background.spawn(work, on_error=report)

    async def open_form(
        self, asker: Asker, trigger_id: str, view: dict[str, Any], *, typed: str
    ) -> None:
        """Open a modal; if Slack will not, tell the asker why and how to type it instead."""
        try:
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            error = slack_error(exc)
            log.warning("slack: could not open a form (%s)", error or "no error code")
            await self.replies.tell(asker, form_refused(error, typed))

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
            reply = await self.run(self.dispatcher.execute_argv, identity, argv)
        else:
            reply = await self.run(self.dispatcher.execute, identity, text or "")
        if tell:
            await self.replies.tell(asker, reply.text)
        return reply

    async def first_time(self, key: str) -> bool:
        """True the first time `key` (an event id, a submitted view…) is seen."""
        return await self.run(first_delivery, self.database, self.clock, "slack", key)

    async def once(self, key: str, work: Callable[[Callable[[], None]], Awaitable[Any]]) -> bool:
        """Run `work(keep)` unless `key` is taken; False (and nothing run) if it was.

        The key is taken before the work starts, so a second press or submission arriving
        meanwhile (on any replica) is turned away. The work calls `keep()` as soon as what
        the key stands for has happened (the incident exists); otherwise, when it ends or
        fails, the key is given back, so a failed attempt (Slack could not say who someone
        is, the desk said no) can simply be repeated.
        """
        if not await self.first_time(key):
            return False
        kept = False

        def keep() -> None:
            nonlocal kept
            kept = True

        try:
            await work(keep)
        finally:
            if not kept:
                await self.run(forget_delivery, self.database, "slack", key)
        return True


def form_refused(error: str | None, typed: str) -> str:
    """What to tell someone whose form Slack would not open (`typed`: the command instead)."""
    if error == "expired_trigger_id":
        why = (
            "The form could not open in time: Slack allows 3 seconds after a click, "
            "and I was busy just now."
        )
    else:
        why = f"Slack would not open the form ({error or 'no reason given'})."
    return f"{why} Please try again, or type it instead: {typed}"
