"""War rooms, at the sender: each room operation of the outbox against the fake Discord.

Messages are built by hand (no major incident behind them): a room post of kind
`incident_note`, whose text is "@carol on INC-42: <note>", with a `room_op`.
"""

from __future__ import annotations

import itertools

import pytest

from adapters.discord.room_members import SEND, TALK, VIEW
from adapters.discord.rooms import GRANT_MANAGE_CHANNELS
from bot.message_refs import store_ref
from bot.outbox import OutboundMessage, PermanentFailure, RetryLater
from tests.discord.harness import ROOMS_CATEGORY, DiscordDeskHarness

ROW_IDS = itertools.count(9000)
NAME = "inc-42-payments-down"


def room_post(
    op: dict | None, note: str, *, address: str = "", updates_ref: str | None = None
) -> OutboundMessage:
    return OutboundMessage(
        id=next(ROW_IDS),
        platform="discord",
        kind="incident_note",
        destination_kind="room",
        destination="room",
        address=address,
        subject_type="major",
        subject_id="42",
        context={"by": "carol", "incident": {"key": "INC-42"}, "note": note},
        attempts=1,
        updates_ref=updates_ref,
        room_op=op,
    )


def opening(desk: DiscordDeskHarness, *members: str, private: bool = False, **more) -> dict:
    """An `open` as the outbox hands it over: members' Discord ids resolved, zed has none."""
    fake = desk.fake
    known = [m for m in members if m != "zed"]
    return {
        "op": "open",
        "name": NAME,
        "topic": "INC-42 Payments down",
        "purpose": "War room of INC-42",
        "members": list(members),
        "member_ids": [desk.user_id(m) for m in known],
        "unreachable": [m for m in members if m == "zed"],
        "within_address": fake.channel_ids[ROOMS_CATEGORY],
        "beside_address": fake.channel_ids["major-incidents"],
        "private": private,
        **more,
    }


async def send(desk: DiscordDeskHarness, message: OutboundMessage) -> str:
    return await desk.adapter.sender().send(message)


def overwrites(channel: dict) -> dict[str, tuple[int, int]]:
    return {o["id"]: (int(o["allow"]), int(o["deny"])) for o in channel["permission_overwrites"]}


def texts(desk: DiscordDeskHarness, channel_id: str) -> list[str]:
    return [m["content"] for m in desk.channel_messages(channel_id) if m["type"] in (0, 19)]


async def test_open_makes_a_private_channel_in_the_category_with_its_members(desk):
    room = await send(desk, room_post(opening(desk, "carol", "erin", private=True), "go"))

    channel = desk.fake.channels[room]
    assert channel["name"] == NAME and channel["type"] == 0
    assert channel["parent_id"] == desk.fake.channel_ids[ROOMS_CATEGORY]
    assert channel["topic"] == "INC-42 Payments down — War room of INC-42"
    given = overwrites(channel)
    assert given[desk.fake.guild_id] == (0, VIEW)  # @everyone cannot see it
    for who in ("carol", "erin"):
        allow, deny = given[desk.user_id(who)]
        assert allow & TALK == TALK and deny == 0
    assert given[desk.fake.app_id][0] & VIEW  # the bot keeps its way in
    assert texts(desk, room) == [f"<@{desk.user_id('carol')}> on INC-42: go"]


async def test_a_public_room_leaves_everyone_able_to_see_it(desk):
    room = await send(desk, room_post(opening(desk, "carol"), "go"))
    assert desk.fake.guild_id not in overwrites(desk.fake.channels[room])


async def test_people_who_cannot_be_let_in_are_named_in_the_room(desk):
    outsider = desk.fake.add_user("olaf", in_guild=False)
    op = opening(desk, "carol", "zed")
    op["members"].append("olaf")
    op["member_ids"].append(outsider["id"])

    room = await send(desk, room_post(op, "go"))

    assert set(overwrites(desk.fake.channels[room])) == {
        desk.fake.app_id,
        desk.user_id("carol"),
    }
    assert texts(desk, room)[1] == (
        "Could not add to this room: @zed (no Discord account known to deskbot); "
        "@olaf (not a member of this Discord server)."
    )


