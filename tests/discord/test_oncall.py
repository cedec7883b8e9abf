"""On-call on Discord: a new P1 pages the person on call by DM with Acknowledge and Escalate
now buttons; unanswered, the policy's next step pages the secondary; a press of Acknowledge
stops the policy, tells the others and is the incident's first response."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import load_config_text
from bot.runtime import Runtime
from domain.clock import ManualClock
from domain.oncall import Page
from domain.records import Timer
from tests.discord.harness import DiscordDeskHarness, config_text, settings_for

# The example company's network on-call (bot/example/deskbot.yaml): carol is primary and
# erin secondary in the week from Monday 5 January 2026, 09:00 London (= UTC in winter).
ONCALL = """
oncall:
  page_priorities: [P1, P2]
  teams:
    network:
      zone: Europe/London
      schedules:
        primary:
          - {name: weekly, members: [carol, erin], start: "2026-01-05 09:00", every: 1w}
        secondary:
          - {members: [erin, carol], start: "2026-01-05 09:00", every: 1w}
      escalation:
        steps:
          - {notify: primary, wait: 5m}
          - {notify: secondary, wait: 5m}
          - {notify: lead, wait: 5m}
          - {notify: channel}
        repeat: 1
"""
PAGED = (
    'Page PAGE-1 for network: INC-1 "VPN down for everyone" — New P1 incident. You are '
    "paged as on call ({schedule}). Acknowledge to take it (/oncall ack PAGE-1), or "
    "escalate now (/oncall escalate PAGE-1)."
)


@pytest.fixture
async def desk(database_url, fake, errors) -> AsyncIterator[DiscordDeskHarness]:
    """The Discord harness with the network team's on-call, on Monday 5 January 2026 at
    10:00 UTC: an hour into carol's primary week."""
    clock = ManualClock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    config = load_config_text(config_text(fake) + ONCALL)
    runtime = Runtime(settings_for(database_url, fake), config, platforms=("discord",), clock=clock)
    await asyncio.to_thread(runtime.prepare)
    harness = DiscordDeskHarness(runtime, fake, clock)
    harness.tasks = [
        asyncio.create_task(harness.adapter.run(harness.stop)),
        asyncio.create_task(runtime.worker.run(harness.stop)),
    ]
    await harness.until(harness.adapter.client.is_ready, what="the client is READY", thread=False)
    try:
        yield harness
    finally:
        await harness.close()


def buttons(message: dict) -> list[tuple[str, str]]:
    return [
        (b["custom_id"], b["label"]) for row in message["components"] for b in row["components"]
    ]


def pages_to(desk: DiscordDeskHarness, who: str) -> list[dict]:
    """The page DMs `who` got."""
    return [m for m in desk.dm_messages(who) if m["content"].startswith("Page PAGE-1 ")]


def page(desk: DiscordDeskHarness) -> Page:
    with desk.runtime.database.transaction() as session:
        found = session.get(Page, 1)
    assert found is not None
    return found


def pending_steps(desk: DiscordDeskHarness) -> int:
    """The page's escalation steps still waiting to run."""
    with desk.runtime.database.transaction() as session:
        query = select(Timer.id).where(Timer.kind == "page_step", Timer.state == "pending")
        return len(list(session.scalars(query)))


async def moved_on(desk: DiscordDeskHarness, delta: timedelta) -> None:
    """Move the clock on, and wait until every timer due by then has fired and been delivered."""
    desk.clock.advance(delta)
    desk.runtime.worker.wake()

    def nothing_due() -> bool:
        ahead = desk.runtime.worker.timers.seconds_to_next()
        return ahead is None or ahead > 0

    await desk.until(nothing_due, what="every due timer fired")
    await desk.delivered()


async def paged(desk: DiscordDeskHarness) -> dict:
    """alice reports a P1 VPN outage; returns the page DM carol gets."""
    record = await desk.command(
        "alice",
        "incident",
        "new",
        title="VPN down for everyone",
        service="vpn",
        impact="high",
        urgency="high",
    )
    assert (await desk.answer(record)).startswith('Opened INC-1 [P1] "VPN down for everyone"')
    await desk.delivered()
    [dm] = pages_to(desk, "carol")
    return dm


