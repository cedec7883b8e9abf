"""Room posts on Slack, sender by sender: each `room_op` against the fake Web API.

The messages are built here as the outbox hands them over, so these need no major incident;
tests/slack/test_major.py runs the same through /major.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.slack.war_room import GRANT
from bot.message_refs import ref_of, remember
from bot.outbox import OutboundMessage, PermanentFailure, RetryLater
from tests.fakes.slack_api import BOT_USER_ID, FakeSlackApi
from tests.slack.harness import SlackDeskHarness

MAJOR = "C0MAJOR"
NAME = "inc-42-checkout-down"


@pytest.fixture
async def desk(database_url: str, slack: FakeSlackApi) -> AsyncIterator[SlackDeskHarness]:
    """deskbot on Slack with no worker: each test hands its messages to the sender itself."""
    harness = SlackDeskHarness.build(database_url, slack)
    try:
        yield harness
    finally:
        await harness.close()


def room_post(
    op: dict | None, *, address: str = "", note: str = "hello", **fields
) -> OutboundMessage:
    """A post to major incident 42's room, as the outbox hands it to the sender."""
    return OutboundMessage(
        id=1,
        platform="slack",
        kind="incident_note",  # any kind will do: what is tested is what the room op does
        destination_kind="room",
        destination="room",
        address=address,
        subject_type="major",
        subject_id="42",
        context={"incident": {"key": "INC-42"}, "by": "bob", "note": note},
        attempts=1,
        room_op=op,
        **fields,
    )


def opening(**op) -> dict:
    return {
        "op": "open",
        "name": NAME,
        "topic": "INC-42 P1 · Investigating · IC @bob",
        "purpose": "War room of INC-42: Checkout is down",
        "members": ["bob", "carol"],
        "member_ids": ["U0BOB", "U0CAROL"],
        "unreachable": [],
        "within_address": None,
        "beside_address": MAJOR,
        **op,
    }


def remember_room(desk: SlackDeskHarness, ref: str, role: str = "room") -> None:
    """What the outbox does once `open` (or a status card's post) returns its ref."""
    remember(
        desk.runtime.database,
        desk.runtime.clock,
        subject_type="major",
        subject_id="42",
        platform="slack",
        role=role,
        ref=ref,
    )


async def send(desk: SlackDeskHarness, message: OutboundMessage) -> str:
    return await desk.adapter.sender().send(message)


def posts_in(slack: FakeSlackApi, channel: str) -> list[dict]:
    return [
        c.args for c in slack.calls("chat.postMessage") if c.ok and c.args["channel"] == channel
    ]


async def test_open_makes_the_channel_invites_describes_and_posts_the_intro(desk, slack):
    room = await send(desk, room_post(opening(), note="the war room is open"))

    channel = slack.channel(room)
    assert channel is not None and channel["name"] == NAME
    assert channel["creator"] == BOT_USER_ID and not channel["is_private"]
    assert slack.members(room) == [BOT_USER_ID, "U0BOB", "U0CAROL"]
    assert channel["topic"]["value"] == "INC-42 P1 · Investigating · IC @bob"
    assert channel["purpose"]["value"] == "War room of INC-42: Checkout is down"
    [intro] = posts_in(slack, room)
    assert intro["text"] == "<@U0BOB> on INC-42: the war room is open" and "thread_ts" not in intro
    [invite] = slack.calls("conversations.invite")
    assert invite.args["force"] in (True, "true", "1")


async def test_a_private_room_is_a_private_channel(desk, slack):
    room = await send(desk, room_post(opening(private=True)))
    assert slack.channel(room)["is_private"] is True
    assert room.startswith("G")


async def test_people_who_cannot_be_invited_are_named_in_the_room_and_the_rest_come_in(desk, slack):
    op = opening(
        members=["bob", "ghost", "zoe", "carol"],
        member_ids=["U0BOB", "U0GHOST", "U0CAROL"],  # zoe has no Slack account here
        unreachable=["zoe"],
    )
    room = await send(desk, room_post(op))

    assert slack.members(room) == [BOT_USER_ID, "U0BOB", "U0CAROL"]
    [_, line] = posts_in(slack, room)
    assert line["text"] == (
        "Could not invite: ghost (Slack does not know their account); "
        "zoe (no Slack account I know of)."
    )