async def test_a_retried_open_finishes_the_half_made_room_instead_of_making_another(desk):
    message = room_post(opening(desk, "carol"), "go")
    desk.fake.fail("POST", "/channels/*/messages", status=503)
    with pytest.raises(RetryLater):
        await send(desk, message)
    [made] = desk.fake.calls("POST", f"/guilds/{desk.fake.guild_id}/channels", ok=True)

    desk.fake.clear_faults()
    room = await send(desk, message)

    assert room == made.response["id"]
    assert len(desk.fake.calls("POST", f"/guilds/{desk.fake.guild_id}/channels")) == 1
    assert len(texts(desk, room)) == 1


async def test_a_name_someone_else_took_gets_a_number(desk):
    theirs = desk.fake.add_text_channel(NAME)  # a person's channel: no overwrite of the bot
    room = await send(desk, room_post(opening(desk, "carol"), "go"))
    assert room != theirs["id"]
    assert desk.fake.channels[room]["name"] == f"{NAME}-2"


async def test_without_manage_channels_a_thread_stands_in_and_says_what_to_grant(desk):
    desk.fake.deny_bot("manage_channels")
    message = room_post(opening(desk, "carol", "erin"), "go")
    desk.fake.fail("POST", "/channels/*/messages", status=503)
    with pytest.raises(RetryLater):
        await send(desk, message)
    desk.fake.clear_faults()

    room = await send(desk, message)  # a retry: the same thread

    thread = desk.fake.channels[room]
    assert thread["type"] == 11 and thread["name"] == NAME
    assert thread["parent_id"] == desk.fake.channel_ids["major-incidents"]
    assert len(desk.fake.calls("POST", "/channels/", ok=True)) == 2  # one thread, one post
    assert desk.fake.thread_members[room] == {desk.user_id("carol"), desk.user_id("erin")}
    [post] = texts(desk, room)
    assert post.endswith(GRANT_MANAGE_CHANNELS) and "Manage Channels" in post


async def test_without_manage_channels_a_private_room_is_a_private_thread(desk):
    desk.fake.deny_bot("manage_channels")
    room = await send(desk, room_post(opening(desk, "carol", private=True), "go"))
    assert desk.fake.channels[room]["type"] == 12


async def test_a_room_needs_a_category_or_channel_to_know_its_server(desk):
    op = opening(desk, "carol", within_address=None, beside_address=None)
    with pytest.raises(PermanentFailure, match="in which server"):
        await send(desk, room_post(op, "go"))


async def test_pin_posts_then_pins(desk):
    room = await send(desk, room_post(opening(desk, "carol"), "go"))
    ref = await send(desk, room_post({"op": "pin"}, "status", address=room))
    channel_id, message_id = ref.split(":")
    assert channel_id == room and desk.fake.messages[message_id]["pinned"]
    [pin] = desk.fake.calls("PUT", f"/channels/{room}/messages/pins/{message_id}")
    assert pin.status == 204


async def test_a_pin_that_fails_is_logged_and_the_post_stands(desk, caplog):
    room = await send(desk, room_post(opening(desk, "carol"), "go"))
    desk.fake.deny_bot("pin_messages")
    ref = await send(desk, room_post({"op": "pin"}, "status", address=room))
    assert not desk.fake.messages[ref.split(":")[1]]["pinned"]
    assert "could not pin" in caplog.text


async def test_edit_changes_the_status_message_in_place(desk):
    room = await send(desk, room_post(opening(desk, "carol"), "go"))
    ref = await send(desk, room_post({"op": "pin"}, "status: investigating", address=room))
    await remember_status(desk, ref)
    before = len(desk.fake.messages)

    again = await send(
        desk, room_post({"op": "edit"}, "status: fixed", address=room, updates_ref="status")
    )

    assert again == ref and len(desk.fake.messages) == before
    assert desk.fake.messages[ref.split(":")[1]]["content"].endswith("status: fixed")


async def test_edit_of_a_deleted_status_posts_and_pins_it_anew(desk):
    room = await send(desk, room_post(opening(desk, "carol"), "go"))
    ref = await send(desk, room_post({"op": "pin"}, "status: investigating", address=room))
    await remember_status(desk, ref)
    del desk.fake.messages[ref.split(":")[1]]

    new = await send(
        desk, room_post({"op": "edit"}, "status: fixed", address=room, updates_ref="status")
    )

    assert new != ref and desk.fake.messages[new.split(":")[1]]["pinned"]