def assert_page_dm(dm: dict, schedule: str) -> None:
    assert dm["content"] == PAGED.format(schedule=schedule)
    assert buttons(dm) == [
        ("deskbot:ack:PAGE-1", "Acknowledge"),
        ("deskbot:escalate:PAGE-1", "Escalate now"),
    ]


async def test_an_unanswered_page_moves_to_erin_whose_acknowledge_stops_it(desk):
    carol_dm = await paged(desk)
    assert_page_dm(carol_dm, "primary")
    assert pages_to(desk, "erin") == []

    # carol does not answer: five minutes later the secondary, erin, is paged.
    await moved_on(desk, timedelta(minutes=4, seconds=59))
    assert pages_to(desk, "erin") == []
    await moved_on(desk, timedelta(seconds=1))
    [erin_dm] = pages_to(desk, "erin")
    assert_page_dm(erin_dm, "secondary")

    press = await desk.press("erin", "deskbot:ack:PAGE-1", erin_dm["id"])
    assert await desk.answer(press) == (
        "You acknowledged PAGE-1: INC-1 is yours to look at. Nobody else will be paged about it."
    )
    assert desk.is_private(press)
    await desk.delivered()
    # carol, paged first, hears she can stand down.
    assert desk.dm_messages("carol")[-1]["content"] == (
        f'<@{desk.user_id("erin")}> acknowledged PAGE-1 (INC-1 "VPN down for everyone"). '
        "You can stand down."
    )
    stored = page(desk)
    assert (stored.state, stored.acknowledged_by) == ("acknowledged", "erin")
    assert desk.incident(1).first_response_at == desk.clock.now()
    show = await desk.answer(await desk.command("carol", "incident", "show", id="INC-1"))
    assert "page acknowledged" not in show  # one line for one acknowledgement
    assert "2026-01-05 10:05 erin: acknowledged — Acknowledged by @erin, answering PAGE-1" in show

    # The policy has stopped: neither the lead nor the channel is paged, nobody again.
    assert pending_steps(desk) == 0
    await moved_on(desk, timedelta(minutes=30))
    assert (len(pages_to(desk, "carol")), len(pages_to(desk, "erin"))) == (1, 1)
    assert desk.channel_messages("network-team") == []


async def test_escalate_now_pages_erin_and_a_second_acknowledge_is_refused(desk):
    carol_dm = await paged(desk)
    press = await desk.press("carol", "deskbot:escalate:PAGE-1", carol_dm["id"])
    assert await desk.answer(press) == (
        "Escalated PAGE-1 (INC-1): the next step of network's policy has run."
    )
    await desk.delivered()
    [erin_dm] = pages_to(desk, "erin")  # without the clock moving
    assert_page_dm(erin_dm, "secondary")

    # dave (an agent, never paged) presses erin's button: refused, nothing changes.
    refused = await desk.press("dave", "deskbot:ack:PAGE-1", erin_dm["id"])
    assert await desk.answer(refused) == (
        "PAGE-1 is paging carol, erin; only someone it reached can acknowledge it. To take "
        "INC-1 yourself, claim it (/incident claim INC-1): that stops the page too."
    )
    assert desk.is_private(refused)
    assert page(desk).state == "paging"
    assert desk.incident(1).first_response_at is None

    press = await desk.press("erin", "deskbot:ack:PAGE-1", erin_dm["id"])
    assert (await desk.answer(press)).startswith("You acknowledged PAGE-1")
    again = await desk.press("carol", "deskbot:ack:PAGE-1", carol_dm["id"])
    assert await desk.answer(again) == "PAGE-1 was already acknowledged by erin at 10:00 UTC."
    assert desk.is_private(again)
    await moved_on(desk, timedelta(minutes=30))
    assert (len(pages_to(desk, "carol")), len(pages_to(desk, "erin"))) == (1, 1)
    assert page(desk).acknowledged_by == "erin"
