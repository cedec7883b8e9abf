"""Socket Mode: Slack delivers over an outbound WebSocket, so no public URL is needed."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)


async def run_socket_mode(
    app: AsyncApp,
    *,
    app_token: str,
    stop: asyncio.Event,
    first_delay: float = 2.0,
    max_delay: float = 60.0,
) -> None:
    """Hold a Socket Mode connection until `stop` is set; keep trying while it cannot connect."""
    # The handler calls apps.connections.open through app.client, so SLACK_API_URL applies.
    handler = AsyncSocketModeHandler(app, app_token)
    delay = first_delay
    try:
        while not stop.is_set():
            try:
                await handler.connect_async()
                log.info("slack: connected in Socket Mode")
                break
            except Exception as exc:  # bad token, Slack down: say so and try again later
                log.error(
                    "slack: Socket Mode could not connect (%s); retrying in %.0fs",
                    type(exc).__name__,
                    delay,
                )
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                delay = min(delay * 2, max_delay)
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await handler.close_async()
