"""Request fulfilment's command path: /request new (one approval) to the task card.

Seeds `--requests` stored requests (default 100k; every state, a few hundred requesters,
the named approvers of the example catalogue), then times, in-process through the
dispatcher as chat adapters call it, `--runs` requests of a software licence: alice's
`/request new` (the request, its timeline, the SLA and approval timers, DMs to both
approvers) and carol's `/request approve` (the decision, the task card for the service
desk's channel, the requester's news). A licence is fulfilled by a team, so no directory
time is in it. Target: p99 of the two together under 20 ms.

    python -m bench.requests [--requests 1000000] [--database-url URL --reset]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from bench import support
from bench.command_path import percentiles
from bench.known_errors import percentile
from bot.identity import PlatformIdentity
from domain.requests import RequestRecord

TARGET_MS = 20.0
STATES = ["fulfilled"] * 6 + ["denied", "cancelled", "in_progress", "approved", "awaiting_approval"]


def historic_requests(count: int, seed: int = 11) -> Iterator[dict]:
    """Stored requests of every state, spread over a year and 400 requesters."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        opened = start + timedelta(seconds=rng.randrange(365 * 86400))
        state = rng.choice(STATES)
        done = state in ("fulfilled", "denied", "cancelled")
        yield {
            "item": "software-licence",
            "title": "Software licence",
            "requester": f"person{rng.randrange(400)}",
            "state": state,
            "answers": json.dumps({"product": f"Product {i % 977}", "seats": "1"}),
            "approvers": "grace,carol",
            "approvals_required": 1,
            "approval_lead": "grace",
            "fulfil_team": None if state == "awaiting_approval" else "service-desk",
            "assignee": "bob" if state in ("in_progress", "fulfilled") else None,
            "outcome": None,
            "opened_at": opened,
            "updated_at": opened,
            "due_at": opened + timedelta(days=3),
            "approved_at": None if state == "awaiting_approval" else opened,
            "task_due_at": None,
            "closed_at": opened + timedelta(days=1) if done else None,
            "escalated": False,
            "breached": False,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=20)
    support.add_database_options(parser)
    args = parser.parse_args()
    with support.bench_database(args.database_url, reset=args.reset) as url:
        runtime = support.open_runtime(url)
        runtime.prepare()
        started = time.perf_counter()
        support.bulk_insert(runtime, RequestRecord.__table__, historic_requests(args.requests))
        seeded = time.perf_counter() - started
        support.settle(runtime)
        dispatcher = runtime.dispatcher
        alice = PlatformIdentity("console", "alice")
        carol = PlatformIdentity("console", "carol")
        first = args.requests + 1
        timings: dict[str, list[float]] = {"new": [], "approve": [], "both": []}

        def one(i: int) -> tuple[float, float]:
            start = time.perf_counter()
            made = dispatcher.execute(alice, f"/request new software-licence product=Tool {i}")
            middle = time.perf_counter()
            approved = dispatcher.execute(carol, f"/request approve REQ-{first + i}")
            end = time.perf_counter()
            assert made.ok and approved.ok and "waiting for fulfilment" in approved.text, (
                made.text,
                approved.text,
            )
            return (middle - start) * 1000, (end - middle) * 1000

        for i in range(args.warmup):
            one(i)
        for i in range(args.warmup, args.warmup + args.runs):
            new, approve = one(i)
            timings["new"].append(new)
            timings["approve"].append(approve)
            timings["both"].append(new + approve)
        print("\n".join(support.describe_machine(runtime)))
        runtime.close()
    print(
        f"requests stored: {args.requests:,} (seeded in {seeded:.1f} s); runs: {args.runs} "
        f"after {args.warmup} untimed"
    )
    for name, found in timings.items():
        verdict = ""
        if name == "both":
            met = percentile(found, 99) < TARGET_MS
            verdict = f" · target p99 < {TARGET_MS:.0f} ms: " + ("met" if met else "MISSED")
        print(f"{name:>8}: {percentiles(found)}{verdict}")


if __name__ == "__main__":
    main()
