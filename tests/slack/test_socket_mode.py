"""Socket Mode: with SLACK_APP_TOKEN the same app is driven over Slack's WebSocket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp import web

from adapters.slack import SlackAdapter
from bot.config import load_config_text
from bot.runtime import Runtime
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import slash_command_fields
from tests.slack.harness import CONFIG, TRIAGE

APP_TOKEN = "xapp-1-A0DESKBOT-0000-fake"


class SocketModeFake:
    """apps.connections.open plus the WebSocket; every other Web API call goes to the HTTP fake."""

    def __init__(self, slack: FakeSlackApi) -> None:
        self.slack = slack
        self.opened_with: list[str] = []
        self.acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.connected = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/apps.connections.open", self._open)
        app.router.add_route("*", "/api/{method}", self._forward)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _open(self, request: web.Request) -> web.Response:
        form = await request.post()
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or form.get(
            "token", ""
        )
        self.opened_with.append(str(token))
        if token != APP_TOKEN:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"})

    async def _forward(self, request: web.Request) -> web.Response:
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("authorization", "content-type")
        }
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                self.slack.base_url + request.match_info["method"],
                params=request.query,
                data=await request.read(),
                headers=headers,
            ) as answer,
        ):
            return web.Response(
                body=await answer.read(), status=answer.status, content_type="application/json"
            )

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "A0DESKBOT"},
            }
        )
        self.connected.set()
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                await self.acks.put(json.loads(message.data))
        return ws

    async def deliver(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Send an envelope down the socket and return the app's acknowledgement."""
        assert self._ws is not None
        await self._ws.send_json(envelope)
        return await asyncio.wait_for(self.acks.get(), timeout=10)


async def test_socket_mode_runs_commands_without_a_public_url(database_url, slack):
    fake = SocketModeFake(slack)
    await fake.start()
    settings = Settings(
        database_url=database_url,
        config_path=None,
        slack_bot_token=slack.token,
        slack_app_token=APP_TOKEN,
        slack_api_url=fake.base_url,
    )
    runtime = Runtime(settings, load_config_text(CONFIG), platforms=("slack",))
    runtime.prepare()
    adapter = SlackAdapter(runtime, channel_interval=0)
    runtime.add_sender("slack", adapter.sender())
    stop = asyncio.Event()
    tasks = [asyncio.create_task(adapter.run(stop)), asyncio.create_task(runtime.worker.run(stop))]
    try:
        assert adapter.routes() == []  # no signing secret: nothing listens over HTTP
        await asyncio.wait_for(fake.connected.wait(), timeout=10)
        assert fake.opened_with == [APP_TOKEN]

        payload = slash_command_fields(
            command="/incident",
            text='new "Socket Mode works"',
            user_id="U0ALICE",
            response_url=slack.response_url("s1"),
        )
        ack = await fake.deliver(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": payload,
            }
        )
        assert ack["envelope_id"] == "env-1"

        [reply] = await slack.async_wait_for("response_url")
        assert reply.args["text"].startswith('Opened INC-1 [P3] "Socket Mode works"')
        [card] = await slack.async_wait_for("chat.postMessage")
        assert card.args["channel"] == TRIAGE
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await fake.stop()
        runtime.close()
