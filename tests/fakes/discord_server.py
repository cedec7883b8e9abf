"""A fake of Discord's far end (REST API v10 + gateway) for driving the real discord.py client.

Usage::

    async with FakeDiscord() as fake:
        discord.http.Route.BASE = fake.api_url                      # REST
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)  # gateway
        ... start a discord.Client with fake.token, then:
        await fake.dispatch_interaction(fake.command_interaction("ping"))
        call = await fake.wait_for_call("POST", "/interactions/")

The server listens on 127.0.0.1 on a free port.  REST lives under ``/api/v10`` (recorded paths
omit that prefix), the gateway at ``/gateway`` and READY's ``resume_gateway_url`` points at
``/gateway/resume`` so tests can tell a RESUME from a fresh connect.

State is realistic enough for an adapter: one guild with roles, channels and members, DM
channels, threads, stored messages, registered commands, and a registry of dispatched
interactions that enforces Discord's rules (respond once, within ``interaction_deadline``
seconds; follow-ups only after the initial response).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from .discord_gateway import INTENT_DIRECT_MESSAGES, INTENT_GUILD_MESSAGES, FakeGateway
from .discord_http import API_PREFIX, FaultRule, RecordedCall, compile_path_pattern
from .discord_rest import build_rest_app
from .discord_world import FakeDiscordWorld, InteractionRecord

JSON = dict[str, Any]
T = TypeVar("T")

__all__ = ["FakeDiscord", "RecordedCall", "FaultRule", "InteractionRecord", "API_PREFIX"]


class FakeDiscord(FakeDiscordWorld):
    """Fake Discord: REST (``api_url``) + gateway (``gateway_url``) on 127.0.0.1."""

    def __init__(
        self,
        token: str = "fake-bot-token",
        *,
        bot_name: str = "deskbot",
        guild_name: str = "Service Desk",
        app_flags: int = 0,
        heartbeat_interval_ms: int = 41250,
        interaction_deadline: float = 3.0,
    ) -> None:
        super().__init__(bot_name=bot_name, guild_name=guild_name, app_flags=app_flags)
        self.token = token
        #: Seconds the bot has for its initial interaction response (Discord: 3).
        self.interaction_deadline = interaction_deadline
        #: Every REST call received, in arrival order (see :meth:`calls` for filtering).
        self.requests: list[RecordedCall] = []
        self.faults: list[FaultRule] = []

        self.gateway = FakeGateway(self, heartbeat_interval_ms=heartbeat_interval_ms)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeDiscord:
        """Bind 127.0.0.1 on a free port and start serving."""
        app = build_rest_app(self)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/resume", self.gateway.handle)
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        # Bind the socket ourselves so the OS picks the free port and we can read it back.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def close(self) -> None:
        """Close gateway connections and stop the server."""
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._port is None:
            raise RuntimeError("FakeDiscord not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """REST base to use instead of ``https://discord.com/api/v10`` (no trailing slash)."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Gateway URL to use instead of ``wss://gateway.discord.gg/``."""
        return self.base_url.replace("http://", "ws://") + "/gateway"

    @property
    def resume_gateway_url(self) -> str:
        """What READY advertises as ``resume_gateway_url``."""
        return self.gateway_url + "/resume"

    # ------------------------------------------------------------------ recording / waiting

    def _notify(self) -> None:
        # Wake every waiter; each re-checks its own predicate.
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(
        self, predicate: Callable[[], T], timeout: float, *, what: str = "condition"
    ) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            event = self._changed
            # Short cap so predicates over client-side state (not just ours) are re-polled too.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.05))

    def calls(
        self,
        method: str | None = None,
        path_prefix: str = "",
        *,
        status: int | None = None,
        ok: bool | None = None,
    ) -> list[RecordedCall]:
        """Recorded REST calls filtered by method, path prefix, exact status, or 2xx-ness (``ok``)."""
        return [
            c
            for c in self.requests
            if (method is None or c.method == method.upper())
            and c.path.startswith(path_prefix)
            and (status is None or c.status == status)
            and (ok is None or c.ok == ok)
        ]

    async def wait_for(
        self, predicate: Callable[[RecordedCall], bool], timeout: float = 5.0
    ) -> RecordedCall:
        """Return the first recorded call (past or future) satisfying ``predicate``; answered calls only."""

        def first() -> RecordedCall | None:
            return next((c for c in self.requests if c.status and predicate(c)), None)

        return await self._wait_until(first, timeout, what="matching REST call")

    async def wait_for_call(
        self, method: str, path_prefix: str = "", *, ok: bool | None = True, timeout: float = 5.0
    ) -> RecordedCall:
        """Wait for a call by method/path prefix (2xx by default; ``ok=None`` for any status)."""
        return await self.wait_for(
            lambda c: (
                c.method == method.upper()
                and c.path.startswith(path_prefix)
                and (ok is None or c.ok == ok)
            ),
            timeout,
        )

    async def wait_until(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Poll ``predicate()`` (woken early by any fake activity) until truthy or timeout."""
        return await self._wait_until(predicate, timeout)

    # ------------------------------------------------------------------ fault injection

    def rate_limit(
        self,
        method: str,
        path: str,
        *,
        count: int = 1,
        retry_after: float = 0.25,
        is_global: bool = False,
        scope: str = "user",
        cloudflare: bool = False,
    ) -> FaultRule:
        """Answer the next ``count`` matching calls with HTTP 429 (see :func:`compile_path_pattern`).

        ``cloudflare=True`` mimics a Cloudflare ban (no ``Via`` header, HTML body), which
        discord.py raises as HTTPException instead of retrying.
        """
        rule = FaultRule(
            method=method.upper(),
            pattern=compile_path_pattern(path),
            status=429,
            remaining=count,
            until=None,
            retry_after=retry_after,
            is_global=is_global,
            scope=scope,
            cloudflare=cloudflare,
        )
        self.faults.append(rule)
        return rule

    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int = 502,
        count: int | None = None,
        duration: float | None = None,
    ) -> FaultRule:
        """Answer matching calls with ``status`` for ``count`` calls and/or ``duration`` seconds."""
        until = asyncio.get_running_loop().time() + duration if duration is not None else None
        rule = FaultRule(
            method=method.upper(),
            pattern=compile_path_pattern(path),
            status=status,
            remaining=count,
            until=until,
        )
        self.faults.append(rule)
        return rule

    def outage(
        self, *, status: int = 502, count: int | None = None, duration: float | None = None
    ) -> FaultRule:
        """Fail *every* REST route (``fail("*", "*")``)."""
        return self.fail("*", "*", status=status, count=count, duration=duration)

    def deny_bot(self, *permissions: str) -> None:
        """Take permissions from the bot: "manage_channels", "manage_roles", "pin_messages",
        "attach_files" (what it asks for then is refused with 403 Missing Permissions, code
        50013)."""
        self.bot_denied.update(permissions)

    def allow_bot(self, *permissions: str) -> None:
        """Give back permissions :meth:`deny_bot` took."""
        self.bot_denied.difference_update(permissions)

    def clear_faults(self) -> None:
        """Remove all injected REST failures."""
        self.faults.clear()

    def _match_fault(self, method: str, path: str) -> FaultRule | None:
        now = asyncio.get_running_loop().time()
        for rule in self.faults:
            if rule.active(now) and rule.matches(method, path):
                if rule.remaining is not None:
                    rule.remaining -= 1
                rule.hits += 1
                return rule
        return None

    async def _emit_message_event(self, event: str, message: JSON) -> None:
        """MESSAGE_CREATE/UPDATE to the bot if its intents ask for them (Discord echoes own messages)."""
        session = self.gateway.current_session
        if session is None or session.invalidated:
            return
        channel = self.channels.get(message["channel_id"], {})
        guild_id = channel.get("guild_id")
        needed = INTENT_GUILD_MESSAGES if guild_id else INTENT_DIRECT_MESSAGES
        if not session.intents & needed:
            return
        data = dict(message)
        if guild_id:
            data["guild_id"] = guild_id
            member = self.members.get(message["author"]["id"])
            if member is not None:
                data["member"] = {k: v for k, v in member.items() if k != "user"}
        await self.gateway.dispatch(event, data)

    # ------------------------------------------------------------------ interactions

    async def dispatch_interaction(self, payload: JSON) -> InteractionRecord:
        """Register ``payload`` (so its callback/follow-ups are accepted) and send INTERACTION_CREATE."""
        record = InteractionRecord(payload=payload, dispatched_at=asyncio.get_running_loop().time())
        self.interactions[record.id] = record
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return record

    async def wait_for_response(
        self, record: InteractionRecord | str, timeout: float = 5.0
    ) -> InteractionRecord:
        """Wait until the bot has sent the initial callback for an interaction."""
        rec = self.interactions[record if isinstance(record, str) else record.id]
        return await self._wait_until(
            lambda: rec if rec.callback_type is not None else None,
            timeout,
            what=f"callback for interaction {rec.id}",
        )