async def test_a_retried_open_completes_the_half_made_room_instead_of_making_another(desk, slack):
    slack.fail("conversations.invite", status=500, times=1)  # after conversations.create
    with pytest.raises(RetryLater):
        await send(desk, room_post(opening()))
    [half_made] = [c.response["channel"]["id"] for c in slack.calls("conversations.create")]
    assert slack.members(half_made) == [BOT_USER_ID]

    room = await send(desk, room_post(opening()))

    assert room == half_made
    assert [c.response.get("error") for c in slack.calls("conversations.create")] == [
        None,
        "name_taken",
    ]
    assert slack.channel_named(f"{NAME}-2") is None
    assert slack.members(room) == [BOT_USER_ID, "U0BOB", "U0CAROL"]
    assert len(posts_in(slack, room)) == 1  # the intro, once


async def test_a_name_taken_by_someone_elses_channel_moves_to_name_2(desk, slack):
    theirs = slack.add_channel(NAME, creator="U0ALICE")
    room = await send(desk, room_post(opening()))
    assert room != theirs and slack.channel(room)["name"] == f"{NAME}-2"
    assert slack.members(theirs) == ["U0ALICE"]  # nobody was invited there


@pytest.mark.parametrize(
    "error, extra",
    [
        ("missing_scope", {"needed": "channels:manage", "provided": "chat:write"}),
        ("restricted_action", {}),
    ],
)
async def test_without_leave_to_make_channels_the_room_is_a_thread_that_says_what_to_grant(
    desk, slack, error, extra
):
    slack.refuse("conversations.create", error, **extra)
    room = await send(desk, room_post(opening(), note="the war room is open"))

    channel, ts = room.split(":", 1)
    assert channel == MAJOR
    [intro] = posts_in(slack, MAJOR)
    assert intro["text"].startswith("<@U0BOB> on INC-42: the war room is open\n\n" + GRANT)
    assert "`channels:manage`" in intro["text"] and "<@U0BOB> <@U0CAROL>" in intro["text"]
    assert slack.calls("conversations.invite") == []

    remember_room(desk, room)  # the outbox stores the ref `open` returned
    await send(desk, room_post(None, address=MAJOR, note="DB failover started"))
    await send(desk, room_post({"op": "archive"}, address=MAJOR, note="resolved"))
    later = posts_in(slack, MAJOR)[1:]
    assert [p["thread_ts"] for p in later] == [ts, ts]  # in the thread, never the channel
    assert slack.calls("conversations.archive") == []  # a thread is not archived


async def test_no_leave_to_make_channels_and_no_channel_beside_fails_for_good(desk, slack):
    slack.refuse("conversations.create", "restricted_action")
    with pytest.raises(PermanentFailure, match="restricted_action"):
        await send(desk, room_post(opening(beside_address=None)))


async def test_pin_posts_the_status_card_and_pins_it(desk, slack):
    room = await send(desk, room_post(opening()))
    remember_room(desk, room)
    ref = await send(desk, room_post({"op": "pin"}, address=room, creates_ref="status"))
    channel, ts = ref.split(":", 1)
    assert channel == room and slack.pins(room) == [ts]


async def test_a_pin_that_fails_is_logged_not_retried(desk, slack):
    room = await send(desk, room_post(opening()))
    remember_room(desk, room)
    slack.refuse("pins.add", "not_pinnable")
    ref = await send(desk, room_post({"op": "pin"}, address=room))
    assert ref.startswith(room + ":") and slack.pins(room) == []


async def test_edit_changes_the_status_card_in_place_and_posts_nothing(desk, slack):
    room = await send(desk, room_post(opening()))
    remember_room(desk, room)
    card = await send(desk, room_post({"op": "pin"}, address=room, note="investigating"))
    remember_room(desk, card, role="status")
    posted = len(posts_in(slack, room))

    ref = await send(
        desk, room_post({"op": "edit"}, address=room, note="mitigated", updates_ref="status")
    )

    assert ref == card and len(posts_in(slack, room)) == posted
    assert slack.message(*card.split(":", 1))["text"] == "<@U0BOB> on INC-42: mitigated"


async def test_a_status_card_that_is_gone_is_posted_anew_and_pinned(desk, slack):
    room = await send(desk, room_post(opening()))
    remember_room(desk, room)
    remember_room(desk, f"{room}:1600000000.000100", role="status")  # deleted since
    slack.refuse("chat.update", "message_not_found")

    ref = await send(desk, room_post({"op": "edit"}, address=room, updates_ref="status"))

    assert ref != f"{room}:1600000000.000100" and slack.pins(room) == [ref.split(":", 1)[1]]
    stored = ref_of(
        desk.runtime.database,
        subject_type="major",
        subject_id="42",
        platform="slack",
        role="status",
    )
    assert stored == ref


