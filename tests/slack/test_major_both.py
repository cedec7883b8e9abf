"""A major incident on two platforms at once: one declaration makes a war room on each,
and each platform's posts go to its own room."""

from __future__ import annotations

import asyncio
import io

from adapters.console.sender import ConsoleSender
from bot.identity import PlatformIdentity
from bot.message_refs import ref_of
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import SlackDeskHarness
from tests.slack.test_major import ROOM, WITH_MAJOR


async def test_one_declaration_makes_a_room_on_each_platform(database_url, slack: FakeSlackApi):
    desk = SlackDeskHarness.build(
        database_url, slack, platforms=("slack", "console"), config_text=WITH_MAJOR
    )
    console = io.StringIO()
    desk.runtime.add_sender("console", ConsoleSender(console))
    desk.start_worker()
    try:
        reply = await desk.say("U0BOB", '/major declare "Checkout is down" --service vpn')
        assert "INC-1 [P1] is a major incident" in reply

        def room(platform: str) -> str | None:
            return ref_of(
                desk.runtime.database,
                subject_type="major",
                subject_id=1,
                platform=platform,
                role="room",
            )

        slack_room = await desk.until(lambda: room("slack"), what="the Slack room")
        assert await desk.until(lambda: room("console"), what="the console room") == ROOM
        assert slack.channel(slack_room)["name"] == ROOM
        # An update from the console reaches both rooms.
        said = await asyncio.to_thread(
            desk.runtime.dispatcher.execute,
            PlatformIdentity("console", "bob"),
            '/major update "on it"',
        )
        assert said.text == "Update posted to INC-1 (investigating)."
        desk.runtime.worker.wake()
        await desk.until(
            lambda: any(
                "on it" in c.args["text"] and c.args["channel"] == slack_room
                for c in slack.calls("chat.postMessage")
            ),
            what="the update in the Slack room",
        )
        await desk.until(lambda: f"[#{ROOM}] 📣 Update from @bob" in console.getvalue())
        assert len(slack.calls("conversations.create")) == 1
    finally:
        await desk.close()
