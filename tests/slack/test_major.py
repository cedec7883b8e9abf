"""Major incidents on Slack, end to end: /major makes the war room, its card and its file;
"Add to timeline" and 📌 mark messages; a room half-made or not allowed is dealt with."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from adapters.slack.war_room import GRANT
from bot.message_refs import ref_of
from domain.clock import ManualClock
from domain.records import InboundWork
from tests.fakes.slack_api import BOT_USER_ID, FakeSlackApi
from tests.slack.harness import CONFIG, SlackDeskHarness

GENERAL = "C0GENERAL"


def stored_jobs(desk: SlackDeskHarness) -> list[str]:
    """The jobs of every interaction stored so far, in order."""
    with desk.runtime.database.transaction() as session:
        return list(session.scalars(select(InboundWork.job).order_by(InboundWork.id)))


async def test_add_to_timeline_outside_a_war_room_is_refused_privately(
    slack_desk: SlackDeskHarness, slack: FakeSlackApi
):
    ts = slack.add_message(GENERAL, "the checkout API is timing out", user="U0BOB")
    rid = await slack_desk.shortcut("U0CAROL", GENERAL, ts, text="the checkout API is timing out")

    reply = await slack_desk.reply(rid)
    assert reply.args["response_type"] == "ephemeral"
    assert reply.args["text"] == (
        "Only messages in a major incident's war room can go on a timeline."
    )
    assert slack.calls("chat.postMessage") == []


async def test_a_pushpin_outside_a_war_room_is_dropped_without_a_word(
    slack_desk: SlackDeskHarness, slack: FakeSlackApi, caplog
):
    caplog.set_level(logging.INFO, logger="adapters.slack.marks")
    room = slack.add_channel("random", creator="U0ALICE", members=["U0DESKBOT"])
    ts = slack.add_message(room, "lunch?", user="U0ALICE")
    await slack_desk.react("U0BOB", room, ts)
    await slack_desk.until(
        lambda: "outside any war room" in caplog.text, what="the reaction was looked at"
    )
    await slack_desk.idle()
    # Outside a war room the message is not even read, and nobody is told anything.
    assert slack.calls("conversations.history") == []
    assert slack.calls("chat.postEphemeral") == [] and slack.calls("chat.postMessage") == []
    assert slack.responses() == []
    assert stored_jobs(slack_desk) == ["timeline_pin"]  # stored before it was acknowledged


async def test_other_reactions_are_not_even_stored(
    slack_desk: SlackDeskHarness, slack: FakeSlackApi
):
    await slack_desk.react("U0BOB", GENERAL, "1700000000.000100", reaction="eyes")
    await slack_desk.idle()
    assert slack.calls("conversations.history") == []
    assert stored_jobs(slack_desk) == []
    await slack_desk.react("U0BOB", GENERAL, "1700000000.000100")  # the same, with 📌
    await slack_desk.idle()
    assert stored_jobs(slack_desk) == ["timeline_pin"]


# ---------------------------------------------------------------- /major over Slack
ROOM = "inc-1-checkout-is-down"
MAJOR_CHANNEL, STAKEHOLDERS = "C0MAJOR", "C0STAKE"
WITH_MAJOR = (
    CONFIG.replace(
        "  major-incidents: {slack: C0MAJOR}\n",
        "  major-incidents: {slack: C0MAJOR}\n  stakeholders: {slack: C0STAKE}\n",
    )
    + """
major:
  channel: major-incidents
  stakeholders: stakeholders
  responders: [grace]
  archive_after: 1h
"""
)


@pytest.fixture
async def desk(database_url, slack) -> AsyncIterator[SlackDeskHarness]:
    """deskbot on Slack with major incidents configured, on the real clock."""
    harness = SlackDeskHarness.build(database_url, slack, config_text=WITH_MAJOR)
    harness.start_worker()
    try:
        yield harness
    finally:
        await harness.close()


def ref(desk: SlackDeskHarness, role: str) -> str | None:
    """Where INC-1's room ("room") or status card ("status") is on Slack, if anywhere yet."""
    return ref_of(
        desk.runtime.database, subject_type="major", subject_id=1, platform="slack", role=role
    )


async def declared(desk: SlackDeskHarness) -> tuple[str, str]:
    """bob declares INC-1 major; returns (its room's ref, its status card's ref)."""
    reply = await desk.say("U0BOB", '/major declare "Checkout is down" --service vpn')
    assert "INC-1 [P1] is a major incident" in reply, reply
    room = await desk.until(lambda: ref(desk, "room"), what="the room exists")
    card = await desk.until(lambda: ref(desk, "status"), what="the status card is posted")
    return room, card


