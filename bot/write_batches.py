"""What the writer threads that store before an answer share (the interaction receipts,
the event inbox): taking a batch off their queue, and settling each waiter's future."""

from __future__ import annotations

import asyncio
import queue
from typing import Any


def take_batch(pending: queue.SimpleQueue, size: int) -> list | None:
    """The next batch: the first item (waiting for it), then whatever else is queued, up to
    `size`. None when the queue says stop (a None); a stop behind a batch is put back, so
    the batch is written first."""
    first = pending.get()
    if first is None:
        return None
    batch = [first]
    while len(batch) < size:
        try:
            item = pending.get_nowait()
        except queue.Empty:
            break
        if item is None:
            pending.put(None)  # stop after this batch
            break
        batch.append(item)
    return batch


def settle(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future,
    *,
    result: Any = None,
    error: BaseException | None = None,
) -> None:
    """Hand a writer thread's outcome to the waiter on its event loop (thread-safe)."""

    def done() -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    if not loop.is_closed():
        loop.call_soon_threadsafe(done)
