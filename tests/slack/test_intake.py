"""DM intake: in their own words, an employee gets an incident and hears about it in that thread."""

from __future__ import annotations

import json

from tests.slack.harness import TRIAGE, blocks_text, button_ids


async def _offer(desk, text: str, user: str = "U0ALICE", **kwargs):
    event = await desk.dm(user, text, **kwargs)
    [offer] = await desk.posts(
        1, f"D{user}", where=lambda c: c.args.get("thread_ts") == event["ts"]
    )
    return event, offer


def _open_value(offer) -> str:
    [button] = [
        e
        for b in offer.args["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == "intake_open"
    ]
    return button["value"]


async def test_a_dm_in_plain_words_becomes_an_incident_followed_in_its_thread(slack_desk, slack):
    event, offer = await _offer(slack_desk, "my vpn keeps dropping\nevery ten minutes since Monday")
    assert button_ids(offer.args["blocks"]) == ["intake_open", "intake_dismiss"]
    assert "my vpn keeps dropping" in blocks_text(offer.args["blocks"])

    await slack_desk.press(
        "U0ALICE",
        "intake_open",
        _open_value(offer),
        channel="DU0ALICE",
        message_ts=offer.response["ts"],
    )
    [update] = await slack.async_wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == ("DU0ALICE", offer.response["ts"])
    assert update.args["text"].startswith('Opened INC-1 [P3] "my vpn keeps dropping"')
    incident = slack_desk.incident(1)
    assert (incident.reporter, incident.title) == ("alice", "my vpn keeps dropping")
    assert incident.description == "my vpn keeps dropping\nevery ten minutes since Monday"
    await slack_desk.posts(1, TRIAGE)  # and the triage channel has its card

    # Updates to alice about INC-1 now arrive in the thread she started.
    await slack_desk.say("U0BOB", "/incident claim INC-1")
    [claimed] = await slack_desk.posts(
        1, "DU0ALICE", where=lambda c: "working on your incident" in c.args["text"]
    )
    assert claimed.args["thread_ts"] == event["ts"]

    # What she writes in that thread is a note on the incident, seen by the assignee.
    await slack_desk.dm("U0ALICE", "it also drops on the office wifi", thread_ts=event["ts"])
    [ack] = await slack_desk.posts(
        1, "DU0ALICE", where=lambda c: c.args.get("text") == "Note added to INC-1."
    )
    assert ack.args["thread_ts"] == event["ts"]
    [note] = await slack_desk.posts(1, "U0BOB", where=lambda c: "on INC-1" in c.args["text"])
    assert note.args["text"] == "<@U0ALICE> on INC-1: it also drops on the office wifi"

    # A reply about a password, in the incident's thread, is a note too: no reset starts.
    await slack_desk.dm(
        "U0ALICE", "after the reset my password does not work", thread_ts=event["ts"]
    )
    acks = await slack_desk.posts(
        2, "DU0ALICE", where=lambda c: c.args.get("text") == "Note added to INC-1."
    )
    assert all(a.args["thread_ts"] == event["ts"] for a in acks)
    assert not [m for m in slack_desk.outbox() if m.kind == "password_reset_link"]


async def test_a_retried_event_delivery_is_acted_on_once(slack_desk, slack):
    event = await slack_desk.dm("U0ALICE", "printer jammed again", event_id="Ev0RETRY")
    for retry in (1, 2, 3):  # Slack's redeliveries carry the same event_id
        response = await slack_desk.post(
            slack_desk.signer.event(event, event_id="Ev0RETRY", retry_num=retry)
        )
        assert response.status_code == 200
    # The first offer is out before the next DM: two DMs at once are answered in either order.
    await slack_desk.posts(1, "DU0ALICE")
    await slack_desk.dm("U0ALICE", "and the scanner", event_id="Ev0OTHER")
    await slack_desk.posts(2, "DU0ALICE")
    await slack_desk.idle()
    offers = [c for c in slack.calls("chat.postMessage") if c.args["channel"] == "DU0ALICE"]
    assert [json.loads(_open_value(c))["text"] for c in offers] == [
        "printer jammed again",
        "and the scanner",
    ]


async def test_pressing_open_twice_opens_one_incident(slack_desk, slack):
    _, offer = await _offer(slack_desk, "outlook crashes on start")
    first = await slack_desk.press(
        "U0ALICE",
        "intake_open",
        _open_value(offer),
        channel="DU0ALICE",
        message_ts=offer.response["ts"],
    )
    second = await slack_desk.press(
        "U0ALICE",
        "intake_open",
        _open_value(offer),
        channel="DU0ALICE",
        message_ts=offer.response["ts"],
    )
    replies = {
        call.path.rsplit("/", 1)[1]: call.args["text"]
        for call in await slack.async_wait_for("response_url", 1)
    }
    await slack_desk.idle()
    assert slack_desk.incident_count() == 1
    # The second press finds the incident opened, or still being opened by the first.
    [said] = replies.values()
    assert said in (
        "INC-1 was already opened from this message.",
        "I'm already opening an incident from this message; one moment.",
    )
    assert set(replies) <= {first, second}


async def test_open_works_on_a_second_press_when_the_first_failed(slack_desk, slack):
    # erin has no Slack id in the configuration, so opening needs users.info.
    _, offer = await _offer(slack_desk, "projector in room 4 is dead", user="U0ERIN")
    slack.fail("users.info", status=503)
    press = dict(channel="DU0ERIN", message_ts=offer.response["ts"])
    first = await slack_desk.press("U0ERIN", "intake_open", _open_value(offer), **press)
    assert (await slack_desk.reply(first)).args["text"].startswith("I couldn't reach Slack")
    await slack_desk.idle()
    assert slack_desk.incident_count() == 0

    slack.recover()
    second = await slack_desk.press("U0ERIN", "intake_open", _open_value(offer), **press)
    [update] = await slack.async_wait_for("chat.update")
    assert update.args["text"].startswith('Opened INC-1 [P3] "projector in room 4 is dead"')
    await slack_desk.idle()
    assert slack_desk.incident_count() == 1
    assert slack.responses(second) == []  # no "already opened" for an incident never opened


async def test_no_thanks_opens_nothing(slack_desk, slack):
    _, offer = await _offer(slack_desk, "just saying hi")
    await slack_desk.press(
        "U0ALICE", "intake_dismiss", "x", channel="DU0ALICE", message_ts=offer.response["ts"]
    )
    [update] = await slack.async_wait_for("chat.update")
    assert update.args["text"].startswith("OK, I won't open anything.")
    assert button_ids(update.args["blocks"]) == []
    await slack_desk.idle()
    assert slack_desk.incident_count() == 0


async def test_edits_bot_messages_and_channel_messages_are_not_intake(slack_desk, slack):
    signer = slack_desk.signer
    base = {
        "type": "message",
        "user": "U0ALICE",
        "text": "edited",
        "ts": "1.1",
        "channel": "DU0ALICE",
    }
    for event in (
        {**base, "channel_type": "im", "subtype": "message_changed"},
        {**base, "channel_type": "im", "bot_id": "B0OTHER"},
        {**base, "channel_type": "channel", "channel": "C0GENERAL"},
    ):
        assert (await slack_desk.post(signer.event(event))).status_code == 200
    await slack_desk.dm("U0ALICE", "a real one")
    await slack_desk.posts(1)
    await slack_desk.idle()
    assert [c.args["channel"] for c in slack.calls("chat.postMessage")] == ["DU0ALICE"]
