"""The Slack adapter as deskbot sees it: HTTP routes, an outbox sender, and Socket Mode."""

from __future__ import annotations

import asyncio

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.slack import gate
from adapters.slack.app import build_app
from adapters.slack.asker import Asker, Replies
from adapters.slack.desk import SlackDesk
from adapters.slack.home import HomeTab
from adapters.slack.pacing import ChannelPacer
from adapters.slack.people import SlackPeople
from adapters.slack.sender import SlackSender
from adapters.slack.socket_mode import run_socket_mode
from bot.pipeline import Pipeline

SLACK_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"


def web_client(token: str | None, api_url: str | None, *, retries: bool) -> AsyncWebClient:
    """A Web API client on SLACK_API_URL (Slack's own when unset).

    Interactive calls retry once on a connection error, 429 or 5xx; the outbox client does
    not retry by itself, because the outbox records each attempt and schedules the next.
    """
    handlers = (
        [
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ]
        if retries
        else []
    )
    return AsyncWebClient(
        token=token, base_url=api_url or SLACK_API_URL, timeout=10, retry_handlers=handlers
    )


class SlackAdapter:
    """Slash commands, buttons, modals, DMs and App Home in; outbox notifications out."""

    platform = "slack"

    def __init__(self, runtime, *, channel_interval: float = 1.0) -> None:
        settings = runtime.settings
        if not settings.slack_bot_token:
            raise ValueError("SLACK_BOT_TOKEN is not set")
        self.settings = settings
        self.client = web_client(settings.slack_bot_token, settings.slack_api_url, retries=True)
        self.people = SlackPeople(client=self.client, database=runtime.database)
        self.pipeline = Pipeline(runtime.dispatcher, platform=self.platform)
        self.desk = SlackDesk(
            client=self.client,
            pipeline=self.pipeline,
            people=self.people,
            replies=Replies(self.client, home_notice=self._home_notice),
            policy=runtime.policy,
        )
        self.home = HomeTab(
            client=self.client,
            dispatcher=runtime.dispatcher,
            people=self.people,
            desk_name=runtime.config.desk_name,
            run=self.desk.run,
        )
        self.app = build_app(
            client=self.client,
            signing_secret=settings.slack_signing_secret,
            desk=self.desk,
            home_tab=self.home,
        )
        self._handler = AsyncSlackRequestHandler(self.app)
        self._sender = SlackSender(
            client=web_client(settings.slack_bot_token, settings.slack_api_url, retries=False),
            database=runtime.database,
            people=self.people,
            pacer=ChannelPacer(channel_interval),
        )

    async def _home_notice(self, asker: Asker, text: str) -> None:
        await self.home.publish(asker.user_id, notice=text)

    async def _events(self, request: Request) -> Response:
        try:
            body = await gate.admit(request, self.settings.slack_signing_secret or "")
        except gate.Refused as refused:
            return gate.refusal_response(request, refused)
        return await self._handler.handle(gate.with_body(request, body))

    def routes(self) -> list[BaseRoute]:
        """POST /slack/events for commands, interactivity and events (needs the signing secret)."""
        if not self.settings.slack_signing_secret:
            return []  # Socket Mode only: never accept unverifiable requests
        return [Route(EVENTS_PATH, self._events, methods=["POST"])]

    def sender(self) -> SlackSender:
        """Delivers Slack outbox rows."""
        return self._sender

    async def run(self, stop: asyncio.Event) -> None:
        """Socket Mode when SLACK_APP_TOKEN is set; otherwise wait (HTTP needs no connection)."""
        try:
            if self.settings.slack_app_token:
                await run_socket_mode(self.app, app_token=self.settings.slack_app_token, stop=stop)
            else:
                await stop.wait()
        finally:
            await self.pipeline.drain()
