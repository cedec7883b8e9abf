"""Benchmark: the in-process command path (parse → domain → commit, outbox row included).

A database that already holds N incidents (default 100,000; 90% closed, the rest spread
over three teams and every state); measures `/incident new`, `/incident claim` and
`/incident list` (an agent's team queue) and prints percentiles.

    python -m bench.command_path [--incidents 100000] [--runs 1000]
                                 [--database-url URL [--reset]]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from bench import support
from bot.identity import PlatformIdentity
from domain.clock import SystemClock
from domain.incidents import IncidentRecord  # also importable from the code before 7fec9d3

STATES = (
    ["closed"] * 90
    + ["resolved"] * 3
    + ["new", "assigned", "in_progress", "on_hold"] * 1
    + ["cancelled"] * 3
)
GROUPS = ["service-desk", "network", "messaging"]


def historic_incidents(count: int) -> Iterator[dict[str, Any]]:
    """`count` incidents shaped like a desk's history (most of them closed), oldest first.

    The random sequence is the one the first version of this benchmark used, so the same
    `count` gives the same rows.
    """
    rng = random.Random(42)
    now = SystemClock().now()
    for n in range(count):
        opened = now - timedelta(minutes=count - n)
        state = rng.choice(STATES)
        yield support.incident_row(
            f"historic incident {n}",
            opened,
            priority=rng.choice(["P1", "P2", "P3", "P3", "P4", "P5"]),
            assignment_group=rng.choice(GROUPS),
            assignee=None if state == "new" else "bob",
            state=state,
        )


def measure(fn: Callable[[int], None], runs: int) -> list[float]:
    """Milliseconds per call of `fn(0)`, `fn(1)`, … `fn(runs - 1)`."""
    timings = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def percentiles(timings: list[float]) -> str:
    q = statistics.quantiles(timings, n=100, method="inclusive")
    return (
        f"p50 {q[49]:.2f} ms · p95 {q[94]:.2f} ms · p99 {q[98]:.2f} ms · max {max(timings):.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1000)
    support.add_database_options(parser)
    args = parser.parse_args()
    with support.bench_database(args.database_url, reset=args.reset) as url:
        runtime = support.open_runtime(url)
        runtime.prepare()
        started = time.perf_counter()
        support.bulk_insert(runtime, IncidentRecord.__table__, historic_incidents(args.incidents))
        support.settle(runtime)
        seeded = time.perf_counter() - started
        execute = runtime.dispatcher.execute
        alice, carol = PlatformIdentity("console", "alice"), PlatformIdentity("console", "carol")
        first_new = args.incidents + 1

        def new(i: int) -> None:
            reply = execute(alice, f'/incident new "bench outage {i}" --service vpn --impact high')
            assert reply.ok, reply.text

        def claim(i: int) -> None:
            reply = execute(carol, f"/incident claim INC-{first_new + i}")
            assert reply.ok, reply.text

        def queue(i: int) -> None:
            reply = execute(carol, "/incident list")
            assert reply.ok and "Open incidents of network" in reply.text, reply.text

        results = {
            "new": measure(new, args.runs),
            "claim": measure(claim, args.runs),
            "list": measure(queue, args.runs),
        }
        print("\n".join(support.describe_machine(runtime)))
        runtime.close()
    print(
        f"incidents stored: {args.incidents:,} (+{args.runs} opened by the run), "
        f"seeded in {seeded:.1f} s; runs per command: {args.runs}"
    )
    for name, timings in results.items():
        print(f"{name:>6}: {percentiles(timings)}")


if __name__ == "__main__":
    main()
