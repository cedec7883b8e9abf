"""Where the event server's time goes: py-spy's raw output, summed by part.

`bench.events --py-spy PATH` records the server during each measured phase (`py-spy
record --gil --format raw --threads`: only the thread holding the interpreter lock is
sampled, so the shares are of the one core the server's Python can use; one line per
distinct stack, `thread (tid): name;frame;… count`). This sums the samples of each thread
kind and, inside them, of the parts of the path an event takes.

    python -m bench.events_profile /tmp/deskbot-events-profile/0-generic-target.txt [--seconds 60]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# (part, substrings of frames that must all be in a stack for it to count): inclusive, so
# a part's samples include what it calls; an indented part is a share of the one above.
# A substring after "!" must not be in the stack.
HTTP = "uvicorn/protocols/http/h11_impl.py"
ROUTE = "adapters/monitoring/"
WRITER = "EventIntake._write"
BATCH = "process_inbox (domain/events/processing.py"
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("web: uvicorn's HTTP protocol and everything it runs", (HTTP,)),
    ("  h11 (HTTP parsing and writing)", (HTTP, "(h11/")),
    (
        "  Starlette (request, routing, response) outside our handlers",
        (HTTP, "(starlette/", "!" + ROUTE),
    ),
    ("  our route handlers", (HTTP, ROUTE)),
    ("    read the body", (HTTP, "read_body (adapters/monitoring/body.py")),
    ("    json.loads of the body", (HTTP, "parse_json (adapters/monitoring/body.py")),
    ("    body → signals (Alertmanager)", (HTTP, "read_alerts (adapters/monitoring")),
    ("    body → signals (generic)", (HTTP, "read_events (adapters/monitoring")),
    ("    body → signals (PagerDuty)", (HTTP, "read_event (adapters/monitoring")),
    ("    overloaded()", (HTTP, "Door.overloaded")),
    ("    intake.store: signals → JSON text, hand to the writer", (HTTP, "EventIntake.store")),
    ("web: the event loop's thread outside HTTP requests", ("MainThread", "!" + HTTP)),
    ("writer thread: inbox rows (insert, commit)", (WRITER,)),
    ("  pool checkout (pre-ping) ", (WRITER, "do_ping")),
    ("  INSERT executemany", (WRITER, "do_executemany")),
    ("  commit ", (WRITER, "do_commit")),
    ("processing: process_inbox (one batch, in a to_thread)", (BATCH,)),
    ("  inbox.take (select, delete, json.loads, Signal.from_json)", (BATCH, "inbox.py")),
    ("  _load: live events and groups", (BATCH, "_load (domain/events/processing.py")),
    ("  _apply: signals applied in memory", (BATCH, "_apply (domain/events/processing.py")),
    ("  settle: groups → incidents, cards", (BATCH, "settle (domain/events/settling.py")),
    ("  _write: events INSERT / UPDATE (and the ORM flush)", (BATCH, "_write (domain/events/")),
    ("processing: unit of work around it (checkout, commit)", ("EventProcessing.run_once",)),
    ("  pool checkout (pre-ping)", ("EventProcessing.run_once", "do_ping")),
    ("  commit", ("EventProcessing.run_once", "do_commit")),
    ("timers: run_due", ("TimerWorker.run_due",)),
)
THREAD = re.compile(r"^thread \(\d+\): ([^;]+);")


def summarise(path: Path) -> tuple[Counter, Counter, int]:
    """Samples by thread kind, samples by part, and all samples."""
    threads: Counter = Counter()
    parts: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        match = THREAD.match(stack)
        name = match.group(1) if match else "?"
        kind = "asyncio_N (to_thread: processing, timers)" if name.startswith("asyncio_") else name
        threads[kind] += n
        for part, markers in PARTS:
            if all((m[1:] not in stack) if m[0] == "!" else (m in stack) for m in markers):
                parts[part] += n
    return threads, parts, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--rate", type=float, default=200, help="py-spy's samples a second")
    parser.add_argument("--seconds", type=float, help="the phase's length: print the GIL's use")
    args = parser.parse_args()
    for path in args.files:
        threads, parts, total = summarise(path)
        seconds = total / args.rate
        print(f"\n{path.name}: {total:,} samples of busy threads ({seconds:.1f} thread-seconds)")
        if args.seconds:
            print(f"  the interpreter lock was held {seconds / args.seconds:.0%} of the phase")
        for kind, n in threads.most_common():
            print(f"  thread {kind}: {n / total:.0%}")
        for part, _ in PARTS:
            if parts[part]:
                print(f"  {part}: {parts[part] / total:.1%}")


if __name__ == "__main__":
    main()
