"""Messages that act: Claim, Resolve, Hold, Resume, Close and Reopen, and their modals."""

from __future__ import annotations

import json
import time

from tests.fakes.slack_signing import new_trigger_id
from tests.slack.harness import TRIAGE, blocks_text, button_ids, database_held


async def _reported(desk, line='/incident new "VPN drops every 10 min" --service vpn') -> str:
    """alice reports an incident; returns the ts of its card in the triage channel."""
    await desk.say("U0ALICE", line)
    return (await desk.card_ref(1)).split(":", 1)[1]


async def _modal(slack, count: int = 1) -> dict:
    calls = await slack.async_wait_for("views.open", count)
    return calls[-1].response["view"]


async def test_claim_updates_the_card_in_place_and_writes_the_change_in_its_thread(
    slack_desk, slack
):
    ts = await _reported(slack_desk)
    rid = await slack_desk.press("U0CAROL", "incident_claim", "INC-1", message_ts=ts)

    assert (await slack_desk.reply(rid)).args[
        "text"
    ] == 'You are now working on INC-1 "VPN drops every 10 min".'
    [update] = await slack.async_wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (TRIAGE, ts)
    card = blocks_text(update.args["blocks"])
    assert "*State*\\nIn progress" in card and "*Assignee*\\n<@U0CAROL>" in card
    assert button_ids(update.args["blocks"]) == [
        "incident_claim",
        "incident_resolve",
        "incident_hold",
        "incident_link",
        "incident_major",
    ]
    [note] = await slack_desk.posts(1, TRIAGE, where=lambda c: c.args.get("thread_ts") == ts)
    assert note.args["text"] == "INC-1 claimed by @carol — now In progress, assignee <@U0CAROL>"
    # The reporter hears about it in a DM, with the agent mentioned by Slack id.
    [dm] = await slack_desk.posts(1, "U0ALICE")
    assert (
        dm.args["text"] == '<@U0CAROL> is working on your incident INC-1 "VPN drops every 10 min".'
    )
    assert (await slack_desk.card(1))["blocks"] == update.args["blocks"]


async def test_a_button_you_may_not_use_gets_an_ephemeral_refusal(slack_desk, slack):
    ts = await _reported(slack_desk)
    claim = await slack_desk.press("U0ALICE", "incident_claim", "INC-1", message_ts=ts)
    assert (await slack_desk.reply(claim)).args == {
        "text": "Only service-desk agents can claim incidents.",
        "replace_original": False,
        "response_type": "ephemeral",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "plain_text",
                    "emoji": True,
                    "text": "Only service-desk agents can claim incidents.",
                },
            }
        ],
    }
    resolve = await slack_desk.press("U0ALICE", "incident_resolve", "INC-1", message_ts=ts)
    assert (await slack_desk.reply(resolve)).args[
        "text"
    ] == "Only service-desk agents can resolve incidents."
    hold = await slack_desk.press("U0ALICE", "incident_hold", "INC-1", message_ts=ts)
    assert (await slack_desk.reply(hold)).args[
        "text"
    ] == "Only service-desk agents can put incidents on hold."

    assert slack.calls("views.open") == []  # no form to fill in for nothing
    assert slack.calls("chat.update") == []
    assert slack_desk.incident(1).state == "new"


async def test_resolve_opens_a_form_for_the_note_and_resolves(slack_desk, slack):
    ts = await _reported(slack_desk)
    rid = await slack_desk.press("U0CAROL", "incident_resolve", "INC-1", message_ts=ts)
    view = await _modal(slack)
    assert view["title"]["text"] == "Resolve INC-1"

    empty = await slack_desk.submit("U0CAROL", view, {"reason": ""})
    assert json.loads(empty.text) == {
        "response_action": "errors",
        "errors": {"reason": "A reason is needed."},
    }
    assert slack_desk.incident(1).state == "new"

    done = await slack_desk.submit("U0CAROL", view, {"reason": "Replaced the VPN concentrator PSU"})
    assert (done.status_code, done.text) == (200, "")
    reply = await slack_desk.reply(rid)  # the answer goes back where the button was pressed
    assert reply.args["text"] == "INC-1 is resolved; alice has been asked to confirm."
    assert slack_desk.incident(1).resolution == "Replaced the VPN concentrator PSU"
    [update] = await slack.async_wait_for("chat.update")
    assert "Replaced the VPN concentrator PSU" in blocks_text(update.args["blocks"])
    assert button_ids(update.args["blocks"]) == ["incident_link"]  # a problem may follow
    # alice is asked to confirm, with buttons.
    [dm] = await slack_desk.posts(1, "U0ALICE")
    assert button_ids(dm.args["blocks"]) == ["incident_close", "incident_reopen"]


