"""/desk report on Slack: an admin types it, the ephemeral reply carries every number,
and the chart reaches them by DM — the text, then the PNG uploaded to the same DM.

The fixture (Monday 5 January 2026, UTC): alice opens INC-1 (vpn, P2) at 09:00, carol
claims it at 09:10 and resolves it at 11:00; grace asks at 16:00. So 1 opened, 1
resolved; MTTA 10m and MTTR 2h (one value each: median = 90th percentile); the P2 SLA
met for respond (30m) and resolve (8h).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import ManualClock
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import SlackDeskHarness

MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


@pytest.fixture
async def desk(database_url, slack, clock):
    harness = SlackDeskHarness.build(database_url, slack, clock=clock)
    harness.start_worker()
    try:
        yield harness
    finally:
        await harness.close()


async def test_an_admins_report_has_the_numbers_and_a_png_arrives_by_dm(
    desk: SlackDeskHarness, slack: FakeSlackApi, clock: ManualClock
):
    opened = await desk.say(
        "U0ALICE", '/incident new "VPN drops" --service vpn --impact high --urgency medium'
    )
    assert opened.startswith("Opened INC-1 [P2]"), opened
    clock.advance(timedelta(minutes=10))
    assert "INC-1" in await desk.say("U0CAROL", "/incident claim INC-1")
    clock.advance(timedelta(hours=1, minutes=50))
    assert "INC-1" in await desk.say("U0CAROL", '/incident resolve INC-1 "restarted the gateway"')
    clock.advance(timedelta(hours=5))
    await desk.idle()

    reply = await desk.say("U0GRACE", "/desk report --since 2026-01-05")
    lines = reply.splitlines()
    assert lines[0] == "Desk report for the whole desk, 2026-01-05 00:00 to 2026-01-05 16:00 UTC."
    assert "Incidents: 1 opened, 1 resolved." in lines
    assert (
        "Time to resolve (MTTR, elapsed, time on hold excluded): "
        "median 2h, 90th percentile 2h (1 incident)." in lines
    )
    assert any("median 10m, 90th percentile 10m (1 incident)" in line for line in lines)
    assert "• P2: respond 1 of 1 (100%); resolve 1 of 1 (100%)" in lines
    assert "Top services: vpn 1." in lines
    assert lines[-1] == "The chart is on its way by DM."

    [dm] = await desk.posts(
        1, "U0GRACE", where=lambda c: c.args["text"].startswith("Chart of the desk report")
    )
    assert "1 opened, 1 resolved; MTTR median 2h, MTTA median 10m" in dm.args["text"]
    # The PNG follows in the same DM (files_upload_v2: its DM channel is D + the user id).
    [done] = await slack.async_wait_for(
        "files.completeUploadExternal",
        1,
        10,
        lambda c: c.ok and c.args.get("channel_id") == "DU0GRACE",
    )
    [uploaded] = done.response["files"]
    stored = slack.file(uploaded["id"])
    assert stored is not None
    assert stored["data"].startswith(PNG)
    assert uploaded["name"].endswith(".png")
    await desk.idle()
    assert not [r for r in desk.outbox() if r.status == "failed"]
