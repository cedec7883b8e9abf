"""The Discord adapter: one discord.py client for the gateway (interactions, DMs) and REST
(outbox delivery), plugged into a deskbot process as a ChatAdapter."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
import discord
from starlette.routing import BaseRoute

from adapters.discord.client import DeskClient
from adapters.discord.desk import DiscordDesk
from adapters.discord.endpoints import apply_endpoints
from adapters.discord.sender import DiscordSender
from bot.outbox import Sender

log = logging.getLogger(__name__)

LOGIN_BACKOFF_MAX = 60.0


class DiscordAdapter:
    """Discord for one deskbot process: `run` holds the gateway, `sender` delivers the outbox.

    `deskbot worker` uses only the sender: the client then logs in (REST) without connecting.
    """

    platform = "discord"

    def __init__(
        self, runtime, *, guild_ready_timeout: float = 2.0, identify_delay: bool = True
    ) -> None:
        if not runtime.settings.discord_token:
            raise ValueError("the Discord adapter needs DISCORD_TOKEN")
        self.runtime = runtime
        self._token = runtime.settings.discord_token
        apply_endpoints(runtime.settings)
        self.desk = DiscordDesk(runtime)
        self.client = DeskClient(
            desk=self.desk, guild_ready_timeout=guild_ready_timeout, identify_delay=identify_delay
        )
        self._login_lock = asyncio.Lock()
        self._logged_in = False
        self.desk.attach(self.client, self.login)
        self._sender = DiscordSender(
            client=self.client, database=runtime.database, login=self.login
        )

    @property
    def pipeline(self):
        """The shared interaction pipeline (for taking over abandoned work)."""
        return self.desk.pipeline

    async def connected(self) -> bool:
        """For /readyz: this process's gateway session is up."""
        return self.client.session_live and not self.client.is_closed()

    def routes(self) -> list[BaseRoute]:
        """Discord talks to us over the gateway: no HTTP routes."""
        return []

    def sender(self) -> Sender:
        """Delivers the outbox's Discord rows."""
        return self._sender

    async def login(self) -> None:
        """Log in once (REST only), whoever needs it first: the gateway or the outbox."""
        async with self._login_lock:
            if not self._logged_in:
                await self.client.login(self._token)
                self._logged_in = True

    async def run(self, stop: asyncio.Event) -> None:
        """Hold the gateway connection until `stop`; discord.py reconnects and resumes."""
        connection: asyncio.Task | None = None
        stopped = asyncio.ensure_future(stop.wait())
        try:
            if not await self._login_until(stop):
                return
            connection = asyncio.create_task(self.client.connect(reconnect=True))
            await asyncio.wait({connection, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if connection.done() and not stop.is_set():
                raise _connection_ended(connection)
        finally:
            stopped.cancel()
            await self.client.close()
            if connection is not None:
                connection.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await connection

    async def _login_until(self, stop: asyncio.Event) -> bool:
        delay = 1.0
        while not stop.is_set():
            try:
                await self.login()
                return True
            except discord.LoginFailure:
                # Not worth retrying: the process stops and says why (deskbot exits 1).
                log.error("Discord rejected DISCORD_TOKEN; check the bot token.")
                raise
            except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.warning("cannot log in to Discord (%s); retrying in %.0fs", exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, LOGIN_BACKOFF_MAX)
        return False


def _connection_ended(connection: asyncio.Task) -> BaseException:
    """Why connect(reconnect=True) gave up: errors no reconnect fixes (token, intents)."""
    error = None if connection.cancelled() else connection.exception()
    if isinstance(error, discord.PrivilegedIntentsRequired):
        log.error("Discord refused the gateway intents; see docs/discord.md.")
    else:
        log.error("the Discord gateway connection ended for good: %r", error)
    return error or RuntimeError("the Discord gateway connection ended")
