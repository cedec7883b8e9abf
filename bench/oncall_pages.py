"""Benchmark: 1,000 simultaneous pages stepping through their escalation policy, on time.

The example company's `network` team gets a short policy, made from its own with
`dataclasses.replace`: its first `--steps` steps (primary, secondary, lead) with a `--wait`
of 2 s each, no repeat. `--pages` open P1 incidents of `network` are seeded and each is
paged once (`domain.paging.page`) with the clock held at one instant: step 1 runs then
(a DM to whoever is on call) and writes a `page_step` timer. Those timers are parked while
`--workers` worker processes start, each built as `deskbot worker` builds it (a Runtime,
`prepare`, `start_periodic_jobs`, `runtime.worker.run(stop)`: the real `Worker` loop on
the system clock, sleeping until the next timer is due). Once both are up and idle, all
first timers are set due at one instant `--wait` ahead. From then on the workers run the
pages on their own: each step writes the next timer `--wait` after it ran, and the timer
after the last step ends the page unanswered. The bench stops the workers when no page is
paging and no `page_step` timer is pending.

Lag is `fired_at - due_at` of every fired `page_step` timer, as the worker recorded it
(`mark_fired`, the batch's clock just before its commit). The outbox rows (DMs, channel
posts) are written but not delivered: no sender runs. Afterwards the database must show
every page ended unanswered, every timer fired once and every step once on each
incident's timeline.

    python -m bench.oncall_pages [--pages 1000] [--steps 3] [--wait 2] [--workers 2]
                                 [--database-url URL [--reset]]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import os
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import NamedTuple

from sqlalchemy import func, select, update

from bench import support
from bench.command_path import percentiles
from bench.known_errors import percentile
from bot.config import DeskConfig, example_config_path, load_config
from bot.runtime import Runtime
from domain import paging, timers
from domain.clock import ManualClock
from domain.incidents import IncidentRecord, TimelineEntry
from domain.oncall.pages import STEP
from domain.oncall.records import Page
from domain.records import OutboxMessage, Timer

TEAM = "network"
TARGET_MS = 1000.0
PARKED = timedelta(days=1)  # where the first timers wait while the workers start


def bench_config(steps: int, wait: float) -> DeskConfig:
    """The example company with `network`'s policy cut to `steps` steps of `wait` seconds."""
    config = load_config(example_config_path())
    oncall = config.policy.oncall
    team = oncall.teams[TEAM]
    escalation = replace(
        team.escalation,
        steps=tuple(
            replace(s, wait=timedelta(seconds=wait)) for s in team.escalation.steps[:steps]
        ),
        repeat=0,
    )
    teams = {**oncall.teams, TEAM: replace(team, escalation=escalation)}
    policy = replace(config.policy, oncall=replace(oncall, teams=teams))
    return replace(config, policy=policy)


def seed(runtime: Runtime, count: int, at: datetime, chunk: int = 100) -> float:
    """`count` open P1 incidents of the team, each paged once with the clock at `at`."""
    opened = at - timedelta(minutes=1)
    support.bulk_insert(
        runtime,
        IncidentRecord.__table__,
        (
            support.incident_row(
                f"bench incident {n}",
                opened,
                id=n,
                impact="high",
                urgency="high",
                priority="P1",
                assignment_group=TEAM,
            )
            for n in range(1, count + 1)
        ),
    )
    started = time.perf_counter()
    for first in range(1, count + 1, chunk):
        with runtime.dispatcher.unit_of_work() as ctx:
            for n in range(first, min(first + chunk, count + 1)):
                incident = ctx.session.get(IncidentRecord, n)
                paging.page(ctx, TEAM, incident, "bench: a new P1 incident")
    return time.perf_counter() - started


def set_first_due(runtime: Runtime, due_at: datetime) -> int:
    """Move every pending page_step timer to `due_at`; returns how many."""
    with runtime.database.transaction() as session:
        return session.execute(
            update(Timer)
            .where(Timer.kind == STEP, Timer.state == "pending")
            .values(due_at=due_at)
            .execution_options(synchronize_session=False)
        ).rowcount


class Report(NamedTuple):
    """What one worker process did: page_step handler calls, and when each timer ran."""

    pid: int
    calls: int
    ran: list[tuple[int, datetime]]  # (timer id, when its handler started)