async def test_invite_brings_people_in_then_posts(desk, slack):
    room = await send(desk, room_post(opening(members=["bob"], member_ids=["U0BOB"])))
    remember_room(desk, room)
    op = {
        "op": "invite",
        "members": ["bob", "dave"],
        "member_ids": ["U0BOB", "U0DAVE"],
        "unreachable": [],
    }
    ref = await send(desk, room_post(op, address=room, note="dave is scribe"))
    assert slack.members(room) == [BOT_USER_ID, "U0BOB", "U0DAVE"]
    assert ref.startswith(room + ":")
    assert [p["text"] for p in posts_in(slack, room)][-1] == "<@U0BOB> on INC-42: dave is scribe"


async def test_archive_posts_then_archives_and_already_archived_counts_as_done(desk, slack):
    room = await send(desk, room_post(opening()))
    remember_room(desk, room)
    await send(desk, room_post({"op": "archive"}, address=room, note="archiving"))
    assert slack.channel(room)["is_archived"] is True
    assert posts_in(slack, room)[-1]["text"] == "<@U0BOB> on INC-42: archiving"

    # Sent again (its first answer was lost): the post is refused, the archive stays done.
    with pytest.raises(PermanentFailure, match="is_archived"):
        await send(desk, room_post({"op": "archive"}, address=room))


async def test_already_archived_is_not_an_error(desk, slack):
    room = await send(desk, room_post(opening()))
    remember_room(desk, room)
    slack.refuse("conversations.archive", "already_archived")
    await send(desk, room_post({"op": "archive"}, address=room))
    [call] = slack.calls("conversations.archive")
    assert call.response["error"] == "already_archived"


async def test_file_goes_up_through_the_v2_upload_flow_with_its_text(desk, slack):
    room = await send(desk, room_post(opening()))
    remember_room(desk, room)
    content = "# INC-42 review\n\n## Timeline\n- 09:02 declared\n"
    op = {"op": "file", "filename": "INC-42-review.md", "content": content}
    ref = await send(desk, room_post(op, address=room, note="the review is ready"))

    [url] = slack.calls("files.getUploadURLExternal")
    assert url.args["filename"] == "INC-42-review.md"
    assert int(url.args["length"]) == len(content.encode())
    [upload] = slack.calls("file_upload")
    assert upload.status == 200 and upload.args["file_id"] == url.response["file_id"]
    [done] = slack.calls("files.completeUploadExternal")
    assert done.args["channel_id"] == room
    assert done.args["initial_comment"] == "<@U0BOB> on INC-42: the review is ready"
    assert slack.calls("files.upload") == []  # the retired method
    assert slack.file(url.response["file_id"])["data"] == content.encode()
    assert ref.startswith(room + ":") and slack.message(*ref.split(":", 1))["upload"] is True


async def test_a_file_the_upload_url_refuses_is_retried(desk, slack):
    room = await send(desk, room_post(opening()))
    remember_room(desk, room)
    slack.fail("file_upload", status=500, times=1)
    op = {"op": "file", "filename": "r.md", "content": "x"}
    with pytest.raises(RetryLater, match="did not take the file"):
        await send(desk, room_post(op, address=room))
    assert slack.calls("files.completeUploadExternal") == []


async def test_rate_limits_and_outages_while_opening_are_retried_later(desk, slack):
    slack.rate_limit("conversations.create", retry_after=7)
    with pytest.raises(RetryLater) as raised:
        await send(desk, room_post(opening()))
    assert raised.value.retry_after == 7
    slack.fail("conversations.setTopic", status=503, times=1)
    with pytest.raises(RetryLater, match="503"):
        await send(desk, room_post(opening()))
    room = await send(desk, room_post(opening()))
    assert slack.channel(room)["name"] == NAME and slack.channel_named(f"{NAME}-2") is None


async def test_an_open_whose_outcome_was_lost_does_not_post_its_first_message_twice(desk, slack):
    # The first attempt made the room and posted, but its outcome was never recorded (the
    # worker died): the outbox hands the same open over again, with no room known yet.
    first = await send(desk, room_post(opening()))
    again = await send(desk, room_post(opening()))
    assert again == first
    assert len(posts_in(slack, first)) == 1  # the intro, once