async def test_resolve_opens_its_form_in_time_while_the_desk_is_busy(slack_desk, slack):
    ts = await _reported(slack_desk)
    with database_held(slack_desk.runtime.database):
        # The permission check waits for the database; the form must not wait for it.
        rid = await slack_desk.press("U0CAROL", "incident_resolve", "INC-1", message_ts=ts)
        [opened] = await slack.async_wait_for("views.open", timeout=10)
        # The fake answers expired_trigger_id to a views.open more than 3 s after the click.
        assert opened.ok, opened.response
    view = opened.response["view"]
    assert view["title"]["text"] == "Resolve INC-1"
    await slack_desk.submit("U0CAROL", view, {"reason": "Rebooted the concentrator"})
    assert (await slack_desk.reply(rid)).args["text"].startswith("INC-1 is resolved")


async def test_a_form_slack_will_not_open_is_explained(slack_desk, slack):
    ts = await _reported(slack_desk)
    late = new_trigger_id(issued_at=time.time() - 10)  # Slack took too long to deliver it
    rid = await slack_desk.press(
        "U0CAROL", "incident_resolve", "INC-1", message_ts=ts, trigger_id=late
    )
    assert (await slack_desk.reply(rid)).args["text"] == (
        "The form could not open in time: Slack allows 3 seconds after a click, and I was "
        'busy just now. Please try again, or type it instead: /incident resolve INC-1 "what '
        'fixed it"'
    )
    [refused] = slack.calls("views.open")
    assert refused.response["error"] == "expired_trigger_id"
    assert slack_desk.incident(1).state == "new"


async def test_hold_needs_a_reason_then_resume_takes_it_off_hold(slack_desk, slack):
    ts = await _reported(slack_desk)
    await slack_desk.say("U0CAROL", "/incident claim INC-1")
    await slack_desk.press("U0CAROL", "incident_hold", "INC-1", message_ts=ts)
    view = await _modal(slack)
    assert view["title"]["text"] == "Put INC-1 on hold"
    await slack_desk.submit("U0CAROL", view, {"reason": "Waiting for alice to try from home"})
    await slack_desk.until(lambda: slack_desk.incident(1).state == "on_hold", what="on hold")
    [_, held] = await slack.async_wait_for("chat.update", 2)
    assert "On hold — Waiting for alice to try from home" in blocks_text(held.args["blocks"])
    assert button_ids(held.args["blocks"]) == [
        "incident_resume",
        "incident_resolve",
        "incident_link",
        "incident_major",
    ]

    rid = await slack_desk.press("U0CAROL", "incident_resume", "INC-1", message_ts=ts)
    assert "back in progress" in (await slack_desk.reply(rid)).args["text"]
    assert slack_desk.incident(1).state == "in_progress"


async def test_the_reporter_confirms_or_reopens_from_the_resolution_dm(slack_desk, slack):
    await _reported(slack_desk)
    await slack_desk.say("U0CAROL", '/incident resolve INC-1 "rebooted the concentrator"')
    [dm] = await slack_desk.posts(1, "U0ALICE")

    rid = await slack_desk.press(
        "U0ALICE", "incident_reopen", "INC-1", channel="DU0ALICE", message_ts=dm.response["ts"]
    )
    view = await _modal(slack)
    assert view["title"]["text"] == "Reopen INC-1"
    await slack_desk.submit("U0ALICE", view, {"reason": "drops again after lunch"})
    assert (await slack_desk.reply(rid)).args["text"] == "INC-1 is reopened."

    await slack_desk.say("U0CAROL", '/incident resolve INC-1 "replaced the PSU"')
    [_, second] = await slack_desk.posts(
        2, "U0ALICE", where=lambda c: "is resolved" in c.args["text"]
    )
    close = await slack_desk.press(
        "U0ALICE", "incident_close", "INC-1", channel="DU0ALICE", message_ts=second.response["ts"]
    )
    assert (await slack_desk.reply(close)).args["text"] == "INC-1 is closed. Thank you!"
    assert slack_desk.incident(1).state == "closed"


