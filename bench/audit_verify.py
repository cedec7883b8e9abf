"""Benchmark: `audit.verify` over 100,000 and 1,000,000 audit records (target: 1,000,000
under 10 s), and the cost of one append inside a transaction.

For each size, an empty database (a temporary SQLite file, or `--database-url` emptied
with `--reset`) is migrated and filled in bulk with records whose MACs are computed for
real (one chain, as `audit.record` would write it), then `verify` walks the chain
`--runs` times, each timed from the first query to the result. Afterwards `--appends`
records are appended one transaction each through `audit.record`, timed per transaction.

    python -m bench.audit_verify [--sizes 100000 1000000] [--runs 3] [--appends 500]
                                 [--database-url URL --reset]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from itertools import islice

from sqlalchemy import insert, text

from bench import support
from bot.db import Database
from domain import audit
from domain.audit.chain import (
    GENESIS,
    HEAD,
    HEAD_ID,
    RECORDS,
    canonical_details,
    iso,
    mac_of,
    message,
)
from domain.clock import ManualClock
from domain.context import DeskContext

KEY = b"bench-audit-key-0123456789abcdef"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TARGET_SECONDS = 10.0
ACTIONS = ("request.submitted", "request.approved", "access.granted", "password_reset.started")


def chain_rows(count: int):
    """`count` records as `audit.record` would chain them, MACs included."""
    prev = GENESIS
    for seq in range(1, count + 1):
        at = START + timedelta(seconds=seq)
        actor = ("alice", "bob", "carol", "grace")[seq % 4]
        action = ACTIONS[seq % 4]
        subject = f"REQ-{seq // 3 + 1}"
        details = canonical_details({"item": "software-licence", "note": f"n{seq % 97}"})
        mac = mac_of(KEY, message(seq, iso(at), actor, action, subject, details, prev))
        yield {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": details,
            "prev_mac": prev,
            "mac": mac,
        }
        prev = mac


def fill(database: Database, count: int) -> tuple[float, tuple[int, str]]:
    started = time.perf_counter()
    rows = chain_rows(count)
    last = None
    while chunk := list(islice(rows, 20_000)):
        with database.transaction() as session:
            session.execute(insert(RECORDS), chunk)
        last = chunk[-1]
    with database.transaction() as session:
        session.execute(insert(HEAD).values(id=HEAD_ID, seq=last["seq"], mac=last["mac"]))
    if not database.is_sqlite:
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE audit_records")
            )
    return time.perf_counter() - started, (last["seq"], last["mac"])


def time_verify(database: Database, head: tuple[int, str]) -> float:
    started = time.perf_counter()
    with database.engine.connect() as connection:
        result = audit.verify(connection, KEY, head)
    elapsed = time.perf_counter() - started
    assert result.ok and result.head == head, result
    return elapsed


def time_appends(database: Database, count: int) -> list[float]:
    clock = ManualClock(START + timedelta(days=30))
    times = []
    for n in range(count):
        started = time.perf_counter()
        with database.transaction() as session:
            ctx = DeskContext(session, None, clock, audit_key=KEY)
            audit.record(ctx, "alice", "bench.append", f"REQ-{n}", {"n": n})
        times.append(time.perf_counter() - started)
    return times


def run(url: str, size: int, runs: int, appends: int) -> None:
    database = Database(url)
    try:
        database.upgrade()
        filled, head = fill(database, size)
        verifies = [time_verify(database, head) for _ in range(runs)]
        per_append = sorted(time_appends(database, appends)) if appends else []
    finally:
        database.dispose()
    kind = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    shown = " / ".join(f"{v:.2f}" for v in verifies)
    verdict = "met" if min(verifies) < TARGET_SECONDS else "MISSED"
    print(
        f"{kind} {size:>9,} records: filled in {filled:.1f} s; verify {shown} s "
        f"({size / min(verifies):,.0f} records/s; target {TARGET_SECONDS:.0f} s {verdict})"
    )
    if per_append:
        p50 = statistics.median(per_append) * 1000
        p99 = per_append[int(len(per_append) * 0.99) - 1] * 1000
        print(
            f"    one append (own transaction, commit included): p50 {p50:.2f} ms, p99 {p99:.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--appends", type=int, default=500)
    support.add_database_options(parser)
    args = parser.parse_args()
    for size in args.sizes:
        with support.bench_database(
            args.database_url, reset=args.reset or bool(args.database_url)
        ) as url:
            run(url, size, args.runs, args.appends)


if __name__ == "__main__":
    main()
