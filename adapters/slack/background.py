"""Work that runs after Slack has its acknowledgement: tracked, logged, drained at shutdown."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

OnError = Callable[[str], Awaitable[None]]


class Background:
    """Starts listener work as tasks, so Slack is acknowledged before any slow work runs."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(
        self, work: Coroutine[Any, Any, Any], *, on_error: OnError | None = None
    ) -> asyncio.Task[Any]:
        """Run `work` now; an unexpected error is logged with an id and shown through `on_error`."""
        task = asyncio.ensure_future(self._guard(work, on_error))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guard(self, work: Coroutine[Any, Any, Any], on_error: OnError | None) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("slack: handling a request failed (error id %s)", error_id)
            if on_error is not None:
                try:
                    await on_error(error_id)
                except Exception:  # the person may just not hear about it; the log has it
                    log.warning("slack: could not report error %s to the user", error_id)

    @property
    def pending(self) -> int:
        """How many started pieces of work have not finished yet."""
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:
        """Let started work finish (up to `timeout` seconds), then cancel what is left."""
        tasks = [t for t in self._tasks if not t.done()]
        if not tasks:
            return
        done, left = await asyncio.wait(tasks, timeout=timeout)
        for task in left:
            task.cancel()
        if left:
            log.warning(
                "slack: %d request(s) were still running at shutdown and were cancelled", len(left)
            )
