"""Background work waits for a lull in acknowledgements, but is never starved."""

from __future__ import annotations

import asyncio

from bot.lull import Lull


async def _arrive(lull: Lull, times: int, every: float, log: list[str]) -> None:
    for _ in range(times):
        lull.arrived()
        log.append("arrival")
        await asyncio.sleep(every)


def test_work_starts_only_after_arrivals_stop() -> None:
    async def scenario() -> list[str]:
        lull, log = Lull(gap=0.05, longest=30), []
        lull.arrived()
        arrivals = asyncio.ensure_future(_arrive(lull, 10, 0.01, log))
        await lull.wait()
        log.append("work")
        await arrivals
        return log

    log = asyncio.run(scenario())
    assert log.index("work") == len(log) - 1  # after every arrival of the burst


def test_work_does_not_wait_when_nothing_arrives() -> None:
    async def scenario() -> bool:
        lull = Lull(gap=10, longest=30)
        await asyncio.wait_for(lull.wait(), 1)  # would time out if it waited for a lull
        return lull.busy()

    assert asyncio.run(scenario()) is False


def test_an_endless_storm_does_not_starve_work() -> None:
    async def scenario() -> list[str]:
        lull, log = Lull(gap=0.05, longest=0.1), []
        lull.arrived()
        arrivals = asyncio.ensure_future(_arrive(lull, 100, 0.01, log))
        await lull.wait()
        log.append("work")
        arrivals.cancel()
        return log

    log = asyncio.run(scenario())
    assert log[-1] == "work" and 1 <= log.count("arrival") < 100  # while the storm goes on


def test_every_waiter_is_woken_by_one_lull() -> None:
    async def scenario() -> int:
        lull = Lull(gap=0.05, longest=30)
        lull.arrived()
        waiters = [asyncio.ensure_future(lull.wait()) for _ in range(50)]
        done, _ = await asyncio.wait(waiters, timeout=5)
        return len(done)

    assert asyncio.run(scenario()) == 50
