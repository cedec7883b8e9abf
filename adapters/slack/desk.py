"""What every Slack listener works with: the shared pipeline, people, replies and forms.

Listeners store their interaction (`accept`), acknowledge, then `start` it; the pipeline
(bot/pipeline.py) keeps the stored work until it is done, resolves the person, acts once per
delivery and runs desk work on its bounded threads. This class only adds what is Slack's:
who a Slack user is, where to show a reply, and how to rebuild the asker from a stored row
(after a crash, in another process, perhaps after their response_url has expired).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.asker import Asker, Replies
from adapters.slack.errors import slack_error
from adapters.slack.people import SlackPeople, SlackUnavailable
from bot.commands import Reply
from bot.identity import PlatformIdentity
from bot.inbound_work import Work
from bot.pipeline import Pipeline, Unidentified
from domain.policy import DeskPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")

# Slack accepts posts to a response_url for 30 minutes; after that a replay answers by DM.
RESPONSE_URL_LIFE = timedelta(minutes=29)
SlackJob = Callable[["Asker", Work], Awaitable[Any]]


@dataclass
class SlackDesk:
    """The service desk as Slack listeners see it."""

    client: AsyncWebClient
    pipeline: Pipeline
    people: SlackPeople
    replies: Replies
    policy: DeskPolicy

    @property
    def dispatcher(self):
        return self.pipeline.dispatcher

    async def run(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run desk work in the pipeline's bounded threads."""
        return await self.pipeline.run(function, *args, **kwargs)

    def job(self, name: str, run: SlackJob) -> None:
        """Register what to do with stored interactions of kind `name`: `run(asker, work)`."""

        async def perform(work: Work) -> None:
            await run(self.asker_of(work), work)

        def teller(work: Work):
            asker = self.asker_of(work)
            return lambda text: self.replies.tell(asker, text)

        self.pipeline.job(name, perform, teller)

    async def accept(
        self, job: str, delivery: str | None, asker: Asker, **payload: Any
    ) -> Work | None:
        """Store an interaction of `asker` before acknowledging it (None: a repeat delivery).

        The response_url is kept apart from the payload and cleared once the work is done.
        """
        data = {"asker": Asker(asker.user_id, asker.channel_id, home=asker.home).to_metadata()}
        return await self.pipeline.accept(
            job, delivery, data | payload, reply_token=asker.response_url
        )

    def start(self, work: Work | None) -> None:
        """Do stored work after the acknowledgement (nothing for a repeat delivery)."""
        if work is not None:
            self.pipeline.start(work)

    def asker_of(self, work: Work) -> Asker:
        """Who is waiting for this stored work's answer, and whether their hook still works."""
        fresh = self.dispatcher.clock.now() - work.received_at < RESPONSE_URL_LIFE
        data = work.payload.get("asker") or {}
        return Asker(
            user_id=str(data.get("user_id", "")),
            channel_id=data.get("channel_id"),
            response_url=work.reply_token if fresh else None,
            home=bool(data.get("home")),
        )

    def spawn(self, work: Coroutine[Any, Any, Any], asker: Asker | None = None) -> None:
        """Do `work` after the acknowledgement; an unexpected failure is shown to `asker`."""

        async def tell(text: str) -> None:
            if asker is not None:
                await self.replies.tell(asker, text)

        self.pipeline.spawn(work, what="request", tell=tell)

    async def open_form(
        self, asker: Asker, trigger_id: str | None, view: dict[str, Any], *, typed: str
    ) -> None:
        """Open a modal; if Slack will not, tell the asker why and how to type it instead."""
        if not trigger_id:
            await self.replies.tell(asker, form_refused("expired_trigger_id", typed))
            return
        try:
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            error = slack_error(exc)
            log.warning("slack: could not open a form (%s)", error or "no error code")
            await self.replies.tell(asker, form_refused(error, typed))

    def identify(self, asker: Asker, username: str | None = None):
        """The pipeline's `identify` for this asker: Slack's user, or Unidentified."""

        async def identify() -> PlatformIdentity:
            try:
                return await self.people.identity(asker.user_id, username)
            except SlackUnavailable as exc:
                raise Unidentified(exc.message) from exc

        return identify

    async def identity(self, asker: Asker, username: str | None = None) -> PlatformIdentity | None:
        """Who the asker is for the desk; None (after telling them) if Slack cannot say now."""
        try:
            return await self.identify(asker, username)()
        except Unidentified as exc:
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
        work: Work | None = None,
    ) -> Reply:
        """Run a command for the asker through the pipeline, once per stored `work`; show the
        reply unless `tell` is off. Work taken over after a crash answers again with what
        the command said the first time, in case the person never heard it."""
        reply = await self.pipeline.command(
            self.identify(asker, username),
            argv=argv,
            text=text,
            delivery=work.delivery if work is not None else None,
        )
        if work is not None and reply.retry:
            await self.pipeline.forget(work)
        if tell and (not reply.duplicate or (work is not None and work.replay)):
            await self.replies.tell(asker, reply.text)
        return reply

    async def once(self, key: str, work: Callable[[Callable[[], None]], Awaitable[Any]]) -> bool:
        """Run `work(keep)` unless `key` is taken (see Pipeline.once)."""
        return await self.pipeline.once(key, work)


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
