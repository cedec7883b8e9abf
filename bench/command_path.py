"""Benchmark: the in-process command path (parse → domain → commit, outbox row included).

SQLite file database with 100,000 incidents already stored; measures `/incident new`,
`/incident claim` and `/incident list` (an agent's team queue) and prints percentiles.

    python -m bench.command_path [--incidents 100000] [--runs 1000]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.config import example_config_path, load_config
from bot.identity import PlatformIdentity
from bot.runtime import Runtime
from bot.settings import Settings
from domain.clock import SystemClock
from domain.records import IncidentRecord

STATES = (
    ["closed"] * 90
    + ["resolved"] * 3
    + ["new", "assigned", "in_progress", "on_hold"] * 1
    + ["cancelled"] * 3
)
GROUPS = ["service-desk", "network", "messaging"]


def seed(runtime: Runtime, count: int) -> None:
    """Bulk-insert `count` incidents shaped like a desk's history (most of them closed)."""
    rng = random.Random(42)
    now = SystemClock().now()
    batch = []
    with runtime.database.transaction() as session:
        for n in range(count):
            opened = now - timedelta(minutes=count - n)
            state = rng.choice(STATES)
            batch.append(
                {
                    "title": f"historic incident {n}",
                    "description": "",
                    "reporter": "alice",
                    "service": "vpn",
                    "impact": "medium",
                    "urgency": "medium",
                    "priority": rng.choice(["P1", "P2", "P3", "P3", "P4", "P5"]),
                    "assignment_group": rng.choice(GROUPS),
                    "assignee": None if state == "new" else "bob",
                    "state": state,
                    "opened_at": opened,
                    "updated_at": opened,
                    "paused_seconds": 0,
                    "respond_warned": False,
                    "respond_breached": False,
                    "resolve_warned": False,
                    "resolve_breached": False,
                    "escalation_level": 0,
                }
            )
            if len(batch) == 10_000:
                session.execute(insert(IncidentRecord), batch)
                batch = []
        if batch:
            session.execute(insert(IncidentRecord), batch)


def measure(fn, runs: int) -> list[float]:
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        runtime = Runtime(
            Settings(database_url=url, config_path=None),
            load_config(example_config_path()),
            platforms=("console",),
        )
        runtime.prepare()
        seed(runtime, args.incidents)
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
        runtime.close()
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    print(
        f"incidents stored: {args.incidents:,} (+{args.runs} opened by the run); runs per command: {args.runs}"
    )
    for name, timings in results.items():
        print(f"{name:>6}: {percentiles(timings)}")


if __name__ == "__main__":
    main()
