"""The Slack adapter as deskbot sees it: HTTP routes, an outbox sender, and Socket Mode."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import aiohttp
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_internal_utils import _request_with_session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.slack import gate
from adapters.slack.app import build_app
from adapters.slack.asker import Asker, Replies
from adapters.slack.commands import ANY_COMMAND
from adapters.slack.commands import receive as receive_command
from adapters.slack.desk import SlackDesk
from adapters.slack.home import HomeTab
from adapters.slack.pacing import ChannelPacer
from adapters.slack.people import SlackPeople
from adapters.slack.sender import SlackSender
from adapters.slack.socket_mode import SocketMode
from bot.pipeline import Pipeline

SLACK_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"


class PooledWebClient(AsyncWebClient):
    """A Web API client that keeps one HTTP session, and its open connections, per event loop.

    slack_sdk opens (and closes) a new session for every call when given none: a TCP and TLS
    handshake per message. A session belongs to the loop it was made in, so each loop that
    uses the client (the web server's, the worker's) gets its own.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    def pooled_session(self) -> aiohttp.ClientSession:
        """This loop's session, made on first use."""
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._sessions[loop] = session
        return session

    async def _request(self, *, http_verb, api_url, req_args):  # slack_sdk's one HTTP hook
        return await _request_with_session(
            current_session=self.pooled_session(),
            timeout=self.timeout,
            logger=self._logger,
            http_verb=http_verb,
            api_url=api_url,
            req_args=req_args,
            retry_handlers=self.retry_handlers,
        )

    async def close(self) -> None:
        """Close every loop's session (at shutdown), each in its own loop."""
        here = asyncio.get_running_loop()
        for loop, session in list(self._sessions.items()):
            del self._sessions[loop]
            if loop is here:
                await session.close()
            elif loop.is_running():
                closing = asyncio.run_coroutine_threadsafe(session.close(), loop)
                await asyncio.wait_for(asyncio.wrap_future(closing), 5)


def web_client(token: str | None, api_url: str | None, *, retries: bool) -> PooledWebClient:
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
    return PooledWebClient(
        token=token, base_url=api_url or SLACK_API_URL, timeout=10, retry_handlers=handlers
    )


async def _acknowledged() -> None:
    """The HTTP response is the acknowledgement: nothing to send before it."""


class SlackAdapter:
    """Slash commands, buttons, modals, DMs and App Home in; outbox notifications out."""

    platform = "slack"

    def __init__(self, runtime, *, channel_interval: float = 1.0) -> None:
        settings = runtime.settings
        if not settings.slack_bot_token:
            raise ValueError("SLACK_BOT_TOKEN is not set")
        self.settings = settings
        self._socket: SocketMode | None = None
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
            clock=runtime.clock,
        )

    async def _home_notice(self, asker: Asker, text: str) -> None:
        await self.home.publish(asker.user_id, notice=text)

    async def _events(self, request: Request) -> Response:
        try:
            admitted = await gate.admit(request, self.settings.slack_signing_secret or "")
        except gate.Refused as refused:
            return gate.refusal_response(request, refused)
        if admitted.command is not None and ANY_COMMAND.match(admitted.command["command"]):
            # A verified slash command needs nothing of Bolt's routing: store it and answer
            # 200, so a burst of commands is acknowledged at the pace of one insert each.
            await receive_command(self.desk, admitted.command, ack=_acknowledged)
            return Response(status_code=200)
        return await self._handler.handle(gate.with_body(request, admitted.body))

    def routes(self) -> list[BaseRoute]:
        """POST /slack/events for commands, interactivity and events (needs the signing secret)."""
        if not self.settings.slack_signing_secret:
            return []  # Socket Mode only: never accept unverifiable requests
        return [Route(EVENTS_PATH, self._events, methods=["POST"])]

    def sender(self) -> SlackSender:
        """Delivers Slack outbox rows."""
        return self._sender

    async def connected(self) -> bool:
        """For /readyz: the Socket Mode connection is up (HTTP mode holds none, so always)."""
        if not self.settings.slack_app_token:
            return True
        return self._socket is not None and await self._socket.connected()

    async def run(self, stop: asyncio.Event) -> None:
        """Socket Mode when SLACK_APP_TOKEN is set; otherwise wait (HTTP needs no connection)."""
        try:
            if self.settings.slack_app_token:
                self._socket = SocketMode(self.app, app_token=self.settings.slack_app_token)
                await self._socket.run(stop)
            else:
                await stop.wait()
        except BaseException:
            # Failed (e.g. a refused token): the process stops, and keep_recovering drains
            # the pipeline once it has seen `stop`; draining here would race its last round.
            await self.client.close()
            raise
        await self.pipeline.drain()
        await self.client.close()
