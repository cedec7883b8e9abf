"""A channel under a storm stays useful: waiting new-incident cards become one digest."""

from __future__ import annotations

import re

from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import TRIAGE, SlackDeskHarness


async def test_cards_waiting_in_a_flooded_channel_arrive_as_one_digest_most_urgent_first(
    database_url: str, slack: FakeSlackApi
):
    desk = SlackDeskHarness.build(database_url, slack, channel_interval=1.0)
    try:
        for n in range(1, 13):
            flags = " --impact high --urgency high" if n in (5, 9) else ""
            await desk.say("U0ALICE", f'/incident new "storm {n}"{flags}')
        desk.start_worker()  # twelve cards wait for a channel that takes one a second
        [digest] = await desk.posts(1, TRIAGE)
        lines = re.findall(r"• (INC-\d+) \[(P\d)\]", digest.args["text"])
        assert [key for key, _ in lines] == [
            "INC-5",
            "INC-9",
            "INC-1",
            "INC-2",
            "INC-3",
            "INC-4",
            "INC-6",
            "INC-7",
            "INC-8",
            "INC-10",
            "INC-11",
            "INC-12",
        ]
        assert [p for _, p in lines[:2]] == ["P1", "P1"]
        assert "/incident claim INC-5" in digest.args["text"]

        # What happens to a gathered incident afterwards still reaches the channel, after it.
        await desk.say("U0BOB", "/incident claim INC-3")
        [_, change] = await desk.posts(2, TRIAGE)
        assert "INC-3" in change.args["text"] and "claimed" in change.args["text"]
        statuses = sorted(r.status for r in desk.outbox() if r.destination == "service-desk")
        assert statuses.count("digested") == 11
    finally:
        await desk.close()


async def test_a_channel_that_keeps_up_gets_every_card_on_its_own(slack_desk, slack):
    for n in range(1, 13):
        await slack_desk.say("U0ALICE", f'/incident new "calm {n}"')
    cards = await slack_desk.posts(12, TRIAGE)
    assert all(call.args["text"].startswith("INC-") for call in cards)
