"""On-call schedule arithmetic: "who is on call" for every team, and a 90-day schedule.

Builds 50 teams in five zones (London, New York, Berlin, Tokyo, Sydney), each with one
schedule of three layers — a weekly rotation (24/7), a 12-hour rotation for weekends
(Saturday and Sunday windows) and a daily rotation for weekday business hours
(Monday–Friday 09:00–17:00) — and about five overrides each, spread over 2026. Then
times, without a database:

- who: `on_call` for all 50 schedules (150 layers) at one instant, with their real
  start and end ("until Mon 09:00"), the instant random in 2026 each run; target p99
  under 5 ms for the whole query;
- 90 days: `shifts` of one team's schedule over 90 days from a random day of 2026, with
  its overrides; target p99 under 50 ms.

    python -m bench.oncall_schedule [--runs 1000] [--teams 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.command_path import percentiles
from bench.known_errors import percentile
from domain.oncall_settings import Layer, Schedule, Window
from domain.schedules import Cover, on_call, shifts

WHO_TARGET_MS = 5.0
DAYS90_TARGET_MS = 50.0
ZONES = ("Europe/London", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney")
YEAR = datetime(2026, 1, 1, tzinfo=UTC)
WEEKDAYS_9_TO_5 = (Window(frozenset(range(5)), time(9), time(17)),)
WEEKENDS = (Window(frozenset({5, 6}), time(0), time(0)),)


def team_schedule(n: int, rng: random.Random) -> tuple[Schedule, list[Cover]]:
    """Team n's schedule (three layers in one of the zones) and about five overrides."""
    zone = ZONES[n % len(ZONES)]
    tz = ZoneInfo(zone)
    people = [f"t{n}p{i}" for i in range(rng.randint(4, 8))]

    def members() -> tuple[str, ...]:
        return tuple(rng.sample(people, k=rng.randint(2, len(people))))

    begin = datetime(2025, 6, 2, 9, 0, tzinfo=tz) + timedelta(days=rng.randrange(120))
    layers = (
        Layer("weekly", members(), begin, timedelta(weeks=1), zone),
        Layer("weekend", members(), begin.replace(hour=8), timedelta(hours=12), zone, WEEKENDS),
        Layer("business", members(), begin, timedelta(days=1), zone, WEEKDAYS_9_TO_5),
    )
    covers = []
    for i in range(rng.randint(4, 6)):
        start = YEAR + timedelta(minutes=rng.randrange(365 * 24 * 60))
        length = timedelta(hours=rng.randint(2, 72))
        covers.append(Cover(n * 10 + i, rng.choice(people), start, start + length))
    return Schedule(f"team{n}", "primary", zone, layers), covers


def machine() -> list[str]:
    """The machine and the code, as the other benches name them."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or platform.machine(),
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    tree = Path(__file__).resolve().parent.parent
    commit = subprocess.run(
        ["git", "-C", str(tree), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    return [
        f"machine: {os.cpu_count()} CPUs ({cpu}), {memory:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, "
        f"{platform.python_implementation()} {platform.python_version()}",
        f"code: {tree} at {commit or 'an unknown commit'}",
        "database: none (pure arithmetic)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--teams", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(15)
    teams = [team_schedule(n, rng) for n in range(args.teams)]
    instants = [
        YEAR + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(args.warmup + args.runs)
    ]

    def who(at: datetime) -> float:
        started = clock.perf_counter()
        found = [on_call(schedule, at, covers) for schedule, covers in teams]
        elapsed = (clock.perf_counter() - started) * 1000
        assert all(piece.start <= at < piece.end for piece in found)
        return elapsed

    def ninety_days(start: datetime) -> float:
        schedule, covers = teams[0]
        day = start.replace(hour=0, minute=0, second=0)
        started = clock.perf_counter()
        timeline = shifts(schedule, day, day + timedelta(days=90), covers)
        elapsed = (clock.perf_counter() - started) * 1000
        assert timeline[0].start == day and timeline[-1].end == day + timedelta(days=90)
        return elapsed

    timings: dict[str, list[float]] = {"who": [], "90 days": []}
    for at in instants[: args.warmup]:
        who(at)
        ninety_days(at)
    for at in instants[args.warmup :]:
        timings["who"].append(who(at))
        timings["90 days"].append(ninety_days(at))
    print("\n".join(machine()))
    print(
        f"teams: {args.teams} × 3 layers (weekly; 12 h on weekends; daily Mon–Fri 09:00–17:00), "
        f"{sum(len(c) for _, c in teams)} overrides; runs: {args.runs} after {args.warmup} untimed"
    )
    targets = {"who": WHO_TARGET_MS, "90 days": DAYS90_TARGET_MS}
    for name, found in timings.items():
        met = percentile(found, 99) < targets[name]
        verdict = f" · target p99 < {targets[name]:.0f} ms: " + ("met" if met else "MISSED")
        print(f"{name:>8}: {percentiles(found)}{verdict}")


if __name__ == "__main__":
    main()
