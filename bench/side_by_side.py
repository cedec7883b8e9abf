"""Benchmark: the command path of several checkouts side by side, taking turns.

Each tree (a git worktree of some commit) runs in its own process, on its own temporary
SQLite file seeded with the same incidents as `bench.command_path`. The processes then
take turns running blocks of the same command (`new`, then `claim`, then `list`), so a slow
spell of a shared machine falls on every tree alike; separate runs minutes apart cannot
promise that. Prints each tree's percentiles and its ratio to the first tree.

    git worktree add /tmp/deskbot-old 381099b
    python -m bench.side_by_side old=/tmp/deskbot-old new=. [--incidents 100000]
                                 [--runs 1000] [--block 50]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = ("new", "claim", "list")


def serve(incidents: int) -> None:
    """Worker: seed, say which code it runs, then run `COMMAND START COUNT` lines from stdin."""
    # Imported here, in the worker, whose path names its tree: the driver imports no desk code.
    from bench import support
    from bench.command_path import historic_incidents
    from bot.identity import PlatformIdentity
    from domain.incidents import IncidentRecord

    with support.bench_database(None) as url:
        runtime = support.open_runtime(url)
        runtime.prepare()
        support.bulk_insert(runtime, IncidentRecord.__table__, historic_incidents(incidents))
        support.settle(runtime)
        execute = runtime.dispatcher.execute
        alice, carol = PlatformIdentity("console", "alice"), PlatformIdentity("console", "carol")
        texts = {
            "new": lambda i: (
                alice,
                f'/incident new "bench outage {i}" --service vpn --impact high',
            ),
            "claim": lambda i: (carol, f"/incident claim INC-{incidents + 1 + i}"),
            "list": lambda i: (carol, "/incident list"),
        }
        print(json.dumps(support.describe_machine(runtime)[1]), flush=True)
        for line in sys.stdin:
            name, start, count = line.split()
            timings = []
            for i in range(int(start), int(start) + int(count)):
                who, text = texts[name](i)
                began = time.perf_counter()
                reply = execute(who, text)
                timings.append((time.perf_counter() - began) * 1000)
                assert reply.ok, reply.text
            print(json.dumps(timings), flush=True)
        runtime.close()


def quantiles(timings: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 in milliseconds."""
    q = statistics.quantiles(timings, n=100, method="inclusive")
    return q[49], q[94], q[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", metavar="LABEL=PATH", help="checkouts to compare")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--block", type=int, default=50, help="runs per turn")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.incidents)
        return
    if not args.trees or not all("=" in tree for tree in args.trees):
        parser.error("name the checkouts as LABEL=PATH, e.g. old=/tmp/deskbot-old new=.")
    trees = dict(tree.split("=", 1) for tree in args.trees)
    with tempfile.TemporaryDirectory(prefix="deskbot-side-") as tmp:
        # This benchmark's own package goes first on the path, so every tree runs the same
        # harness while importing its own bot/ and domain/.
        shutil.copytree(Path(__file__).parent, Path(tmp) / "bench")
        workers = {
            label: subprocess.Popen(
                [sys.executable, "-m", "bench.side_by_side", "--serve"]
                + ["--incidents", str(args.incidents)],
                cwd=tmp,
                env=dict(os.environ, PYTHONPATH=f"{tmp}:{Path(path).resolve()}"),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for label, path in trees.items()
        }
        for label, worker in workers.items():
            print(f"{label}: {json.loads(worker.stdout.readline())}", flush=True)
        labels = list(workers)
        timings: dict[str, dict[str, list[float]]] = {t: {c: [] for c in COMMANDS} for t in labels}
        for command in COMMANDS:
            for turn, start in enumerate(range(0, args.runs, args.block)):
                first = turn % len(labels)  # who goes first rotates
                for label in labels[first:] + labels[:first]:
                    worker = workers[label]
                    worker.stdin.write(f"{command} {start} {args.block}\n")
                    worker.stdin.flush()
                    timings[label][command] += json.loads(worker.stdout.readline())
        for worker in workers.values():
            worker.stdin.close()
            worker.wait()
    print(
        f"{args.incidents:,} incidents, {args.runs} runs per command in turns of {args.block}; "
        f"ratios to {labels[0]}"
    )
    for command in COMMANDS:
        base = quantiles(timings[labels[0]][command])
        for label in labels:
            p50, p95, p99 = quantiles(timings[label][command])
            print(
                f"{command:>6} {label:>8}: p50 {p50:.2f} · p95 {p95:.2f} · p99 {p99:.2f} ms"
                f"  (×{p50 / base[0]:.2f} p50, ×{p99 / base[2]:.2f} p99)"
            )


if __name__ == "__main__":
    main()
