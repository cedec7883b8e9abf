"""/desk report on Discord: an admin uses the slash command, the private answer carries
every number, and the chart reaches them by DM as a message with a PNG attached.

The fixture (Monday 5 January 2026, UTC): alice opens INC-1 (vpn, P2) at 09:00, carol
claims it at 09:10 and resolves it at 11:00; grace asks at 16:00. So 1 opened, 1
resolved; MTTA 10m and MTTR 2h (one value each: median = 90th percentile); the P2 SLA
met for respond (30m) and resolve (8h).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import ManualClock
from tests.discord.harness import DiscordDeskHarness
from tests.fakes.discord_server import FakeDiscord

MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def desk(database_url: str, fake: FakeDiscord, errors) -> AsyncIterator[DiscordDeskHarness]:
    harness = await DiscordDeskHarness.start(database_url, fake, clock=ManualClock(MONDAY))
    try:
        yield harness
    finally:
        await harness.close()


async def test_an_admins_report_has_the_numbers_and_a_png_arrives_by_dm(
    desk: DiscordDeskHarness, fake: FakeDiscord
):
    opened = await desk.answer(
        await desk.command(
            "alice",
            "incident",
            "new",
            title="VPN drops",
            service="vpn",
            impact="high",
            urgency="medium",
        )
    )
    assert opened.startswith("Opened INC-1 [P2]"), opened
    desk.clock.advance(timedelta(minutes=10))
    assert "INC-1" in await desk.answer(
        await desk.command("carol", "incident", "claim", id="INC-1")
    )
    desk.clock.advance(timedelta(hours=1, minutes=50))
    resolved = await desk.command(
        "carol", "incident", "resolve", id="INC-1", resolution="restarted the gateway"
    )
    assert "INC-1" in await desk.answer(resolved)
    desk.clock.advance(timedelta(hours=5))
    await desk.delivered()

    record = await desk.command("grace", "desk", "report", since="2026-01-05")
    reply = await desk.answer(record)
    assert desk.is_private(record)
    lines = reply.splitlines()
    assert lines[0] == "Desk report for the whole desk, 2026-01-05 00:00 to 2026-01-05 16:00 UTC."
    assert "Incidents: 1 opened, 1 resolved." in lines
    assert (
        "Time to resolve (MTTR, elapsed, time on hold excluded): "
        "median 2h, 90th percentile 2h (1 incident)." in lines
    )
    assert any("median 10m, 90th percentile 10m (1 incident)" in line for line in lines)
    assert "• P2: respond 1 of 1 (100%); resolve 1 of 1 (100%)" in lines
    assert lines[-1] == "The chart is on its way by DM."

    await desk.delivered()
    [dm] = [
        m for m in desk.dm_messages("grace") if m["content"].startswith("Chart of the desk report")
    ]
    assert "1 opened, 1 resolved; MTTR median 2h, MTTA median 10m" in dm["content"]
    assert [a["filename"] for a in dm["attachments"]][0].endswith(".png")
    # What went over the wire: the PNG's bytes as the message's file part.
    channel = fake.dm_channels[desk.user_id("grace")]
    [sent] = [
        c
        for c in fake.calls("POST", f"/channels/{channel}/messages", ok=True)
        if c.files and (c.json or {}).get("content", "").startswith("Chart of the desk report")
    ]
    assert sent.files[0]["data"].startswith(PNG)
    assert not [r for r in desk.outbox() if r.status == "failed"]
