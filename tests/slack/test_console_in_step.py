"""The console and Slack stay in step: a change made in one shows on the other."""

from __future__ import annotations

import io

from adapters.console import ConsoleSession
from tests.slack.harness import TRIAGE, SlackDeskHarness, blocks_text, button_ids


async def test_a_claim_in_the_console_updates_the_slack_card(database_url, slack):
    desk = SlackDeskHarness.build(database_url, slack, platforms=("console", "slack"))
    out = io.StringIO()
    console = ConsoleSession(desk.runtime, out, user="bob")
    desk.start_worker()
    try:
        await desk.say("U0ALICE", '/incident new "VPN drops every 10 min" --service vpn')
        card_ts = (await desk.card_ref(1)).split(":", 1)[1]

        await console.handle_line("/incident claim INC-1")
        assert 'You are now working on INC-1 "VPN drops every 10 min".' in out.getvalue()

        [update] = await slack.async_wait_for("chat.update")
        assert (update.args["channel"], update.args["ts"]) == (TRIAGE, card_ts)
        assert "*Assignee*\\n<@U0BOB>" in blocks_text(update.args["blocks"])
        [change] = await desk.posts(1, TRIAGE, where=lambda c: c.args.get("thread_ts") == card_ts)
        assert change.args["text"] == "INC-1 claimed by @bob — now In progress, assignee <@U0BOB>"

        # And back: resolving with the card's button shows in the console.
        await desk.press("U0BOB", "incident_resolve", "INC-1", message_ts=card_ts)
        [view] = await slack.async_wait_for("views.open")
        await desk.submit("U0BOB", view.response["view"], {"reason": "swapped the concentrator"})
        [resolved] = (await slack.async_wait_for("chat.update", 2))[1:]
        assert button_ids(resolved.args["blocks"]) == ["incident_link"]
        await desk.until(
            lambda: (
                "[#service-desk] INC-1 resolved by @bob: swapped the concentrator" in out.getvalue()
            ),
            what="the console shows the resolution",
        )
    finally:
        await desk.close()
