"""Benchmark: outbox delivery to Slack against a local Web API that answers at once.

Three measurements, each on a fresh database:

- `claim`: how long one claim takes with N rows waiting for one channel (N = 10, 10,000,
  100,000), beside 100,000 rows already sent: the claim must not grow with either.
- `drain`: `--messages` rows for one channel, pacing off: messages/s, and the worker
  process's CPU per delivered message (the fake Slack runs in another process).
- `channels`: `--channels` channels with `--per-channel` rows each, with Slack's pacing of
  one message per second per channel, for one and for two worker processes: messages/s
  against the pacing's ceiling (one per channel per second).

    python -m bench.outbox [claim|drain|channels|all] [--messages 10000]
                           [--channels 100] [--per-channel 20] [--database-url URL --reset]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import time
from itertools import repeat
from typing import Any

from sqlalchemy import func, select, update

from bench import support
from bot.config import load_config_text
from bot.identity import PlatformIdentity
from bot.runtime import Runtime
from bot.settings import Settings
from domain.records import OutboxMessage

CHANNELS = 100


def _config(channels: int) -> str:
    """The Slack test company, with `channels` extra channels to deliver to."""
    from tests.slack.harness import CONFIG

    extra = "".join(f"  bench-{n}: {{slack: C0BENCH{n:03d}}}\n" for n in range(channels))
    return CONFIG.replace("channels:\n", "channels:\n" + extra, 1)


def _serve_fake(ready: Any, stop: Any) -> None:
    """Another process: the fake Slack Web API, until told to stop."""
    from tests.fakes.slack_api import FakeSlackApi
    from tests.slack.harness import add_company_users

    with FakeSlackApi() as fake:
        add_company_users(fake)
        ready.put((fake.base_url, fake.token))
        stop.wait()


def _runtime(url: str, api: tuple[str, str], channels: int) -> Runtime:
    base_url, token = api
    settings = Settings(
        database_url=url,
        config_path=None,
        slack_bot_token=token,
        slack_signing_secret="bench",
        slack_api_url=base_url,
    )
    return Runtime(settings, load_config_text(_config(channels)), platforms=("slack",))


def _template_row(runtime: Runtime) -> dict[str, Any]:
    """A real notification's row (a new incident's post to the triage channel), as a plain
    post: the rows the benchmark writes are copies of it."""
    runtime.dispatcher.execute(PlatformIdentity("slack", "U0ALICE"), '/incident new "bench"')
    with runtime.database.transaction() as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "incident_opened")
        ).first()
        columns = OutboxMessage.__table__.columns.keys()
        data = {c: getattr(row, c) for c in columns if c != "id"}
        session.execute(update(OutboxMessage).values(status="sent"))
    return data | {"creates_ref": None, "status": "pending", "attempts": 0}


def _seed(runtime: Runtime, template: dict[str, Any], lanes: dict[str, int], **more: Any) -> None:
    now = runtime.clock.now()
    rows = (
        template | {"destination": channel, "created_at": now, "next_attempt_at": now} | more
        for channel, count in lanes.items()
        for _ in range(count)
    )
    support.bulk_insert(runtime, OutboxMessage.__table__, rows)


def _pending(runtime: Runtime) -> int:
    with runtime.database.transaction() as session:
        return session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status != "sent")
        )


def _delivery(runtime: Runtime, interval: float):
    from adapters.slack import SlackAdapter

    adapter = SlackAdapter(runtime, channel_interval=interval)
    return runtime.add_sender("slack", adapter.sender())


async def _drain(runtime: Runtime, delivery) -> None:
    """Deliver as the worker does (`keep_delivering`) until nothing is left to send."""
    stop = asyncio.Event()

    async def watch() -> None:
        while await asyncio.to_thread(_pending, runtime):
            await asyncio.sleep(0.5)
        stop.set()

    watching = asyncio.ensure_future(watch())
    await delivery.keep_delivering(stop, asyncio.Event(), poll=0.1)
    await watching
    await delivery.close()


def _worker(url: str, api: tuple[str, str], channels: int, interval: float, start: Any) -> None:
    """A worker process: deliver until nothing is left."""
    runtime = _runtime(url, api, channels)
    delivery = _delivery(runtime, interval)
    start.wait()
    asyncio.run(_drain(runtime, delivery))
    runtime.close()


def measure_claim(url: str, api: tuple[str, str]) -> None:
    runtime = _runtime(url, api, CHANNELS)
    runtime.prepare()
    template = _template_row(runtime)
    _seed(runtime, template, {"bench-0": 100_000}, status="sent")
    delivery = _delivery(runtime, 0.0)
    waiting = 0
    print("claim with N rows waiting for one channel, beside 100,000 sent rows:")
    for target in (10, 10_000, 100_000):
        _seed(runtime, template, {"bench-1": target - waiting})
        waiting = target
        support.settle(runtime)
        timings = []
        for _ in range(200):
            started = time.perf_counter()
            claimed = delivery.claim()
            timings.append((time.perf_counter() - started) * 1000)
            delivery.release(claimed)
        timings.sort()
        print(
            f"  {target:>7,} waiting: p50 {statistics.median(timings):.2f} ms · "
            f"p95 {timings[189]:.2f} ms · {len(claimed)} rows per claim"
        )
    runtime.close()


def measure_drain(url: str, api: tuple[str, str], messages: int) -> None:
    runtime = _runtime(url, api, CHANNELS)
    runtime.prepare()
    _seed(runtime, _template_row(runtime), {"bench-0": messages})
    support.settle(runtime)
    delivery = _delivery(runtime, 0.0)
    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(_drain(runtime, delivery))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    left = _pending(runtime)
    print(
        f"drain {messages:,} to one channel, pacing off: {wall:.2f} s, "
        f"{messages / wall:,.0f} messages/s, worker CPU {cpu / messages * 1000:.2f} ms/message"
        f" ({left} left undelivered)"
    )
    runtime.close()


def measure_channels(url: str | None, api: tuple[str, str], channels: int, per: int) -> None:
    for workers in (1, 2):
        with support.bench_database(url, reset=True) as target:
            runtime = _runtime(target, api, channels)
            runtime.prepare()
            lanes = dict(zip((f"bench-{n}" for n in range(channels)), repeat(per), strict=False))
            _seed(runtime, _template_row(runtime), lanes)
            support.settle(runtime)
            context = mp.get_context("spawn")
            start = context.Barrier(workers + 1)
            processes = [
                context.Process(target=_worker, args=(target, api, channels, 1.0, start))
                for _ in range(workers)
            ]
            for process in processes:
                process.start()
            start.wait()
            wall = time.perf_counter()
            # Until the last message is out (not until the processes have exited: their
            # shutdown is not delivery).
            while _pending(runtime) and any(p.is_alive() for p in processes):
                time.sleep(0.05)
            wall = time.perf_counter() - wall
            for process in processes:
                process.join()
            total = channels * per
            # Each channel takes one per second, its first at once: `per - 1` seconds at best.
            ceiling = total / max(per - 1, 1)
            print(
                f"{channels} channels × {per}, pacing 1/s, {workers} worker(s): "
                f"{wall:.2f} s, {total / wall:,.1f} messages/s, "
                f"{total / wall / ceiling:.2f} of the ceiling ({ceiling:,.0f}/s); "
                f"{_pending(runtime)} left undelivered"
            )
            runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "what", nargs="?", default="all", choices=["claim", "drain", "channels", "all"]
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=CHANNELS)
    parser.add_argument("--per-channel", type=int, default=20)
    support.add_database_options(parser)
    args = parser.parse_args()
    context = mp.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    fake = context.Process(target=_serve_fake, args=(ready, stop), daemon=True)
    fake.start()
    api = ready.get(timeout=30)
    try:
        if args.what in ("claim", "all"):
            with support.bench_database(args.database_url, reset=args.reset) as url:
                measure_claim(url, api)
        if args.what in ("drain", "all"):
            with support.bench_database(args.database_url, reset=True) as url:
                measure_drain(url, api, args.messages)
        if args.what in ("channels", "all"):
            measure_channels(args.database_url, api, args.channels, args.per_channel)
        with support.bench_database(args.database_url, reset=True) as url:
            runtime = _runtime(url, api, 0)
            print("\n".join(support.describe_machine(runtime)))
            runtime.close()
    finally:
        stop.set()
        fake.join(5)


if __name__ == "__main__":
    main()
