"""Benchmark: a burst of SLA warnings falling due at one instant, fired by the timer worker.

Seeds `--due` open incidents (in progress in the `network` queue, assigned to carol or
erin), each with a `resolve_warning` timer due at the same instant, and `--backlog` more
open incidents whose warnings fall due later (pending timers the worker must leave alone).
A manual clock stands one second past the instant. `--workers` processes, each with its
own Runtime and TimerWorker, call `runtime.timers.run_due(limit)` until it returns 0; the
time is from their common start to the last one's end. Afterwards the database must show
every due timer fired once: one `sla_warning` timeline entry and two outbox rows (team
channel, assignee) per incident, and the backlog still pending.

    python -m bench.timers [--due 10000] [--backlog 0] [--workers 1]
                           [--database-url URL [--reset]]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any, NamedTuple

from sqlalchemy import distinct, func, select

from bench import support
from bot.runtime import Runtime
from domain.clock import ManualClock
from domain.incidents import IncidentRecord, TimelineEntry
from domain.records import OutboxMessage, Timer

DUE_AT = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
NOW = DUE_AT + timedelta(seconds=1)
TARGET_SECONDS = 5.0


def open_incidents(count: int) -> Iterator[dict[str, Any]]:
    """In-progress P2 incidents of `network` whose resolve warning (at 6 h) is at DUE_AT."""
    opened = DUE_AT - timedelta(hours=6)
    for n in range(1, count + 1):
        yield support.incident_row(
            f"bench incident {n}",
            opened,
            id=n,
            impact="high",
            priority="P2",
            assignment_group="network",
            assignee=("carol", "erin")[n % 2],
            state="in_progress",
            first_response_at=opened + timedelta(minutes=5),
            updated_at=opened + timedelta(minutes=5),
        )


def warnings(due: int, backlog: int) -> Iterator[dict[str, Any]]:
    """One resolve warning per incident: the first `due` at DUE_AT, the rest later."""
    for n in range(1, due + backlog + 1):
        yield {
            "subject_type": "incident",
            "subject_id": str(n),
            "kind": "resolve_warning",
            "due_at": DUE_AT if n <= due else DUE_AT + timedelta(hours=1, seconds=n),
            "state": "pending",
        }


class Report(NamedTuple):
    """What one worker process did: timers fired, `run_due` calls that fired any, when."""

    pid: int
    fired: int
    passes: int
    began: float  # time.monotonic(), comparable between processes on one machine
    ended: float


def drain(url: str, limit: int, start: Barrier, results: Queue[Report]) -> None:
    """One worker process: its own Runtime; waits for the others, then fires until done."""
    runtime = support.open_runtime(url, ManualClock(NOW))
    runtime.prepare()  # what `deskbot worker` does on start (and it connects the pool)
    start.wait()
    began = time.monotonic()
    fired = passes = 0
    while done := runtime.timers.run_due(limit=limit):
        fired, passes = fired + done, passes + 1
    results.put(Report(os.getpid(), fired, passes, began, time.monotonic()))
    runtime.close()


def run_workers(url: str, workers: int, limit: int) -> list[Report]:
    """Start `workers` drain processes together and collect their reports."""
    context = mp.get_context("spawn")
    start, results = context.Barrier(workers), context.Queue()
    processes = [
        context.Process(target=drain, args=(url, limit, start, results)) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode:
            raise SystemExit(f"a worker failed (exit code {process.exitcode})")
    return reports


def counts(runtime: Runtime) -> dict[str, int]:
    """What the database shows after the run."""
    warning = TimelineEntry.kind == "sla_warning"
    queries = {
        "timers fired": select(func.count(Timer.id)).where(Timer.state == "fired"),
        "timers pending": select(func.count(Timer.id)).where(Timer.state == "pending"),
        "timers failed": select(func.count(Timer.id)).where(Timer.state == "failed"),
        "sla_warning timeline entries": select(func.count(TimelineEntry.id)).where(warning),
        "incidents with one": select(func.count(distinct(TimelineEntry.incident_id))).where(
            warning
        ),
        "incidents marked warned": select(func.count(IncidentRecord.id)).where(
            IncidentRecord.resolve_warned
        ),
        "sla_warning outbox rows": select(func.count(OutboxMessage.id)).where(
            OutboxMessage.kind == "sla_warning"
        ),
    }
    with runtime.database.transaction() as session:
        return {name: session.scalar(query) or 0 for name, query in queries.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=10_000, help="warnings due at one instant")
    parser.add_argument("--backlog", type=int, default=0, help="pending timers due later")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--limit", type=int, default=5000, help="run_due(limit) per call")
    support.add_database_options(parser)
    args = parser.parse_args()
    with support.bench_database(args.database_url, reset=args.reset) as url:
        runtime = support.open_runtime(url, ManualClock(NOW))
        runtime.prepare()
        started = time.perf_counter()
        total = args.due + args.backlog
        support.bulk_insert(runtime, IncidentRecord.__table__, open_incidents(total))
        support.bulk_insert(runtime, Timer.__table__, warnings(args.due, args.backlog))
        support.settle(runtime)
        seeded = time.perf_counter() - started
        reports = run_workers(url, args.workers, args.limit)
        found = counts(runtime)
        print("\n".join(support.describe_machine(runtime)))
        runtime.close()

    wall = max(r.ended for r in reports) - min(r.began for r in reports)
    fired = sum(r.fired for r in reports)
    print(
        f"seeded {total:,} open incidents and their warnings in {seeded:.1f} s: "
        f"{args.due:,} due now, {args.backlog:,} due later"
    )
    for r in sorted(reports):
        print(
            f"  worker {r.pid}: fired {r.fired:,} in {r.passes} passes, {r.ended - r.began:.2f} s"
        )
    print(
        f"{args.workers} worker(s) fired {fired:,} warnings in {wall:.2f} s "
        f"({fired / wall:,.0f} timers/s); target < {TARGET_SECONDS:.0f} s: "
        + ("met" if wall < TARGET_SECONDS else "MISSED")
    )
    expected = {
        "timers fired": args.due,
        "timers pending": args.backlog,
        "timers failed": 0,
        "sla_warning timeline entries": args.due,
        "incidents with one": args.due,
        "incidents marked warned": args.due,
        "sla_warning outbox rows": 2 * args.due,
    }
    problems = [f"{k}: {found[k]:,} (expected {v:,})" for k, v in expected.items() if found[k] != v]
    if fired != args.due:
        problems.append(f"workers reported {fired:,} fired (expected {args.due:,})")
    print("counts: " + ", ".join(f"{k} {v:,}" for k, v in found.items()))
    print("check: " + ("OK, every due warning fired exactly once" if not problems else "FAILED"))
    if problems:
        raise SystemExit("\n".join(problems))


if __name__ == "__main__":
    main()
