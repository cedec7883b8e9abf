"""`deskbot discord sync-commands [--guild ID]`: register the commands with Discord."""

from __future__ import annotations

import sys

import aiohttp
import discord

from adapters.discord.client import DeskClient
from adapters.discord.endpoints import apply_endpoints
from bot.config import DeskConfig
from bot.settings import Settings


async def sync_commands(settings: Settings, config: DeskConfig, guild: str | None) -> int:
    """Register the commands in one guild (instant, for testing) or globally; returns an exit code.

    The commands do not depend on the configuration (services and people come from
    autocomplete), so editing deskbot.yaml never needs a re-sync. `config` goes unused on
    purpose: bot/cli.py loads and checks deskbot.yaml before any command that runs the desk,
    this one included, and hands it over (a broken configuration stops `sync-commands` before
    anything is registered); the parameter keeps that call as it is.
    """
    if not settings.discord_token:
        print("deskbot: set DISCORD_TOKEN to register the commands.", file=sys.stderr)
        return 2
    if guild is not None and not guild.strip().isdigit():
        print(f"deskbot: --guild takes a server id (digits), not {guild!r}.", file=sys.stderr)
        return 2
    apply_endpoints(settings)
    client = DeskClient()
    try:
        await client.login(settings.discord_token)
        if guild is None:
            synced = await client.tree.sync()
            where = "globally (they can take a few minutes to show up everywhere)"
        else:
            target = discord.Object(id=int(guild))
            client.tree.copy_global_to(guild=target)
            synced = await client.tree.sync(guild=target)
            where = f"in server {guild} (usable at once)"
    except discord.LoginFailure:
        print("deskbot: Discord rejected DISCORD_TOKEN; copy the bot token again.", file=sys.stderr)
        return 1
    except discord.Forbidden as exc:
        print(
            f"deskbot: Discord refused ({exc.text}). Is the bot in that server, invited with the "
            "applications.commands scope? See docs/discord.md.",
            file=sys.stderr,
        )
        return 1
    except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        print(f"deskbot: could not register the commands: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.close()
    names = ", ".join(
        f"/{c.name} ({len(c.options)} subcommands)"
        if c.type is discord.AppCommandType.chat_input
        else f'"{c.name}" (on messages)'
        for c in synced
    )
    print(f"Registered {names} {where}.")
    return 0
