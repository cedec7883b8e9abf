"""Benchmark: from `/major declare` to a usable war room, on Slack and on Discord.

"Usable" means what the commander needs before anything else: the room exists with its
people let in, and the status card is posted and pinned in it (deskbot has stored both
references). The command goes in as the platform sends it — a signed slash command over
HTTP to the real Bolt app, a Discord interaction through the fake gateway to the real
discord.py client — and the worker delivers to the local fakes of Slack's Web API and
Discord's REST API (tests/fakes/), which answer at once: what is measured is deskbot.

Each run declares `--incidents` major incidents one after another on one desk and reports
the median, 95th percentile and worst time per platform. Target: under 2 s. With `--seed N`
the database first holds N closed incidents, each with its card's reference and N sent
outbox rows, as a desk in service would: how the cost grows with the data.

    python -m bench.major [--incidents 20] [--seed 100000] [--database-url URL --reset]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bench import support
from bot.message_refs import ref_of

TARGET = 2.0  # seconds


def _refs(runtime, number: int, platform_name: str) -> bool:
    database = runtime.database
    return all(
        ref_of(
            database,
            subject_type="major",
            subject_id=number,
            platform=platform_name,
            role=role,
        )
        for role in ("room", "status")
    )


async def _until_usable(runtime, number: int, platform_name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(_refs, runtime, number, platform_name):
        if time.monotonic() > deadline:
            raise RuntimeError(f"INC-{number}'s war room on {platform_name} was not usable in time")
        await asyncio.sleep(0.005)


def seed(url: str, count: int, platform_name: str) -> int:
    """N closed incidents with their cards and sent messages; returns the next incident's id."""
    from datetime import UTC, datetime, timedelta

    from domain.incidents import IncidentRecord
    from domain.records import MessageRef, OutboxMessage

    runtime = support.open_runtime(url)
    runtime.prepare()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    at = [start + timedelta(minutes=i) for i in range(count)]
    support.bulk_insert(
        runtime,
        IncidentRecord.__table__,
        (
            support.incident_row(f"old {i}", at[i], state="closed", closed_at=at[i])
            for i in range(count)
        ),
    )
    support.bulk_insert(
        runtime,
        MessageRef.__table__,
        (
            {
                "subject_type": "incident",
                "subject_id": str(i + 1),
                "platform": platform_name,
                "role": "card",
                "person": "",
                "ref": f"C0TRIAGE:{1700000000 + i}.000100",
                "created_at": at[i],
            }
            for i in range(count)
        ),
    )
    support.bulk_insert(
        runtime,
        OutboxMessage.__table__,
        (
            {
                "created_at": at[i],
                "platform": platform_name,
                "kind": "incident_opened",
                "destination_kind": "channel",
                "destination": "service-desk",
                "subject_type": "incident",
                "subject_id": str(i + 1),
                "context": "{}",
                "status": "sent",
                "attempts": 1,
                "next_attempt_at": at[i],
                "sent_at": at[i],
            }
            for i in range(count)
        ),
    )
    support.settle(runtime)
    runtime.close()
    return count + 1


async def slack_run(database_url: str, incidents: int, first: int = 1) -> list[float]:
    """Seconds from each declaration's slash command to its usable room on Slack."""
    from tests.fakes.slack_api import FakeSlackApi
    from tests.slack.harness import SlackDeskHarness
    from tests.slack.test_major import WITH_MAJOR

    times = []
    with FakeSlackApi() as slack:
        desk = SlackDeskHarness.build(database_url, slack, config_text=WITH_MAJOR)
        desk.start_worker()
        try:
            for number in range(first, first + incidents):
                started = time.perf_counter()
                reply = await desk.say("U0BOB", f'/major declare "Checkout down {number}"')
                if f"INC-{number} [P1] is a major incident" not in reply:
                    raise RuntimeError(f"unexpected reply: {reply}")
                await _until_usable(desk.runtime, number, "slack")
                times.append(time.perf_counter() - started)
                if (
                    slack.calls("pins.add")[-1].args["channel"]
                    != ref_of(
                        desk.runtime.database,
                        subject_type="major",
                        subject_id=number,
                        platform="slack",
                        role="room",
                    ).split(":", 1)[0]
                ):
                    raise RuntimeError("the status card was not pinned in the room")
        finally:
            await desk.close()
    return times


async def discord_run(database_url: str, incidents: int, first: int = 1) -> list[float]:
    """Seconds from each declaration's interaction to its usable room on Discord."""
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    from tests.discord.harness import DiscordDeskHarness, add_company
    from tests.fakes.discord_server import FakeDiscord

    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    times = []
    try:
        async with FakeDiscord() as fake:
            add_company(fake)
            desk = await DiscordDeskHarness.start(database_url, fake)
            try:
                for number in range(first, first + incidents):
                    started = time.perf_counter()
                    record = await desk.command(
                        "bob", "major", "declare", title=f"VPN down {number}", service="vpn"
                    )
                    answer = await desk.answer(record)
                    if f"INC-{number}" not in answer:
                        raise RuntimeError(f"unexpected answer: {answer}")
                    await _until_usable(desk.runtime, number, "discord")
                    times.append(time.perf_counter() - started)
            finally:
                await desk.close()
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
    return times


def _report(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    verdict = "met" if ordered[-1] < TARGET else "MISSED"
    return (
        f"{name:18} n={len(times):3}  median {statistics.median(times) * 1000:7.1f} ms  "
        f"p95 {p95 * 1000:7.1f} ms  worst {ordered[-1] * 1000:7.1f} ms  "
        f"(target < {TARGET:.0f} s: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0, help="closed incidents stored first")
    support.add_database_options(parser)
    args = parser.parse_args()
    with support.bench_database(args.database_url, reset=args.reset) as url:
        runtime = support.open_runtime(url)
        print("\n".join(support.describe_machine(runtime)), flush=True)
        runtime.close()
    for name, run in (("slack", slack_run), ("discord", discord_run)):
        # Each platform on a fresh database (the same one, emptied, when one is given).
        with support.bench_database(args.database_url, reset=True) as url:
            started = time.perf_counter()
            first = seed(url, args.seed, name) if args.seed else 1
            if args.seed:
                print(
                    f"{name}: seeded {args.seed:,} incidents in {time.perf_counter() - started:.0f} s"
                )
            times = asyncio.run(run(url, args.incidents, first))
        print(_report(f"{name} (+{args.seed:,})", times), flush=True)


if __name__ == "__main__":
    main()
