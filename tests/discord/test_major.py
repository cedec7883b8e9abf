"""Major incidents on Discord, end to end: /major declare makes a war room (a channel in the
configured category, or a thread when deskbot may not make channels), with its people let in
and a pinned status card edited in place; "Add to timeline" marks a message; resolving makes
the room read-only a day later; the review arrives as an attachment."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from adapters.discord.room_members import SEND, TALK
from bot.message_refs import ref_of
from domain.records import InboundWork
from tests.discord.harness import ROOMS_CATEGORY, DiscordDeskHarness
from tests.fakes import discord_interactions as ix
from tests.fakes.discord_server import InteractionRecord

ROOM = "inc-1-vpn-down-for-everyone"


@pytest.fixture(autouse=True)
async def nothing_fails(desk: DiscordDeskHarness):
    """Every message of every test reaches Discord (a failed row would go unnoticed)."""
    yield
    rows = await asyncio.to_thread(desk.outbox)
    failed = [(r.kind, r.last_error) for r in rows if r.status == "failed"]
    assert not failed, failed


async def declare(desk: DiscordDeskHarness, who: str = "bob") -> str:
    record = await desk.command(
        who, "major", "declare", title="VPN down for everyone", service="vpn"
    )
    answer = await desk.answer(record)
    assert "INC-1" in answer and "major incident" in answer, answer
    await desk.delivered()
    return answer


async def room_of(desk: DiscordDeskHarness, role: str = "room") -> str:
    ref = await desk.until(
        lambda: ref_of(
            desk.runtime.database,
            subject_type="major",
            subject_id=1,
            platform="discord",
            role=role,
        ),
        what=f"the major incident's {role}",
    )
    return ref


def overwrites(channel: dict) -> dict[str, tuple[int, int]]:
    return {o["id"]: (int(o["allow"]), int(o["deny"])) for o in channel["permission_overwrites"]}


def posts(desk: DiscordDeskHarness, channel_id: str) -> list[str]:
    """What deskbot wrote in a channel (not Discord's own "pinned a message" notices)."""
    return [m["content"] for m in desk.channel_messages(channel_id) if m["type"] in (0, 19)]


async def delivered_as_time_passes(desk: DiscordDeskHarness) -> None:
    """Let the outbox's back-offs (and its waits for the room) pass on the manual clock, a
    little at a time, until every row is sent."""
    for _ in range(40):
        rows = await asyncio.to_thread(desk.outbox)
        if all(r.status in ("sent", "failed") for r in rows):
            return
        desk.clock.advance(timedelta(seconds=15))
        desk.runtime.worker.wake()
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox still has rows to send after ten minutes")


async def mark(desk: DiscordDeskHarness, who: str, message_id: str) -> InteractionRecord:
    """`who` uses "Add to timeline" on a message; returns the interaction's record."""
    payload = desk.fake.message_command_interaction(
        "Add to timeline", message_id, user=desk.user(who)
    )
    return await desk.fake.dispatch_interaction(payload)


async def test_declaring_makes_the_room_in_the_category_with_its_people_and_a_pinned_card(desk):
    await declare(desk)

    room_id = await room_of(desk)
    room = desk.fake.channels[room_id]
    assert (room["name"], room["type"]) == (ROOM, 0)
    assert room["parent_id"] == desk.fake.channel_ids[ROOMS_CATEGORY]
    given = overwrites(room)
    for who in ("bob", "carol", "erin"):  # the declarer (commander) and the network team
        assert given[desk.user_id(who)][0] & TALK == TALK, who
    assert desk.user_id("alice") not in given
    status = await room_of(desk, "status")
    channel_id, card_id = status.split(":")
    assert channel_id == room_id and desk.fake.messages[card_id]["pinned"]
    assert "INC-1" in desk.fake.messages[card_id]["content"]
    # The declarations channel links to the room.
    assert any(f"<#{room_id}>" in text for text in posts(desk, "major-incidents"))


async def test_an_update_edits_the_pinned_card_in_place(desk):
    await declare(desk)
    _, card_id = (await room_of(desk, "status")).split(":")
    before = desk.fake.messages[card_id]["content"]

    record = await desk.command(
        "bob", "major", "update", text="failing over to DC2", status="identified"
    )
    await desk.answer(record)
    await desk.delivered()

    card = desk.fake.messages[card_id]
    assert card["content"] != before and card["edited_timestamp"]
    assert "failing over to DC2" in "\n".join(posts(desk, await room_of(desk)))
    assert (await room_of(desk, "status")).endswith(card_id)  # no second card


async def test_add_to_timeline_marks_a_message_and_a_second_use_takes_it_off(desk):
    await declare(desk)
    room_id = await room_of(desk)
    said = desk.fake.user_message_create(
        "rolled back the 14:02 deploy", author=desk.user("carol"), channel=room_id
    )

    first = await mark(desk, "bob", said["id"])
    assert await desk.answer(first) == "Added to INC-1's timeline."
    assert desk.is_private(first)
    assert first.callback_type == ix.CALLBACK_DEFERRED_CHANNEL_MESSAGE
    # Stored before it was acknowledged, like every interaction.
    with desk.runtime.database.transaction() as session:
        jobs = session.scalars(
            select(InboundWork.job).where(InboundWork.delivery == f"interaction:{first.id}")
        ).all()
    assert jobs == ["mark"]
    timeline = await desk.answer(await desk.command("bob", "major", "timeline"))
    assert "carol (chat): rolled back the 14:02 deploy" in timeline  # its author, a person

    second = await mark(desk, "bob", said["id"])
    assert await desk.answer(second) == "Taken off INC-1's timeline."
    timeline = await desk.answer(await desk.command("bob", "major", "timeline"))
    assert "rolled back" not in timeline


async def test_add_to_timeline_outside_a_war_room_is_refused(desk):
    said = desk.fake.user_message_create("hello", author=desk.user("carol"), channel="general")
    answer = await desk.answer(await mark(desk, "bob", said["id"]))
    assert "war room" in answer


async def test_resolving_makes_the_room_read_only_a_day_later(desk):
    await declare(desk)
    room_id = await room_of(desk)
    await desk.answer(await desk.command("bob", "major", "resolve", text="failed over to DC2"))
    await desk.delivered()
    assert not overwrites(desk.fake.channels[room_id]).get(desk.fake.guild_id, (0, 0))[1] & SEND

    desk.clock.advance(timedelta(days=1, hours=1))
    desk.runtime.worker.wake()
    await desk.until(
        lambda: overwrites(desk.fake.channels[room_id]).get(desk.fake.guild_id, (0, 0))[1] & SEND,
        what="the room is read-only",
    )
    await desk.delivered()
    given = overwrites(desk.fake.channels[room_id])
    assert given[desk.user_id("carol")][1] & SEND
    assert not given[desk.fake.app_id][1] & SEND
    assert any("archived" in text for text in posts(desk, room_id))


async def test_the_review_is_posted_as_an_attachment(desk):
    await declare(desk)
    room_id = await room_of(desk)
    await desk.answer(await desk.command("bob", "major", "resolve", text="failed over to DC2"))
    await desk.answer(await desk.command("bob", "major", "review"))
    await desk.delivered()

    [call] = [c for c in desk.fake.calls("POST", f"/channels/{room_id}/messages") if c.files]
    [part] = call.files
    assert part["filename"] == "INC-1-review.md"
    assert part["data"].decode().startswith("# Post-incident review: INC-1")


async def test_a_room_half_made_by_a_failed_attempt_is_finished_not_made_again(desk):
    desk.fake.fail("POST", "/channels/*/messages", status=503)  # no post goes out
    record = await desk.command(
        "bob", "major", "declare", title="VPN down for everyone", service="vpn"
    )
    await desk.answer(record)
    await desk.fake.wait_for_call("POST", f"/guilds/{desk.fake.guild_id}/channels")
    await desk.until(
        lambda: any(r.kind == "major_room_opened" and r.last_error for r in desk.outbox()),
        what="the room's first post failed",
    )

    desk.fake.clear_faults()
    await delivered_as_time_passes(desk)

    made = desk.fake.calls("POST", f"/guilds/{desk.fake.guild_id}/channels")
    assert [c.status for c in made] == [201]
    room_id = await room_of(desk)
    assert room_id == made[0].response["id"]
    assert len([t for t in posts(desk, room_id) if "War room for INC-1" in t]) == 1


async def test_without_manage_channels_the_room_is_a_thread_that_says_what_to_grant(desk):
    desk.fake.deny_bot("manage_channels")
    await declare(desk)

    room_id = await room_of(desk)
    thread = desk.fake.channels[room_id]
    assert thread["type"] == 11
    assert thread["parent_id"] == desk.fake.channel_ids["major-incidents"]
    assert {desk.user_id(w) for w in ("bob", "carol", "erin")} <= desk.fake.thread_members[room_id]
    assert "Manage Channels" in posts(desk, room_id)[0]
    assert not [c for c in desk.fake.channels.values() if c.get("name") == ROOM and c["type"] == 0]
