"""FakeDiscord's channel-making routes, driven by the real discord.py client's own models:
guild channels with a category and overwrites, overwrite edits, threads and their members,
channel edits, pins, attachments, and the permission faults tests switch on."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import discord
import pytest
import pytest_asyncio

from . import discord_interactions as ix
from .discord_harness import DiscordErrorLog, point_discord_at, run_client, stop_client
from .discord_server import FakeDiscord


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.add_category("War rooms", position=2)
        with point_discord_at(server.api_url, server.gateway_url):
            yield server


@pytest_asyncio.fixture
async def client(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    errors = DiscordErrorLog().install()
    bot = discord.Client(intents=discord.Intents(guilds=True))
    task = await run_client(bot, fake.token)
    yield bot
    await stop_client(bot, task)
    errors.uninstall()
    assert not errors.unexpected, errors.format_unexpected()


def guild(client: discord.Client, fake: FakeDiscord) -> discord.Guild:
    found = client.get_guild(int(fake.guild_id))
    assert found is not None
    return found


@pytest.mark.asyncio
async def test_a_channel_is_made_in_a_category_with_overwrites(client, fake):
    server = guild(client, fake)
    category = server.get_channel(int(fake.channel_ids["War rooms"]))
    alice = discord.Object(id=int(fake.agent["id"]))
    made = await server.create_text_channel(
        "inc-1-down",
        category=category,
        topic="INC-1",
        overwrites={
            server.default_role: discord.PermissionOverwrite(view_channel=False),
            alice: discord.PermissionOverwrite(view_channel=True, send_messages=True),
        },
    )
    stored = fake.channels[str(made.id)]
    assert (stored["name"], stored["parent_id"], stored["topic"]) == (
        "inc-1-down",
        fake.channel_ids["War rooms"],
        "INC-1",
    )
    assert {
        o["id"]: (o["type"], o["allow"], o["deny"]) for o in stored["permission_overwrites"]
    } == {
        fake.guild_id: (0, "0", "1024"),
        fake.agent["id"]: (1, "3072", "0"),
    }
    [call] = fake.calls("POST", f"/guilds/{fake.guild_id}/channels")
    assert call.status == 201
    listed = await client.http.get_all_guild_channels(int(fake.guild_id))
    assert str(made.id) in {c["id"] for c in listed}
    # The gateway told the client, as Discord does (CHANNEL_CREATE).
    await fake.wait_until(lambda: server.get_channel(made.id) is not None)


@pytest.mark.asyncio
async def test_without_manage_channels_making_a_channel_is_refused(client, fake):
    fake.deny_bot("manage_channels")
    with pytest.raises(discord.Forbidden) as refused:
        await guild(client, fake).create_text_channel("inc-1-down")
    assert (refused.value.status, refused.value.code, refused.value.text) == (
        403,
        50013,
        "Missing Permissions",
    )
    fake.allow_bot("manage_channels")
    assert await guild(client, fake).create_text_channel("inc-1-down")


@pytest.mark.asyncio
async def test_a_parent_that_is_not_a_category_is_invalid(client, fake):
    with pytest.raises(discord.HTTPException) as refused:
        await client.http.create_channel(
            int(fake.guild_id), 0, name="x", parent_id=fake.channel_ids["general"]
        )
    assert (refused.value.status, refused.value.code) == (400, 50035)


@pytest.mark.asyncio
async def test_overwrites_are_set_one_by_one_and_need_manage_roles(client, fake):
    channel_id = int(fake.channel_ids["general"])
    user = int(fake.agent["id"])
    await client.http.edit_channel_permissions(channel_id, user, "3072", "0", 1)
    await client.http.edit_channel_permissions(channel_id, user, "0", "2048", 1)  # replaced
    assert fake.channel("general")["permission_overwrites"] == [
        {"id": str(user), "type": 1, "allow": "0", "deny": "2048"}
    ]
    fake.deny_bot("manage_roles")
    with pytest.raises(discord.Forbidden):
        await client.http.edit_channel_permissions(channel_id, user, "3072", "0", 1)
    with pytest.raises(discord.Forbidden):
        await client.http.edit_channel(channel_id, permission_overwrites=[])


@pytest.mark.asyncio
async def test_members_are_looked_up_in_the_server(client, fake):
    member = await client.http.get_member(int(fake.guild_id), int(fake.agent["id"]))
    assert member["user"]["id"] == fake.agent["id"]
    stranger = fake.add_user("stranger", in_guild=False)
    with pytest.raises(discord.NotFound) as missing:
        await client.http.get_member(int(fake.guild_id), int(stranger["id"]))
    assert missing.value.code == 10007


@pytest.mark.asyncio
async def test_threads_get_members_are_listed_and_archived_and_locked(client, fake):
    parent = fake.channel_ids["general"]
    thread = await client.http.start_thread_without_message(
        int(parent), name="inc-1-down", auto_archive_duration=10080, type=12, invitable=False
    )
    await client.http.add_user_to_thread(int(thread["id"]), int(fake.agent["id"]))
    assert fake.thread_members[thread["id"]] == {fake.agent["id"]}
    active = await client.http.get_active_threads(int(fake.guild_id))
    assert [t["id"] for t in active["threads"]] == [thread["id"]]

    edited = await client.http.edit_channel(int(thread["id"]), archived=True, locked=True)
    assert edited["thread_metadata"]["archived"] and edited["thread_metadata"]["locked"]
    assert (await client.http.get_active_threads(int(fake.guild_id)))["threads"] == []


@pytest.mark.asyncio
async def test_a_pin_is_recorded_with_discords_system_message(client, fake):
    channel = client.get_channel(int(fake.channel_ids["general"]))
    message = await channel.send("status")
    await message.pin()
    assert fake.messages[str(message.id)]["pinned"]
    [notice] = [m for m in fake.messages_in(str(channel.id)) if m["type"] == 6]
    assert notice["message_reference"]["message_id"] == str(message.id)
    [pin] = fake.calls("PUT", f"/channels/{channel.id}/messages/pins/{message.id}")
    assert pin.status == 204

    fake.deny_bot("pin_messages")
    other = await channel.send("another")
    with pytest.raises(discord.Forbidden):
        await other.pin()


@pytest.mark.asyncio
async def test_a_file_is_attached_with_payload_json(client, fake):
    channel = client.get_channel(int(fake.channel_ids["general"]))
    sent = await channel.send("review", file=discord.File(io.BytesIO(b"# INC-1"), "inc-1.md"))
    [call] = fake.calls("POST", f"/channels/{channel.id}/messages")
    assert call.json["content"] == "review"
    assert [(f["field"], f["filename"], f["data"]) for f in call.files] == [
        ("files[0]", "inc-1.md", b"# INC-1")
    ]
    assert [a.filename for a in sent.attachments] == ["inc-1.md"]


@pytest.mark.asyncio
async def test_a_message_command_carries_the_message(fake):
    posted = fake.user_message_create("the db is back", author=fake.requester, channel="general")
    payload = fake.message_command_interaction("Add to timeline", posted["id"], user=fake.agent)
    data = payload["data"]
    assert (data["type"], data["name"], data["target_id"]) == (
        ix.COMMAND_MESSAGE,
        "Add to timeline",
        posted["id"],
    )
    resolved = data["resolved"]["messages"][posted["id"]]
    assert (resolved["content"], resolved["channel_id"]) == (
        "the db is back",
        fake.channel_ids["general"],
    )
    assert payload["member"]["user"]["id"] == fake.agent["id"]