def texts(slack: FakeSlackApi, channel: str, **where) -> list[str]:
    """What was posted to `channel` (with these args, e.g. thread_ts=…), in order."""
    return [
        c.args["text"]
        for c in slack.calls("chat.postMessage")
        if c.ok
        and c.args["channel"] == channel
        and all(c.args.get(k) == v for k, v in where.items())
    ]


async def test_declaring_makes_the_channel_with_its_people_topic_purpose_and_pinned_card(
    desk, slack
):
    room, card = await declared(desk)
    channel = slack.channel(room)
    assert channel["name"] == ROOM and channel["creator"] == BOT_USER_ID
    # bob declared (commander), the network team owns vpn, grace is the standing responder;
    # erin has no Slack account the desk knows, so the room says so.
    assert set(slack.members(room)) == {BOT_USER_ID, "U0BOB", "U0CAROL", "U0GRACE"}
    assert channel["topic"]["value"].startswith("INC-1 [P1] Checkout is down")
    assert channel["purpose"]["value"] == "War room of INC-1: Checkout is down"
    await desk.idle()
    posted = texts(slack, room)
    assert posted[0].startswith('War room for INC-1 [P1] "Checkout is down"')
    assert "Could not invite: erin (no Slack account I know of)." in posted
    card_channel, card_ts = card.split(":", 1)
    assert card_channel == room and slack.pins(room) == [card_ts]
    assert slack.message(room, card_ts)["text"].startswith("INC-1 [P1] Checkout is down")
    # The declaration links to the room, and only one channel was made.
    assert any(f"<#{room}>" in t for t in texts(slack, MAJOR_CHANNEL))
    assert len(slack.calls("conversations.create")) == 1


async def test_an_update_edits_the_card_in_place_and_reaches_the_stakeholders(desk, slack):
    room, card = await declared(desk)
    await desk.idle()
    pinned = len(slack.calls("pins.add"))
    reply = await desk.say("U0BOB", '/major update "failover started" --status identified')
    assert reply == "Update posted to INC-1 (identified)."
    await desk.idle()
    [edit] = [c for c in slack.calls("chat.update") if c.args["ts"] == card.split(":", 1)[1]]
    assert edit.args["channel"] == room and "identified" in edit.args["text"].lower()
    assert any("failover started" in t for t in texts(slack, room))
    assert any("failover started" in t for t in texts(slack, STAKEHOLDERS))
    assert len(slack.calls("pins.add")) == pinned  # edited, not posted and pinned again


async def test_the_message_shortcut_marks_a_message_and_a_second_press_takes_it_off(desk, slack):
    room, _ = await declared(desk)
    ts = slack.add_message(room, "rolled back the 14:02 deploy", user="U0CAROL")

    first = await desk.shortcut(
        "U0BOB", room, ts, text="rolled back the 14:02 deploy", author="U0CAROL"
    )
    assert (await desk.reply(first)).args["text"] == "Added to INC-1's timeline."
    assert "carol (chat): rolled back the 14:02 deploy" in await desk.say(
        "U0BOB", "/major timeline INC-1"
    )
    second = await desk.shortcut(
        "U0BOB", room, ts, text="rolled back the 14:02 deploy", author="U0CAROL"
    )
    assert (await desk.reply(second)).args["text"] == "Taken off INC-1's timeline."
    assert "rolled back" not in await desk.say("U0BOB", "/major timeline INC-1")


async def test_a_pushpin_marks_a_message_and_taking_it_off_unmarks_it(desk, slack):
    room, _ = await declared(desk)
    ts = slack.add_message(room, "DB primary is read-only", user="U0CAROL")

    await desk.react("U0BOB", room, ts)
    [told] = await slack.async_wait_for("chat.postEphemeral")
    assert (told.args["channel"], told.args["user"]) == (room, "U0BOB")
    assert told.args["text"] == "Added to INC-1's timeline."
    assert "DB primary is read-only" in await desk.say("U0BOB", "/major timeline INC-1")

    await desk.react("U0BOB", room, ts, added=False)
    await slack.async_wait_for("chat.postEphemeral", 2)
    assert "DB primary is read-only" not in await desk.say("U0BOB", "/major timeline INC-1")


