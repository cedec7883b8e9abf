"""Events processing alone, in this process: signals/s, and what proposed changes would give.

Fills the inbox with the mix of `bench.events` (parsed by the monitoring adapter's own
readers, stored as the intake stores them), then times `EventProcessing.run_all` until
the inbox is empty: processing with the interpreter to itself, no HTTP. `--patch` applies
proposals (bench-side stand-ins for changes outside `bench/`, never committed code):

- `take`: `inbox.take` chooses rows by `id, count` alone (up to the batch's 5,000 signals
  whatever the row sizes), then deletes them `RETURNING` their signals, instead of reading
  `limit // 10` rows with their signals;
- `columns`: `_load` selects only the columns a live event needs (not labels, details, url,
  resolved_at);
- `repeats`: repeats whose summary and state did not change are written with one
  `UPDATE … SET count = count + n, last_seen = :now WHERE id IN (…)` per increment instead
  of a row each in the executemany.

    python -m bench.events_processing [--kind alertmanager|generic] [--requests N]
        [--patch none,take,columns,repeats,all] [--database-url URL --reset]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime

from sqlalchemy import delete, select, text, update

from bench import support
from bench.events import AUDIT_KEY, TOKENS, bench_config
from bench.events_mix import AlertmanagerMix, SingleMix

VARIANTS = ("none", "take", "columns", "repeats", "all")


def _signals(kind: str, requests: int) -> tuple[list[list], list[list]]:
    """The warm-up's and the measurement's requests, each as its list of signals."""
    from adapters.monitoring.alertmanager import read_alerts
    from adapters.monitoring.generic import read_events

    if kind == "alertmanager":
        mix, read = AlertmanagerMix(TOKENS["prometheus"]), read_alerts
    else:
        mix, read = SingleMix("generic", TOKENS["scripts"]), read_events
    warm = [read(json.loads(r.body)) for r in mix.warm_up()]
    measured = []
    for _ in range(requests):
        request = mix.next()
        mix.done(request)
        measured.append(read(json.loads(request.body)))
    return warm, measured


def _fill(runtime, integration: str, requests: list[list]) -> int:
    """Store the requests as inbox rows, as the intake does; returns the signals."""
    from bot.event_intake import signal_json
    from domain.events.records import EventInbox

    now = datetime.now(UTC)
    rows = [
        {
            "integration": integration,
            "signals": json.dumps([signal_json(s) for s in signals], separators=(",", ":")),
            "count": len(signals),
            "received_at": now,
        }
        for signals in requests
    ]
    support.bulk_insert(runtime, EventInbox.__table__, rows, batch=1000)
    return sum(len(signals) for signals in requests)


def patch(names: set[str]) -> None:
    """Apply the proposals named (see the module's doc) to the loaded code."""
    from domain.events import inbox, processing
    from domain.events.records import EventInbox, EventRecord
    from domain.events.signals import Signal

    if "take" in names:

        def take(ctx, limit: int):
            rows = ctx.session.execute(
                select(EventInbox.id, EventInbox.count).order_by(EventInbox.id).limit(limit)
            ).all()
            chosen, total = [], 0
            for row in rows:
                if chosen and total + row.count > limit:
                    break
                chosen.append(row.id)
                total += row.count
            if not chosen:
                return []
            got = ctx.session.execute(
                delete(EventInbox)
                .where(EventInbox.id.in_(chosen))
                .returning(EventInbox.id, EventInbox.integration, EventInbox.signals)
            ).all()
            got.sort(key=lambda row: row.id)
            return [
                (row.integration, [Signal.from_json(s) for s in json.loads(row.signals)])
                for row in got
            ]

        inbox.take = take

    table = EventRecord.__table__
    if "columns" in names:
        skip = {"labels", "details", "url", "resolved_at"}
        needed = [column for column in table.c if column.name not in skip]
        original_select = processing.select

        def narrow_select(*what):
            return original_select(*needed) if what == (table,) else original_select(*what)

        processing.select = narrow_select

    if "repeats" in names:
        original_load, original_write = processing._load, processing._write

        def load(batch, work) -> None:
            original_load(batch, work)
            batch.loaded = {
                e.id: (e.state, e.count, e.summary, e.acknowledged_at) for e in batch.live.values()
            }

        def write(batch) -> None:
            loaded = getattr(batch, "loaded", {})
            by_increment: dict[int, list[int]] = {}
            for event_id, event in list(batch.changed.items()):
                before = loaded.get(event_id)
                if before is None:
                    continue
                state, count, summary, acknowledged_at = before
                if (event.state, event.summary, event.acknowledged_at) == (
                    state,
                    summary,
                    acknowledged_at,
                ):
                    by_increment.setdefault(event.count - count, []).append(event_id)
                    del batch.changed[event_id]
            original_write(batch)
            for increment, ids in by_increment.items():
                for start in range(0, len(ids), 1000):
                    batch.ctx.session.execute(
                        update(table)
                        .where(table.c.id.in_(ids[start : start + 1000]))
                        .values(count=table.c.count + increment, last_seen=batch.now)
                        .execution_options(synchronize_session=False)
                    )

        processing._load, processing._write = load, write


def run(url: str, kind: str, requests: int) -> tuple[int, float, str]:
    """Process the mix on a fresh database; (signals, seconds, what it left: to compare
    variants, which must leave the same)."""
    from bot.runtime import Runtime
    from bot.settings import Settings

    runtime = Runtime(
        Settings(database_url=url, config_path=None, audit_key=AUDIT_KEY),
        bench_config(),
        platforms=("console",),
    )
    runtime.prepare()
    integration = "prometheus" if kind == "alertmanager" else "scripts"
    warm, measured = _signals(kind, requests)
    _fill(runtime, integration, warm)
    runtime.events.run_all()
    signals = _fill(runtime, integration, measured)
    support.settle(runtime)
    began = time.perf_counter()
    done = runtime.events.run_all()
    seconds = time.perf_counter() - began
    with runtime.database.transaction() as session:
        left = session.execute(
            text(
                "SELECT count(*), sum(count), "
                "sum(CASE WHEN state = 'resolved' THEN 1 ELSE 0 END), "
                "(SELECT count(*) FROM event_groups), (SELECT count(*) FROM incidents) "
                "FROM events"
            )
        ).one()
    runtime.close()
    if done != signals:
        raise SystemExit(f"processed {done} of {signals} signals")
    summary = "events {}, their count {}, resolved {}, groups {}, incidents {}".format(*left)
    return signals, seconds, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=("alertmanager", "generic"), default="alertmanager")
    parser.add_argument("--requests", type=int, help="default: 1,000 notifications / 20,000")
    parser.add_argument("--patch", default="none", help=f"one of {', '.join(VARIANTS)}")
    support.add_database_options(parser)
    args = parser.parse_args()
    requests = args.requests or (1000 if args.kind == "alertmanager" else 20_000)
    names = {"take", "columns", "repeats"} if args.patch == "all" else {args.patch} - {"none"}
    patch(names)
    with support.bench_database(args.database_url, reset=args.reset) as url:
        signals, seconds, left = run(url, args.kind, requests)
    database = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print(
        f"{database}, {args.kind}, patch {args.patch}: {signals:,} signals in {seconds:.2f} s, "
        f"{signals / seconds:,.0f}/s; {left}"
    )


if __name__ == "__main__":
    main()
