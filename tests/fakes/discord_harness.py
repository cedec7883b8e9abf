"""Glue for tests that run the real discord.py client against :class:`FakeDiscord`.

* :func:`point_discord_at` - redirect discord.py's REST base and gateway URL (and restore).
* :class:`DiscordErrorLog` - a logging handler that collects ERROR+ records from ``discord.*``
  so a test can fail when the library swallowed an exception (it logs instead of raising for
  event handlers, view callbacks, app command errors, and reconnect attempts).
* :func:`run_client` / :func:`stop_client` - start a client in the background and wait for
  ``on_ready`` with a deadline, surfacing a crashed ``start()`` immediately.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterator
from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


@contextlib.contextmanager
def point_discord_at(api_url: str, gateway_url: str) -> Iterator[None]:
    """Make discord.py talk to ``api_url`` / ``gateway_url`` for the duration of the block.

    Both are process-wide class attributes in discord.py 2.7.1:
    ``discord.http.Route.BASE`` is read by every ``Route(...)`` (all REST, including the
    interaction webhooks in discord/webhook/async_.py), and
    ``DiscordWebSocket.DEFAULT_GATEWAY`` is where a non-sharded ``Client.connect`` opens its
    first connection (and falls back to after INVALID_SESSION); resumes go to READY's
    ``resume_gateway_url``.
    """
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = api_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


class DiscordErrorLog(logging.Handler):
    """Collects ERROR-and-above records emitted by any ``discord`` logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self._allowed: list[re.Pattern[str]] = []
        self._logger = logging.getLogger("discord")
        self._old_level: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def allow(self, pattern: str) -> None:
        """Tolerate ERROR records whose message matches ``pattern`` (a regex, searched)."""
        self._allowed.append(re.compile(pattern))

    @property
    def unexpected(self) -> list[logging.LogRecord]:
        """Records not covered by :meth:`allow`."""
        return [r for r in self.records if not any(p.search(r.getMessage()) for p in self._allowed)]

    def install(self) -> DiscordErrorLog:
        """Attach to the ``discord`` logger (children propagate to it)."""
        self._logger.addHandler(self)
        # Make sure ERROR records are not filtered out before reaching us.
        if self._logger.getEffectiveLevel() > logging.ERROR:
            self._old_level = self._logger.level
            self._logger.setLevel(logging.ERROR)
        return self

    def uninstall(self) -> None:
        """Detach and restore the logger level."""
        self._logger.removeHandler(self)
        if self._old_level is not None:
            self._logger.setLevel(self._old_level)

    def format_unexpected(self) -> str:
        """Human-readable dump (with tracebacks) of the unexpected records."""
        fmt = logging.Formatter("%(name)s %(levelname)s: %(message)s")
        return "\n\n".join(fmt.format(r) for r in self.unexpected)


async def run_client(
    client: discord.Client, token: str, *, timeout: float = 10.0
) -> asyncio.Task[None]:
    """Start ``client`` in a background task and wait (with a deadline) until it is ready."""
    task = asyncio.create_task(client.start(token), name="discord-client-under-test")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not client.is_ready():
        if task.done():
            task.result()  # re-raise why start() ended
            raise RuntimeError("client.start() returned before READY")
        if loop.time() > deadline:
            task.cancel()
            raise TimeoutError(f"client not ready after {timeout}s")
        await asyncio.sleep(0.01)  # polling with a deadline
    return task


async def stop_client(
    client: discord.Client, task: asyncio.Task[Any], *, timeout: float = 10.0
) -> None:
    """Close the client and wait for its ``start()`` task to finish."""
    if not client.is_closed():
        await client.close()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout)


async def poll_until(
    predicate: Any, *, timeout: float = 5.0, interval: float = 0.01, what: str = "condition"
) -> Any:
    """Re-evaluate ``predicate()`` every ``interval`` until truthy; TimeoutError after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)