async def test_the_new_incident_form_opens_an_incident_once(slack_desk, slack):
    rid = await slack_desk.command("U0ALICE", "/incident new")
    view = await _modal(slack)
    long = await slack_desk.submit("U0ALICE", view, {"title": "x" * 201})
    assert json.loads(long.text)["errors"] == {"title": "A title can be at most 200 characters."}

    values = {"title": "Wi-Fi dead on floor 3", "description": "Nobody on floor 3 can connect."}
    selects = {"service": "wifi", "impact": "high", "urgency": "high"}
    assert (await slack_desk.submit("U0ALICE", view, values, selects)).status_code == 200
    assert (
        await slack_desk.submit("U0ALICE", view, values, selects)
    ).status_code == 200  # double click
    assert (
        (await slack_desk.reply(rid))
        .args["text"]
        .startswith('Opened INC-1 [P1] "Wi-Fi dead on floor 3", queued for network')
    )
    [card] = await slack_desk.posts(1, TRIAGE)
    assert "Nobody on floor 3 can connect." in blocks_text(card.args["blocks"])
    incident = slack_desk.incident(1)
    assert (incident.service, incident.impact, incident.urgency) == ("wifi", "high", "high")
    await slack_desk.idle()
    assert slack_desk.incident_count() == 1


async def test_a_form_whose_command_could_not_run_can_be_submitted_again(slack_desk, slack):
    # erin has no Slack id in the configuration, so running her command needs users.info.
    rid = await slack_desk.command("U0ERIN", "/incident new")
    view = await _modal(slack)
    values, selects = {"title": "Badge reader dead"}, {"impact": "low", "urgency": "low"}
    slack.fail("users.info", status=503)
    await slack_desk.submit("U0ERIN", view, values, selects)
    assert (await slack_desk.reply(rid)).args["text"].startswith("I couldn't reach Slack")
    await slack_desk.idle()

    slack.recover()
    await slack_desk.submit("U0ERIN", view, values, selects)
    await slack_desk.until(lambda: slack_desk.incident_count() == 1, what="incident opened")
    await slack_desk.idle()
    assert slack_desk.incident(1).title == "Badge reader dead"
    assert slack_desk.incident_count() == 1


async def test_form_text_that_looks_like_an_option_is_taken_as_written(slack_desk, slack):
    await slack_desk.command("U0ALICE", "/incident new")
    view = await _modal(slack)
    values = {"title": "--force-reconnect loops", "description": "--verbose shows nothing"}
    response = await slack_desk.submit("U0ALICE", view, values)
    assert (response.status_code, response.text) == (200, "")  # no field error
    await slack_desk.until(lambda: slack_desk.incident_count() == 1, what="incident opened")
    incident = slack_desk.incident(1)
    assert (incident.title, incident.description) == (
        "--force-reconnect loops",
        "--verbose shows nothing",
    )


async def test_a_press_delivered_twice_is_acted_on_once(slack_desk, slack):
    ts = await _reported(slack_desk)
    request = slack_desk.signer.block_action(
        action_id="incident_claim",
        value="INC-1",
        user_id="U0CAROL",
        user_name="carol",
        channel_id=TRIAGE,
        message_ts=ts,
        response_url=slack.response_url("press-twice"),
    )
    await slack_desk.post(request)
    await slack_desk.post(request)  # Slack's retry of the same delivery
    await slack_desk.idle()
    replies = [c for c in slack.calls("response_url") if c.path.endswith("/press-twice")]
    assert [c.args["text"] for c in replies] == [
        'You are now working on INC-1 "VPN drops every 10 min".'
    ]
    with slack_desk.runtime.database.transaction() as session:
        from sqlalchemy import func, select

        from domain.incidents import TimelineEntry

        claims = session.scalar(
            select(func.count()).select_from(TimelineEntry).where(TimelineEntry.kind == "claimed")
        )
    assert claims == 1
