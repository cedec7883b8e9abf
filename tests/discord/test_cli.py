"""`deskbot discord sync-commands`, `deskbot discord` and `deskbot worker` as operators run them:
real processes, configured only through DISCORD_TOKEN, DISCORD_API_URL and DISCORD_GATEWAY_URL."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import signal
import sys
from pathlib import Path

from adapters.discord.cli import sync_commands
from bot.commands import COMMANDS
from bot.config import load_config_text
from bot.identity import PlatformIdentity
from bot.runtime import Runtime
from tests.discord.harness import config_text, settings_for
from tests.fakes import discord_interactions as ix

DESKBOT = str(Path(sys.executable).parent / "deskbot")


def environment(fake, database_url: str, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.update(
        DATABASE_URL=database_url,
        DISCORD_TOKEN=fake.token,
        DISCORD_API_URL=fake.api_url,
        DISCORD_GATEWAY_URL=fake.gateway_url,
    )
    return env | more


async def deskbot(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    """Start `deskbot ARGS…` without blocking the loop the fake Discord is served from."""
    return await asyncio.create_subprocess_exec(
        DESKBOT,
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process, timeout: float = 30) -> tuple[str, str]:
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return out.decode(), err.decode()


async def test_sync_commands_registers_every_subcommand_in_a_guild(fake, database_url, tmp_path):
    process = await deskbot(
        "discord",
        "sync-commands",
        "--guild",
        fake.guild_id,
        env=environment(fake, database_url),
        cwd=tmp_path,
    )
    out, err = await finish(process)
    assert process.returncode == 0, err
    registered = ", ".join(
        f"/{c.name} ({len(c.subcommands)} subcommands)" for c in COMMANDS.values()
    )
    registered += ', "Add to timeline" (on messages)'
    assert out.strip() == f"Registered {registered} in server {fake.guild_id} (usable at once)."
    assert registered.startswith("/incident (") and "/problem (" in registered
    [put] = fake.calls("PUT", f"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands")
    commands = {c["name"]: c for c in put.json if c.get("type", 1) == 1}
    assert set(commands) == set(COMMANDS)
    # A message command (type 3) marks war-room messages on a major incident's timeline.
    assert [c["name"] for c in put.json if c.get("type") == 3] == ["Add to timeline"]
    for command in COMMANDS.values():
        options = {o["name"]: o for o in commands[command.name]["options"]}
        assert set(options) == set(command.subcommands)
        for sub in command.subcommands.values():
            assert options[sub.name]["type"] == ix.OPTION_SUB_COMMAND
            names = {o["name"] for o in options[sub.name].get("options", [])}
            assert names == {a.name for a in sub.args} | {f.name for f in sub.flags}
    new = {o["name"]: o for o in commands["incident"]["options"]}["new"]
    by_name = {o["name"]: o for o in new["options"]}
    assert by_name["title"]["required"] is False  # no title: the form
    assert [c["value"] for c in by_name["impact"]["choices"]] == ["high", "medium", "low"]
    assert by_name["service"]["autocomplete"] is True
    claim = {o["name"]: o for o in commands["incident"]["options"]}["claim"]
    assert claim["options"] == [
        {
            "type": ix.OPTION_STRING,
            "name": "id",
            "description": "The incident, e.g. INC-42",
            "required": True,
            "autocomplete": True,
        }
    ]
    listing = {o["name"]: o for o in commands["incident"]["options"]}["list"]
    assert {o["name"]: o["type"] for o in listing["options"]}["mine"] == ix.OPTION_BOOLEAN
    assert None not in fake.commands  # nothing registered globally

    # /problem: hyphenated subcommands, its own states, ids completed where they are problems.
    problem = {o["name"]: o for o in commands["problem"]["options"]}
    assert {"known-error", "resolve-incidents", "adopt"} <= set(problem)
    states = {o["name"]: o for o in problem["list"]["options"]}["state"]["choices"]
    assert [c["value"] for c in states][:3] == ["new", "investigating", "known_error"]
    assert problem["claim"]["options"][0]["autocomplete"] is True
    assert "autocomplete" not in problem["adopt"]["options"][0]  # a suggestion, not a problem
    link = {o["name"]: o for o in commands["incident"]["options"]}["link"]
    assert [(o["name"], o.get("autocomplete")) for o in link["options"]] == [
        ("id", True),
        ("problem", True),
    ]
    for command in put.json:
        assert_within_discord_limits(command)


def assert_within_discord_limits(command: dict) -> None:
    """What Discord refuses at registration: names it cannot take, more than 25 subcommands
    or options, descriptions over 100 and a command over 4000 characters in all (a message
    command: a name of up to 32 characters, nothing else)."""
    name = re.compile(r"^[-_a-z0-9]{1,32}$")  # Discord's pattern, restricted to ASCII

    def size(part: dict) -> int:
        total = len(part["name"]) + len(part.get("description", ""))
        total += sum(len(c["name"]) + len(str(c["value"])) for c in part.get("choices") or [])
        return total + sum(size(o) for o in part.get("options") or [])

    def check(part: dict) -> None:
        assert name.match(part["name"]), part["name"]
        assert 1 <= len(part.get("description", "x")) <= 100, part["name"]
        assert len(part.get("options") or []) <= 25 and len(part.get("choices") or []) <= 25
        for option in part.get("options") or []:
            check(option)

    if command.get("type", 1) != 1:
        # A message command: any case, spaces allowed; no description and no options.
        assert 1 <= len(command["name"]) <= 32 and not command.get("options"), command
        assert command.get("description", "") == "", command["name"]
        return
    check(command)
    assert size(command) <= 4000, command["name"]


async def test_sync_commands_without_a_guild_registers_globally(fake, database_url, errors):
    config = load_config_text(config_text(fake))
    code = await sync_commands(settings_for(database_url, fake), config, guild=None)
    assert code == 0
    assert {c["name"] for c in fake.commands[None]} == set(COMMANDS) | {"Add to timeline"}


async def test_sync_commands_says_what_is_wrong(fake, database_url, capsys, errors):
    config = load_config_text(config_text(fake))
    settings = settings_for(database_url, fake)
    assert await sync_commands(settings, config, guild="my-server") == 2
    assert "--guild takes a server id" in capsys.readouterr().err
    bad = dataclasses.replace(settings, discord_token="wrong-token")
    assert await sync_commands(bad, config, guild=None) == 1
    assert "Discord rejected DISCORD_TOKEN" in capsys.readouterr().err
    assert fake.commands == {}


async def test_deskbot_discord_holds_the_gateway_and_answers_commands(fake, database_url, tmp_path):
    (tmp_path / "deskbot.yaml").write_text(config_text(fake))
    process = await deskbot("discord", env=environment(fake, database_url), cwd=tmp_path)
    try:
        await fake.gateway.wait_for(lambda gw: gw.identify_count == 1, timeout=30)
        identify = fake.gateway.received(op=2)[0]["d"]
        assert identify["intents"] == (1 << 0) | (1 << 12)  # guilds + DMs, nothing privileged
        record = await fake.dispatch_interaction(
            fake.command_interaction(
                "desk", [ix.subcommand("whoami")], user=fake.user_by_name("carol.chen")
            )
        )
        edited = await fake.wait_for_call(
            "PATCH", f"/webhooks/{fake.app_id}/{record.token}/messages/@original", timeout=15
        )
        assert edited.json["content"].startswith("You are carol (Carol Chen) — roles: agent")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await finish(process)
    assert process.returncode == 0, err
    assert fake.token not in out + err


async def test_deskbot_worker_delivers_over_rest_without_a_gateway(fake, database_url, tmp_path):
    (tmp_path / "deskbot.yaml").write_text(config_text(fake))
    settings = settings_for(database_url, fake)
    runtime = Runtime(settings, load_config_text(config_text(fake)), platforms=("discord",))
    await asyncio.to_thread(runtime.prepare)
    alice = PlatformIdentity("discord", fake.user_by_name("alice.archer")["id"])
    reply = await asyncio.to_thread(
        runtime.dispatcher.execute_argv, alice, ["incident", "new", "VPN drops"]
    )
    runtime.close()
    assert reply.ok

    process = await deskbot("worker", env=environment(fake, database_url), cwd=tmp_path)
    try:
        triage = fake.channel_ids["service-desk"]
        await fake.wait_for_call("POST", f"/channels/{triage}/messages", timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await finish(process)
    assert process.returncode == 0, err
    [card] = [m for m in fake.messages_in(triage)]
    assert card["embeds"][0]["title"] == "INC-1 · P3 · VPN drops"
    assert fake.gateway.connections == []  # REST only: the worker never opened the gateway


async def test_deskbot_discord_with_a_wrong_token_stops_and_says_why(fake, database_url, tmp_path):
    env = environment(fake, database_url, DISCORD_TOKEN="not-the-token")
    process = await deskbot("discord", env=env, cwd=tmp_path)
    out, err = await finish(process)
    assert process.returncode == 1
    assert "Discord rejected DISCORD_TOKEN; check the bot token." in err
    assert "not-the-token" not in out + err
    assert fake.gateway.connections == []
