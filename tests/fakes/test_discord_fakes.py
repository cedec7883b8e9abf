"""Proves FakeDiscord speaks well enough for the *real* discord.py 2.x client.

Each test runs an actual ``discord.Client`` (with an ``app_commands.CommandTree``, a persistent
view and a modal) against the fake over 127.0.0.1, and fails if discord.py logs any ERROR.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord import app_commands

from . import discord_interactions as ix
from .discord_harness import DiscordErrorLog, point_discord_at, run_client, stop_client
from .discord_server import FakeDiscord

# --------------------------------------------------------------------------- the bot under test


class AckView(discord.ui.View):
    """Persistent view: no timeout and every item has an explicit custom_id."""

    def __init__(self, bot: DeskTestBot) -> None:
        super().__init__(timeout=None)
        self.bot = bot

    @discord.ui.button(
        label="Acknowledge", style=discord.ButtonStyle.primary, custom_id="deskbot:ack"
    )
    async def ack(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.bot.events.append(("button", button.custom_id, interaction.user.id))
        await interaction.response.send_message("acknowledged", ephemeral=True)


class ReportModal(discord.ui.Modal, title="Report an incident"):
    summary: discord.ui.TextInput = discord.ui.TextInput(label="Summary", custom_id="summary")
    details: discord.ui.TextInput = discord.ui.TextInput(
        label="Details", custom_id="details", style=discord.TextStyle.paragraph, required=False
    )

    def __init__(self, bot: DeskTestBot) -> None:
        super().__init__(custom_id="deskbot:report")
        self.bot = bot

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.bot.events.append(("modal", self.summary.value, self.details.value))
        await interaction.response.send_message(f"Filed: {self.summary.value}", ephemeral=True)


class DeskTestBot(discord.Client):
    """A minimal slash-command bot shaped like the adapter deskbot will have."""

    def __init__(self) -> None:
        # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE before
        # firing on_ready (default 2s) - shorten it so tests are fast.
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.events: list[tuple[Any, ...]] = []
        self.ready_count = 0
        self.resumed_count = 0

        @self.tree.command(name="ping", description="Health check")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong", ephemeral=True)

        @self.tree.command(name="boom", description="Always fails")
        async def boom(interaction: discord.Interaction) -> None:
            raise RuntimeError("boom")

        @self.tree.command(name="slow", description="Deferred work")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.edit_original_response(content="done")
            await interaction.followup.send("details", ephemeral=True)

        incident = app_commands.Group(name="incident", description="Incident management")

        @incident.command(name="open", description="Open an incident")
        async def open_incident(
            interaction: discord.Interaction, service: str, severity: int
        ) -> None:
            self.events.append(
                ("open", service, severity, interaction.guild_id, interaction.user.id)
            )
            await interaction.response.send_message(
                f"Opened {service} S{severity}", view=AckView(self)
            )

        @open_incident.autocomplete("service")
        async def service_choices(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            services = ["email", "erp", "printing", "vpn"]
            return [app_commands.Choice(name=s, value=s) for s in services if s.startswith(current)]

        @incident.command(name="report", description="Report via a form")
        async def report(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(ReportModal(self))

        self.tree.add_command(incident)

    async def setup_hook(self) -> None:
        self.add_view(AckView(self))
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5s before every non-initial IDENTIFY; skip that in tests.
        pass

    async def on_ready(self) -> None:
        self.ready_count += 1

    async def on_resumed(self) -> None:
        self.resumed_count += 1


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def discord_errors() -> Iterator[DiscordErrorLog]:
    """Fail the test if any ``discord.*`` logger emitted an ERROR (use ``.allow(regex)`` to expect one)."""
    guard = DiscordErrorLog().install()
    yield guard
    guard.uninstall()
    if guard.unexpected:
        pytest.fail("discord.py logged ERROR records:\n" + guard.format_unexpected(), pytrace=False)


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        with point_discord_at(server.api_url, server.gateway_url):
            yield server


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, discord_errors: DiscordErrorLog) -> AsyncIterator[DeskTestBot]:
    client = DeskTestBot()
    task = await run_client(client, fake.token)
    yield client
    await stop_client(client, task)


def text_channel(
    bot: DeskTestBot, fake: FakeDiscord, name: str = "service-desk"
) -> discord.TextChannel:
    channel = bot.get_channel(int(fake.channel_ids[name]))
    assert isinstance(channel, discord.TextChannel)
    return channel


# --------------------------------------------------------------------------- tests


@pytest.mark.asyncio
async def test_rest_uses_exact_json_content_type_and_checks_token(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(
            fake.api_url + "/users/@me", headers={"Authorization": f"Bot {fake.token}"}
        ) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["id"] == fake.app_id
        async with session.get(
            fake.api_url + "/users/@me", headers={"Authorization": "Bot wrong"}
        ) as resp:
            assert resp.status == 401
            assert resp.headers["Content-Type"] == "application/json"
        async with session.get(fake.api_url + "/gateway") as resp:
            assert (await resp.json()) == {"url": fake.gateway_url}
    assert [c.status for c in fake.calls("GET", "/users/@me")] == [200, 401]


@pytest.mark.asyncio
async def test_client_connects_identifies_and_syncs_commands(
    bot: DeskTestBot, fake: FakeDiscord
) -> None:
    assert bot.ready_count == 1
    assert bot.user is not None and str(bot.user.id) == fake.app_id
    assert bot.application_id == int(fake.app_id)

    identify = fake.gateway.received(op=2)[0]["d"]
    assert identify["token"] == fake.token
    assert identify["intents"] == discord.Intents.default().value
    conn = fake.gateway.connections[0]
    assert conn.path == "/gateway"
    assert conn.query["v"] == "10" and conn.query["encoding"] == "json"
    assert conn.ops_received[:2] == [
        1,
        2,
    ]  # discord.py heartbeats right after HELLO, then IDENTIFYs
    # Transport compression is honoured for zlib-stream (zstd-stream would need `zstandard`).
    assert conn.query["compress"] in ("zlib-stream", "zstd-stream")
    assert conn.compress == (
        conn.query["compress"] if conn.query["compress"] == "zlib-stream" else None
    )

    guild = bot.get_guild(int(fake.guild_id))
    assert guild is not None and guild.name == fake.guild_name
    assert {c.name for c in guild.text_channels} == {"general", "service-desk"}

    sync = fake.calls("PUT", f"/applications/{fake.app_id}/commands", ok=True)
    assert len(sync) == 1
    assert {cmd["name"] for cmd in sync[0].json} == {"ping", "boom", "slow", "incident"}
    incident = next(cmd for cmd in sync[0].json if cmd["name"] == "incident")
    assert {o["name"] for o in incident["options"]} == {"open", "report"}
    assert all(o["type"] == ix.OPTION_SUB_COMMAND for o in incident["options"])
    assert {cmd["id"] for cmd in fake.commands[None]} == {
        fake.command_id(n) for n in ("ping", "boom", "slow", "incident")
    }


@pytest.mark.asyncio
async def test_slash_command_ephemeral_reply_reaches_callback(
    bot: DeskTestBot, fake: FakeDiscord
) -> None:
    record = await fake.dispatch_interaction(fake.command_interaction("ping"))
    await fake.wait_for_response(record)

    assert record.callback_type == ix.CALLBACK_CHANNEL_MESSAGE
    assert record.callback_data is not None
    assert record.callback_data["content"] == "pong"
    assert record.callback_data["flags"] == ix.FLAG_EPHEMERAL
    call = fake.calls("POST", f"/interactions/{record.id}/{record.token}/callback")[0]
    assert call.json["type"] == 4 and call.query.get("with_response") in ("1", "true")
    assert "Authorization" not in call.headers  # interaction webhooks are token-authenticated


@pytest.mark.asyncio
async def test_dm_invocation_uses_user_not_member(bot: DeskTestBot, fake: FakeDiscord) -> None:
    payload = fake.command_interaction("ping", dm=True, user=fake.requester)
    assert "member" not in payload and payload["user"]["id"] == fake.requester["id"]
    record = await fake.dispatch_interaction(payload)
    await fake.wait_for_response(record)
    assert record.callback_data is not None and record.callback_data["flags"] == ix.FLAG_EPHEMERAL


@pytest.mark.asyncio
async def test_autocomplete_then_subcommand_with_options(
    bot: DeskTestBot, fake: FakeDiscord
) -> None:
    auto = await fake.dispatch_interaction(
        fake.autocomplete_interaction(
            "incident", [ix.subcommand("open", [ix.option("service", "e", focused=True)])]
        )
    )
    await fake.wait_for_response(auto)
    assert auto.callback_type == ix.CALLBACK_AUTOCOMPLETE_RESULT
    assert auto.callback_data == {
        "choices": [{"name": "email", "value": "email"}, {"name": "erp", "value": "erp"}]
    }

    cmd = await fake.dispatch_interaction(
        fake.command_interaction(
            "incident",
            [
                ix.subcommand(
                    "open",
                    [ix.option("service", "email"), ix.option("severity", 2, ix.OPTION_INTEGER)],
                )
            ],
        )
    )
    await fake.wait_for_response(cmd)
    assert ("open", "email", 2, int(fake.guild_id), int(fake.agent["id"])) in bot.events
    assert cmd.callback_data is not None and cmd.callback_data["content"] == "Opened email S2"
    # The view travels as components; the created message is public (no ephemeral flag).
    assert cmd.callback_data["components"][0]["components"][0]["custom_id"] == "deskbot:ack"
    assert fake.messages[cmd.original_message_id]["flags"] == 0  # type: ignore[index]


@pytest.mark.asyncio
async def test_persistent_view_button_reaches_callback(bot: DeskTestBot, fake: FakeDiscord) -> None:
    record = await fake.dispatch_interaction(
        fake.button_interaction("deskbot:ack", user=fake.agent)
    )
    await fake.wait_for_response(record)
    assert ("button", "deskbot:ack", int(fake.agent["id"])) in bot.events
    assert record.callback_type == ix.CALLBACK_CHANNEL_MESSAGE
    assert record.callback_data == {
        "tts": False,
        "content": "acknowledged",
        "flags": ix.FLAG_EPHEMERAL,
    }

    # Pressing the button on the message the bot itself posted works the same way.
    opened = await fake.dispatch_interaction(
        fake.command_interaction(
            "incident",
            [
                ix.subcommand(
                    "open",
                    [ix.option("service", "vpn"), ix.option("severity", 1, ix.OPTION_INTEGER)],
                )
            ],
        )
    )
    await fake.wait_for_response(opened)
    assert opened.original_message_id is not None
    press = await fake.dispatch_interaction(
        fake.button_interaction(
            "deskbot:ack", message=opened.original_message_id, user=fake.requester
        )
    )
    await fake.wait_for_response(press)
    assert ("button", "deskbot:ack", int(fake.requester["id"])) in bot.events
    assert press.payload["message"]["interaction_metadata"]["name"] == "incident"


@pytest.mark.asyncio
async def test_defer_edit_original_and_followup(bot: DeskTestBot, fake: FakeDiscord) -> None:
    record = await fake.dispatch_interaction(fake.command_interaction("slow"))
    await fake.wait_for_call("POST", f"/webhooks/{fake.app_id}/{record.token}")

    assert record.callback_type == ix.CALLBACK_DEFERRED_CHANNEL_MESSAGE
    assert record.callback_data == {"flags": ix.FLAG_EPHEMERAL}
    edit = fake.calls(
        "PATCH", f"/webhooks/{fake.app_id}/{record.token}/messages/@original", ok=True
    )
    assert len(edit) == 1 and edit[0].json["content"] == "done"
    original = fake.messages[record.original_message_id]  # type: ignore[index]
    assert (
        original["content"] == "done" and original["flags"] == ix.FLAG_EPHEMERAL
    )  # "thinking" cleared
    followup = fake.messages[record.followup_ids[0]]
    assert followup["content"] == "details" and followup["flags"] & ix.FLAG_EPHEMERAL


@pytest.mark.asyncio
async def test_modal_open_and_submit(bot: DeskTestBot, fake: FakeDiscord) -> None:
    opened = await fake.dispatch_interaction(
        fake.command_interaction("incident", [ix.subcommand("report")])
    )
    await fake.wait_for_response(opened)
    assert opened.callback_type == ix.CALLBACK_MODAL
    assert (
        opened.callback_data is not None and opened.callback_data["custom_id"] == "deskbot:report"
    )

    submitted = await fake.dispatch_interaction(
        fake.modal_submit_for(opened, {"summary": "Printer on fire", "details": "3rd floor"})
    )
    await fake.wait_for_response(submitted)
    assert ("modal", "Printer on fire", "3rd floor") in bot.events
    assert (
        submitted.callback_data is not None
        and submitted.callback_data["content"] == "Filed: Printer on fire"
    )


@pytest.mark.asyncio
async def test_rate_limited_send_is_retried_after_retry_after(
    bot: DeskTestBot, fake: FakeDiscord
) -> None:
    channel = text_channel(bot, fake)
    path = f"/channels/{channel.id}/messages"
    fake.rate_limit("POST", path, count=1, retry_after=0.3)

    loop = asyncio.get_running_loop()
    started = loop.time()
    message = await channel.send("hello after 429")
    elapsed = loop.time() - started

    assert [c.status for c in fake.calls("POST", path)] == [429, 200]
    assert elapsed >= 0.3
    stored = fake.messages[str(message.id)]
    assert stored["content"] == "hello after 429" and stored["author"]["id"] == fake.app_id


@pytest.mark.asyncio
async def test_cloudflare_429_is_not_retried(bot: DeskTestBot, fake: FakeDiscord) -> None:
    channel = text_channel(bot, fake)
    fake.rate_limit("POST", "/channels/*/messages", cloudflare=True)
    with pytest.raises(discord.HTTPException) as excinfo:
        await channel.send("blocked")
    assert excinfo.value.status == 429
    assert len(fake.calls("POST", f"/channels/{channel.id}/messages")) == 1


@pytest.mark.asyncio
async def test_server_error_outage_recovers(bot: DeskTestBot, fake: FakeDiscord) -> None:
    channel = text_channel(bot, fake)
    fake.fail("POST", "/channels/*/messages", status=502, count=1)
    message = await channel.send("after the outage")  # discord.py retries 5xx after 1s
    assert [c.status for c in fake.calls("POST", f"/channels/{channel.id}/messages")] == [502, 200]
    assert fake.messages[str(message.id)]["content"] == "after the outage"


@pytest.mark.asyncio
async def test_threads_dms_and_edits(bot: DeskTestBot, fake: FakeDiscord) -> None:
    channel = text_channel(bot, fake)
    message = await channel.send("Incident INC-1 opened")
    thread = await message.create_thread(name="INC-1")
    assert thread.id == message.id and thread.parent_id == channel.id
    await thread.send("first update")
    assert [m["content"] for m in fake.messages_in(str(thread.id))] == ["first update"]

    edited = await message.edit(content="Incident INC-1 resolved")
    assert edited.content == "Incident INC-1 resolved"
    assert fake.messages[str(message.id)]["edited_timestamp"] is not None

    user = await bot.fetch_user(int(fake.requester["id"]))  # GET /users/{id}
    await user.send("Your ticket was updated")  # POST /users/@me/channels, then the DM message
    assert fake.calls("POST", "/users/@me/channels", ok=True)[0].json == {"recipient_id": user.id}
    assert (
        fake.messages_in(fake.dm_channels[fake.requester["id"]])[0]["content"]
        == "Your ticket was updated"
    )


@pytest.mark.asyncio
async def test_gateway_drop_resumes_and_replays_missed_events(
    bot: DeskTestBot, fake: FakeDiscord
) -> None:
    fake.gateway.pause_resumes()  # keep the client "reconnected but not resumed" for a moment
    await fake.gateway.drop(code=4000)
    await fake.gateway.wait_for(lambda gw: gw.received(op=6))
    assert fake.gateway.live_connection is None
    # Dispatched while the client is away: kept in the session log and replayed on RESUME.
    record = await fake.dispatch_interaction(fake.command_interaction("ping"))
    fake.gateway.release_resumes()

    await fake.gateway.wait_for(lambda gw: gw.resume_count == 1)
    resumed = fake.gateway.connections[-1]
    assert resumed.path == "/gateway/resume"  # READY's resume_gateway_url was honoured
    resume = fake.gateway.received(op=6)[0]["d"]
    first_session = fake.gateway.connections[0].session
    assert first_session is not None and resume["session_id"] == first_session.session_id
    assert resume["token"] == fake.token and resume["seq"] >= 2  # READY + GUILD_CREATE seen
    events = [m["t"] for m in resumed.sent if m["op"] == 0]
    assert events.index("INTERACTION_CREATE") < events.index("RESUMED")

    await fake.wait_for_response(record)
    assert record.callback_data is not None and record.callback_data["content"] == "pong"
    await fake.wait_until(lambda: bot.resumed_count == 1)
    assert fake.gateway.identify_count == 1


@pytest.mark.asyncio
async def test_reconnect_opcode_resumes(bot: DeskTestBot, fake: FakeDiscord) -> None:
    await fake.gateway.request_reconnect()  # op 7
    await fake.gateway.wait_for(lambda gw: gw.resume_count == 1)
    record = await fake.dispatch_interaction(fake.command_interaction("ping"))
    await fake.wait_for_response(record)
    assert fake.gateway.identify_count == 1


@pytest.mark.asyncio
async def test_gateway_outage_then_resume(
    bot: DeskTestBot, fake: FakeDiscord, discord_errors: DiscordErrorLog
) -> None:
    # discord.py logs failed reconnect attempts with _log.exception -> expected ERROR records.
    discord_errors.allow(r"Attempting a reconnect in")
    fake.gateway.refuse_connections(status=503, count=1)
    await fake.gateway.drop(code=1001)
    await fake.gateway.wait_for(lambda gw: gw.resume_count == 1, timeout=10)
    assert fake.gateway.refused == 1
    assert any("Attempting a reconnect" in r.getMessage() for r in discord_errors.records)
    record = await fake.dispatch_interaction(fake.command_interaction("ping"))
    await fake.wait_for_response(record)


@pytest.mark.asyncio
async def test_invalid_session_reidentifies(bot: DeskTestBot, fake: FakeDiscord) -> None:
    await fake.gateway.invalidate_session(resumable=False)
    await fake.gateway.wait_for(lambda gw: gw.identify_count == 2, timeout=10)
    assert fake.gateway.connections[-1].path == "/gateway"  # back to DEFAULT_GATEWAY
    await fake.wait_until(lambda: bot.ready_count == 2)

    record = await fake.dispatch_interaction(fake.command_interaction("ping"))
    await fake.wait_for_response(record)


@pytest.mark.asyncio
async def test_error_guard_sees_swallowed_exceptions(
    bot: DeskTestBot, fake: FakeDiscord, discord_errors: DiscordErrorLog
) -> None:
    discord_errors.allow(r"Ignoring exception in command 'boom'")
    await fake.dispatch_interaction(fake.command_interaction("boom"))
    await fake.wait_until(lambda: discord_errors.records)
    assert "boom" in discord_errors.records[0].getMessage()
    assert not discord_errors.unexpected


@pytest.mark.asyncio
async def test_late_response_gets_unknown_interaction(
    bot: DeskTestBot, fake: FakeDiscord, discord_errors: DiscordErrorLog
) -> None:
    discord_errors.allow(r"Ignoring exception in command 'ping'")
    fake.interaction_deadline = -1.0  # every response is "later than 3 seconds"
    record = await fake.dispatch_interaction(fake.command_interaction("ping"))
    call = await fake.wait_for_call("POST", f"/interactions/{record.id}/", ok=False)
    assert call.status == 404 and call.response["code"] == 10062
    assert record.callback_type is None
