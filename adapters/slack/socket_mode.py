"""Socket Mode: Slack delivers over an outbound WebSocket, so no public URL is needed.

Slack's SDK retries every failure to connect forever, printing a traceback each time, even
when Slack has refused the token. Here a refused token stops the process with one line; an
unreachable Slack is retried with backoff, one line per attempt; and `connected()` tells the
readiness probe whether the socket is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

log = logging.getLogger("deskbot.slack")

# Web API errors that no retry fixes: the token itself is wrong, revoked or of the wrong kind.
REJECTED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
        "missing_scope",
    }
)
UNREACHABLE = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


class SlackCredentialsRejected(Exception):
    """Slack refused a token: retrying cannot help, the process stops and says which one."""

    explained = True  # its message is the one line the CLI prints

    def __init__(self, variable: str, error: str) -> None:
        super().__init__(f"Slack rejected {variable} ({error}); check the token.")
        self.variable = variable
        self.error = error


class _QuietRetries(logging.Filter):
    """The SDK logs each failed connect with a traceback and "Retrying…": keep one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message.startswith("Failed to retrieve WSS URL"):
            return False  # issue_new_wss_url below says it in its own words
        if message.startswith("Failed to connect") and record.exc_info:
            error = record.exc_info[1]
            record.exc_info, record.exc_text = None, None
            record.msg, record.args = (
                "slack: Socket Mode connection failed (%s); retrying",
                (error,),
            )
        return True


class SocketMode:
    """One Socket Mode connection held until `stop`, with a state the readiness probe reads."""

    def __init__(
        self,
        app: AsyncApp,
        *,
        app_token: str,
        first_delay: float = 2.0,
        max_delay: float = 60.0,
    ) -> None:
        self.app = app
        self.app_token = app_token
        self.first_delay = first_delay
        self.max_delay = max_delay
        # The handler calls apps.connections.open through app.client, so SLACK_API_URL applies.
        self.handler = AsyncSocketModeHandler(app, app_token)
        self.client = self.handler.client
        self.client.issue_new_wss_url = self._issue_new_wss_url  # type: ignore[method-assign]
        self._filter = _QuietRetries()
        self._rejected: SlackCredentialsRejected | None = None
        self._given_up = asyncio.Event()
        self._stop: asyncio.Event | None = None

    async def connected(self) -> bool:
        """Whether the WebSocket to Slack is up now."""
        try:
            return bool(await self.client.is_connected())
        except Exception:
            return False

    async def run(self, stop: asyncio.Event) -> None:
        """Hold the connection until `stop`; raise SlackCredentialsRejected when Slack says no."""
        self._stop = stop
        logger = self.client.logger
        logger.addFilter(self._filter)
        connecting: asyncio.Task | None = None
        waits: list[asyncio.Task] = []
        try:
            await self._check_bot_token(stop)
            if stop.is_set():
                return
            connecting = asyncio.create_task(self.handler.connect_async())
            waits = [
                asyncio.create_task(stop.wait()),
                asyncio.create_task(self._given_up.wait()),
            ]
            await asyncio.wait([connecting, *waits], return_when=asyncio.FIRST_COMPLETED)
            if connecting.done() and not connecting.cancelled() and self._rejected is None:
                connecting.result()
                log.info("slack: connected in Socket Mode")
                # Reconnects happen inside the SDK; a token revoked meanwhile ends the wait.
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if self._rejected is not None:
                raise self._rejected
        finally:
            for task in waits:
                task.cancel()
            with contextlib.suppress(Exception):
                await self.handler.close_async()
            if connecting is not None and not connecting.done():
                connecting.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await connecting
            logger.removeFilter(self._filter)

    async def _check_bot_token(self, stop: asyncio.Event) -> None:
        """auth.test with SLACK_BOT_TOKEN: Bolt would only find out on the first request."""
        await self._until_answered(stop, "SLACK_BOT_TOKEN", self.app.client.auth_test)

    async def _issue_new_wss_url(self) -> str:
        """apps.connections.open with SLACK_APP_TOKEN (the SDK calls this on every connect)."""
        stop = self._stop or asyncio.Event()

        # The SDK's own call (apps.connections.open with the app-level token).
        sdk_issue = type(self.client).issue_new_wss_url
        url = await self._until_answered(stop, "SLACK_APP_TOKEN", lambda: sdk_issue(self.client))
        if url is None:  # stopping: the SDK's loop ends because the client is closed
            self.client.closed = True
            raise ConnectionAbortedError("deskbot is stopping")
        return url

    async def _until_answered(self, stop: asyncio.Event, variable: str, call):
        """Call until Slack answers: a refused token raises, an unreachable Slack is retried."""
        delay = self.first_delay
        while not stop.is_set() and not self.client.closed:
            try:
                return await call()
            except SlackApiError as exc:
                error = str(exc.response.get("error", "unknown_error"))
                if error in REJECTED:
                    self._rejected = SlackCredentialsRejected(variable, error)
                    self.client.closed = True  # the SDK's own retry loop stops at once
                    self._given_up.set()
                    raise self._rejected from None
                reason = f"Slack answered {error}"
            except UNREACHABLE as exc:
                reason = f"cannot reach Slack: {exc or type(exc).__name__}"
            log.warning("slack: %s; retrying in %.0fs", reason, delay)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, self.max_delay)
        return None


async def run_socket_mode(
    app: AsyncApp,
    *,
    app_token: str,
    stop: asyncio.Event,
    first_delay: float = 2.0,
    max_delay: float = 60.0,
) -> None:
    """Hold a Socket Mode connection until `stop` is set; keep trying while Slack is unreachable."""
    await SocketMode(app, app_token=app_token, first_delay=first_delay, max_delay=max_delay).run(
        stop
    )