def work(url: str, steps: int, wait: float, ready: Queue, stop: Event, results: Queue) -> None:
    """One worker process, as `deskbot worker` assembles it, until `stop` is set."""
    logging.basicConfig(level=logging.WARNING, format=f"worker {os.getpid()}: %(message)s")
    runtime = support.open_runtime(url, config=bench_config(steps, wait))
    runtime.prepare()
    runtime.start_periodic_jobs()
    ran: list[tuple[int, datetime]] = []
    # Which process ran which timer, and when (bench only). Page steps fire as batches
    # (timers.batch_handler); a timer retried alone comes through as a batch of one.
    batch = timers.BATCH_HANDLERS[STEP]

    def counted(ctx, due) -> None:
        now = datetime.now(UTC)
        ran.extend((timer.id, now) for timer, _ in due)
        batch(ctx, due)

    timers.BATCH_HANDLERS[STEP] = counted

    async def run() -> None:
        stopping = asyncio.Event()

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.1)
            stopping.set()

        await asyncio.gather(runtime.worker.run(stopping), watch())

    ready.put(os.getpid())
    asyncio.run(run())
    results.put(Report(os.getpid(), len(ran), ran))
    runtime.close()


def unfinished(runtime: Runtime) -> int:
    """Pages still paging plus page_step timers still pending, read without a write lock
    (a plain read on a driver connection: on SQLite no BEGIN IMMEDIATE to hold up the
    workers)."""
    connection = runtime.database.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT (SELECT count(*) FROM pages WHERE state = 'paging')"
            f" + (SELECT count(*) FROM timers WHERE kind = '{STEP}' AND state = 'pending')"
        )
        return cursor.fetchone()[0]
    finally:
        connection.close()


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="pages at one instant")
    parser.add_argument("--steps", type=int, default=3, help="policy steps (at most 4)")
    parser.add_argument("--wait", type=float, default=2.0, help="seconds each step waits")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    support.add_database_options(parser)
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    with support.bench_database(args.database_url, reset=args.reset) as url:
        seeded_at = datetime.now(UTC)
        runtime = support.open_runtime(
            url, ManualClock(seeded_at), config=bench_config(args.steps, args.wait)
        )
        runtime.prepare()
        paged_in = seed(runtime, args.pages, seeded_at)
        first_timers = set_first_due(runtime, seeded_at + PARKED)
        support.settle(runtime)

        context = mp.get_context("spawn")
        ready, results, stop = context.Queue(), context.Queue(), context.Event()
        processes = [
            context.Process(target=work, args=(url, args.steps, args.wait, ready, stop, results))
            for _ in range(args.workers)
        ]
        for process in processes:
            process.start()
        for _ in processes:
            ready.get(timeout=120)
        time.sleep(0.5)  # into their loops, idle: nothing due for a day
        go = datetime.now(UTC) + timedelta(seconds=args.wait)
        moved = set_first_due(runtime, go)
        deadline = time.monotonic() + args.wait * (args.steps + 1) + 300
        while unfinished(runtime) and time.monotonic() < deadline:
            time.sleep(0.2)
        finished_after = (datetime.now(UTC) - go).total_seconds()
        load_at_end = os.getloadavg()
        stop.set()
        reports = [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join()
            if process.exitcode:
                raise SystemExit(f"a worker failed (exit code {process.exitcode})")

        with runtime.database.transaction() as session:
            rows = session.execute(
                select(Timer.id, Timer.subject_id, Timer.due_at, Timer.fired_at, Timer.state).where(
                    Timer.kind == STEP
                )
            ).all()
            pages = Counter(session.scalars(select(Page.state)))
            ended = session.scalar(
                select(func.count(Page.id)).where(
                    Page.state == "ended", Page.end_reason.like("nobody acknowledged after 1 %")
                )
            )
            step_entries = Counter(
                session.scalars(
                    select(TimelineEntry.incident_id).where(TimelineEntry.kind == "page_step")
                )
            )
            outbox = dict(
                session.execute(
                    select(OutboxMessage.kind, func.count(OutboxMessage.id))
                    .where(OutboxMessage.kind.in_(["page", "page_channel", "page_unanswered"]))
                    .group_by(OutboxMessage.kind)
                ).all()
            )
        print("\n".join(support.describe_machine(runtime)))
        runtime.close()

    fired = [r for r in rows if r.state == "fired"]
    states = Counter(r.state for r in rows)
    per_page: dict[str, list] = defaultdict(list)
    for r in fired:
        per_page[r.subject_id].append(r)
    lags: dict[int, list[float]] = defaultdict(list)  # by timer number within its page
    for timers_of_page in per_page.values():
        for number, r in enumerate(sorted(timers_of_page, key=lambda r: r.due_at), 1):
            lags[number].append((utc(r.fired_at) - utc(r.due_at)).total_seconds() * 1000)
    every = [lag for found in lags.values() for lag in found]
    ran = Counter(i for report in reports for i, _ in report.ran)
    started = {i: at for report in reports for i, at in report.ran}
    handler_lags = [
        (started[r.id] - utc(r.due_at)).total_seconds() * 1000 for r in fired if r.id in started
    ]

    print(
        f"policy: {TEAM}'s first {args.steps} steps, {args.wait:g} s wait each, no repeat; "
        f"{args.workers} worker processes (Worker.run, poll interval 1 s); "
        "outbox rows written, not delivered (no sender)"
    )
    print(
        f"paged {args.pages:,} incidents at one instant in {paged_in:.1f} s (step 1 each); "
        f"their {first_timers:,} first timers parked, then {moved:,} set due at one instant"
    )
    print(
        f"load average (uptime): {' '.join(f'{x:.2f}' for x in load_at_start)} at start, "
        f"{' '.join(f'{x:.2f}' for x in load_at_end)} at the end"
    )
    for report in sorted(reports):
        print(f"  worker {report.pid}: ran {report.calls:,} page_step timers")
    print(
        f"all pages done {finished_after:.2f} s after the first instant "
        f"(ideal {args.wait * (args.steps - 1):g} s: {args.steps - 1} more waits)"
    )
    print(f"page_step timers: {dict(states)}")
    for number, found in sorted(lags.items()):
        what = f"runs step {number + 1}" if number < args.steps else "ends the page"
        print(
            f"  lag, timer {number} ({what}, {len(found):,}): {percentiles(found)}"
            f" · min {min(found):.2f} ms"
        )
    met = percentile(every, 99) < TARGET_MS
    print(
        f"lag, all {len(every):,}: {percentiles(every)} · target p99 < {TARGET_MS:.0f} ms: "
        + ("met" if met else "MISSED")
    )
    print(
        "  (fired_at is stamped once per batch of up to 200, just before its commit; "
        f"the handler itself started: {percentiles(handler_lags)})"
    )
    print(
        f"pages: {dict(pages)}; ended unanswered after one round: {ended:,}; outbox rows: {outbox}"
    )

    expected_timers = args.pages * args.steps
    problems = []
    if len(fired) != expected_timers or len(rows) != expected_timers:
        problems.append(
            f"{len(fired):,} of {len(rows):,} timers fired (expected {expected_timers:,})"
        )
    if sum(ran.values()) != len(fired) or any(c != 1 for c in ran.values()):
        twice = [i for i, c in ran.items() if c > 1]
        problems.append(
            f"handler calls {sum(ran.values()):,} for {len(fired):,} fired timers; "
            f"run more than once: {twice[:20]}"
        )
    if set(ran) != {r.id for r in fired}:
        problems.append("the timers the handler ran are not the timers marked fired")
    if any(len(t) != args.steps for t in per_page.values()) or len(per_page) != args.pages:
        problems.append("some page fired a number of timers other than one per step")
    if ended != args.pages:
        problems.append(f"{ended:,} pages ended unanswered (expected {args.pages:,})")
    if len(step_entries) != args.pages or any(c != args.steps for c in step_entries.values()):
        counts = Counter(step_entries.values())
        problems.append(f"page_step timeline entries per incident: {dict(counts)}")
    if outbox.get("page", 0) != args.pages * args.steps:
        problems.append(
            f"page DMs {outbox.get('page', 0):,} (expected {args.pages * args.steps:,})"
        )
    print(
        "check: "
        + (
            f"OK, every page ran each of its {args.steps} steps exactly once and ended; "
            f"each timer fired once, by one worker"
            if not problems
            else "FAILED"
        )
    )
    if problems:
        raise SystemExit("\n".join(problems))


if __name__ == "__main__":
    main()