async def test_review_uploads_the_document_through_the_v2_flow(desk, slack):
    room, _ = await declared(desk)
    await desk.say("U0BOB", '/major resolve "rolled back the deploy"')
    reply = await desk.say("U0BOB", "/major review INC-1")
    assert "INC-1-review.md" in reply
    [done] = await slack.async_wait_for("files.completeUploadExternal")
    assert done.args["channel_id"] == room
    assert "Post-incident review of INC-1" in done.args["initial_comment"]
    [url] = slack.calls("files.getUploadURLExternal")
    assert url.args["filename"] == "INC-1-review.md"
    document = slack.file(url.response["file_id"])["data"].decode()
    assert document.startswith("# Post-incident review: INC-1 — Checkout is down")
    assert slack.calls("files.upload") == []


async def test_a_room_half_made_by_a_failed_attempt_is_completed_not_made_twice(desk, slack):
    slack.fail("conversations.invite", status=500, times=1)  # right after the channel is made
    room, card = await declared(desk)
    assert [c.response.get("error") for c in slack.calls("conversations.create")] == [
        None,
        "name_taken",
    ]
    assert slack.channel_named(f"{ROOM}-2") is None
    assert set(slack.members(room)) == {BOT_USER_ID, "U0BOB", "U0CAROL", "U0GRACE"}
    await desk.idle()
    intros = [t for t in texts(slack, room) if t.startswith("War room for INC-1")]
    assert len(intros) == 1 and card.startswith(room + ":")


async def test_without_leave_to_make_channels_the_room_is_a_thread_in_the_major_channel(
    desk, slack
):
    slack.refuse("conversations.create", "missing_scope", needed="channels:manage")
    room, card = await declared(desk)
    channel, thread = room.split(":", 1)
    assert channel == MAJOR_CHANNEL
    intro = slack.message(MAJOR_CHANNEL, thread)["text"]
    assert intro.startswith('War room for INC-1 [P1] "Checkout is down"')
    assert GRANT in intro and "<@U0BOB>" in intro
    # The status card and every later post go into that thread.
    assert card.split(":", 1)[0] == MAJOR_CHANNEL
    assert slack.message(MAJOR_CHANNEL, card.split(":", 1)[1])["thread_ts"] == thread
    await desk.say("U0BOB", '/major note INC-1 "DC2 takes the traffic"')
    await desk.idle()
    assert any("DC2 takes the traffic" in t for t in texts(slack, MAJOR_CHANNEL, thread_ts=thread))
    assert slack.calls("conversations.invite") == []


async def test_resolving_archives_the_room_after_the_delay(database_url, slack):
    clock = ManualClock()
    desk = SlackDeskHarness.build(database_url, slack, clock=clock, config_text=WITH_MAJOR)
    desk.start_worker()
    try:
        room, _ = await declared_on(desk, clock)
        await desk.say("U0BOB", '/major resolve "rolled back the deploy"')
        resolved_at = clock.now()
        await until_moved(desk, clock, lambda: any("rolled back" in t for t in texts(slack, room)))
        assert slack.calls("conversations.archive") == []
        assert slack.channel(room)["is_archived"] is False

        clock.advance(resolved_at + timedelta(minutes=59) - clock.now())
        desk.runtime.worker.wake()
        await desk.idle()
        assert slack.calls("conversations.archive") == []  # not before the hour is up

        clock.advance(timedelta(minutes=1))
        await until_moved(desk, clock, lambda: slack.channel(room)["is_archived"])
        last = texts(slack, room)[-1]
        assert last == "The war room is archived; its timeline and review stay with the incident."
    finally:
        await desk.close()


async def declared_on(desk: SlackDeskHarness, clock: ManualClock) -> tuple[str, str]:
    """`declared`, on a manual clock: posts waiting for the room are due again 5 s later."""
    reply = await desk.say("U0BOB", '/major declare "Checkout is down" --service vpn')
    assert "is a major incident" in reply, reply
    room = await until_moved(desk, clock, lambda: ref(desk, "room"))
    card = await until_moved(desk, clock, lambda: ref(desk, "status"))
    return room, card


async def until_moved(desk: SlackDeskHarness, clock: ManualClock, condition, timeout=10):
    """Move the manual clock on 5 s at a time (the outbox's wait for a room) until true."""

    def moved():
        found = condition()
        if not found:
            clock.advance(timedelta(seconds=5))
            desk.runtime.worker.wake()
        return found

    return await desk.until(moved, timeout=timeout)