async def test_invite_lets_people_in_and_names_who_could_not_be_let_in(desk):
    room = await send(desk, room_post(opening(desk, "carol"), "go"))
    op = {
        "op": "invite",
        "members": ["erin", "zed"],
        "member_ids": [desk.user_id("erin")],
        "unreachable": ["zed"],
    }
    ref = await send(desk, room_post(op, "erin joins", address=room))

    assert overwrites(desk.fake.channels[room])[desk.user_id("erin")] == (TALK, 0)
    assert ref.startswith(f"{room}:")
    assert texts(desk, room)[-1] == (
        "Could not add to this room: @zed (no Discord account known to deskbot)."
    )


async def test_invite_without_manage_roles_names_everyone_left_out(desk):
    room = await send(desk, room_post(opening(desk, "carol"), "go"))
    desk.fake.deny_bot("manage_roles")
    op = {"op": "invite", "members": ["erin"], "member_ids": [desk.user_id("erin")]}
    await send(desk, room_post(op, "erin joins", address=room))
    assert "Manage Roles" in texts(desk, room)[-1]
    assert desk.user_id("erin") not in overwrites(desk.fake.channels[room])


async def test_archive_makes_the_room_read_only_for_everyone_but_the_bot(desk):
    room = await send(desk, room_post(opening(desk, "carol", private=True), "go"))
    await send(desk, room_post({"op": "archive"}, "closing", address=room))

    given = overwrites(desk.fake.channels[room])
    for who in (desk.fake.guild_id, desk.user_id("carol")):
        allow, deny = given[who]
        assert deny & SEND == SEND and not allow & SEND
    assert given[desk.fake.guild_id][1] & VIEW  # still private
    assert not given[desk.fake.app_id][1] & SEND
    assert texts(desk, room)[-1].endswith("closing")  # posted before the lock


async def test_archive_of_a_thread_archives_and_locks_it(desk):
    desk.fake.deny_bot("manage_channels")
    room = await send(desk, room_post(opening(desk, "carol"), "go"))
    await send(desk, room_post({"op": "archive"}, "closing", address=room))
    meta = desk.fake.channels[room]["thread_metadata"]
    assert meta["archived"] and meta["locked"]


async def test_file_posts_the_text_with_the_attachment(desk):
    room = await send(desk, room_post(opening(desk, "carol"), "go"))
    op = {"op": "file", "filename": "INC-42-review.md", "content": "# Review\n\nWhat broke"}
    ref = await send(desk, room_post(op, "the review", address=room))

    [call] = [c for c in desk.fake.calls("POST", f"/channels/{room}/messages") if c.files]
    assert call.headers["Content-Type"].startswith("multipart/form-data")
    assert call.json["content"].endswith("the review")
    [part] = call.files
    assert (part["field"], part["filename"]) == ("files[0]", "INC-42-review.md")
    assert part["data"].decode() == "# Review\n\nWhat broke"
    [attached] = desk.fake.messages[ref.split(":")[1]]["attachments"]
    assert attached["filename"] == "INC-42-review.md"


async def test_a_long_rate_limit_on_making_the_room_is_retried_later(desk):
    desk.fake.rate_limit("POST", "/guilds/*/channels", retry_after=45.0)
    with pytest.raises(RetryLater) as raised:
        await send(desk, room_post(opening(desk, "carol"), "go"))
    assert raised.value.retry_after == pytest.approx(45.0)


async def test_an_outage_while_making_the_room_is_retried_later(desk):
    desk.fake.fail("POST", "/guilds/*/channels", status=503)
    with pytest.raises(RetryLater, match="503"):
        await send(desk, room_post(opening(desk, "carol"), "go"))


async def test_a_room_that_is_gone_fails_for_good(desk):
    with pytest.raises(PermanentFailure, match="Unknown Channel"):
        await send(desk, room_post({"op": "pin"}, "status", address="1234567890123"))


async def remember_status(desk: DiscordDeskHarness, ref: str) -> None:
    """Store the status card's reference, as the outbox does for a `creates_ref` post."""
    with desk.runtime.database.transaction() as session:
        store_ref(
            session,
            desk.clock,
            subject_type="major",
            subject_id="42",
            platform="discord",
            role="status",
            ref=ref,
        )
