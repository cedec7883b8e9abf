"""Autocomplete for command options: incidents, problems, services, categories, teams,
assignees, topics.

Each completer answers within Discord's deadline from the shared suggestions in bot/suggest.py;
a failure offers no choices rather than an error (the person can still type a value).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import discord
from discord import app_commands

from adapters.discord.people import identity_of
from bot import suggest
from bot.commands import COMMANDS

log = logging.getLogger(__name__)

Choices = list[app_commands.Choice[str]]


def _choices(found: list[suggest.Suggestion]) -> Choices:
    return [app_commands.Choice(name=s.label[:100], value=s.value[:100]) for s in found]


async def _safely(what: str, lookup: Callable[[], list[suggest.Suggestion]]) -> Choices:
    try:
        return _choices(await asyncio.to_thread(lookup))
    except Exception:
        log.exception("autocomplete of %s failed", what)
        return []


def _desk(interaction: discord.Interaction):
    return interaction.client.desk  # type: ignore[attr-defined]


async def incidents(interaction: discord.Interaction, current: str, subcommand: str) -> Choices:
    """Incidents the person may see, in the states the subcommand's action allows."""
    dispatcher = _desk(interaction).runtime.dispatcher
    identity = identity_of(interaction.user)
    return await _safely(
        "incidents", lambda: suggest.incidents(dispatcher, identity, current, subcommand)
    )


async def problems(interaction: discord.Interaction, current: str, subcommand: str) -> Choices:
    """Problems an agent may act on with the subcommand (/incident link: the open ones)."""
    dispatcher = _desk(interaction).runtime.dispatcher
    identity = identity_of(interaction.user)
    return await _safely(
        "problems", lambda: suggest.problems(dispatcher, identity, current, subcommand)
    )


async def services(interaction: discord.Interaction, current: str, subcommand: str) -> Choices:
    """Configured services."""
    return _choices(suggest.services(_desk(interaction).runtime.policy, current))


async def categories(interaction: discord.Interaction, current: str, subcommand: str) -> Choices:
    """Categories of the service already chosen in the same command, if any."""
    service = getattr(interaction.namespace, "service", None)
    return _choices(suggest.categories(_desk(interaction).runtime.policy, service, current))


async def teams(interaction: discord.Interaction, current: str, subcommand: str) -> Choices:
    """Teams, for /incident list --team."""
    return _choices(suggest.teams(_desk(interaction).runtime.policy, current))


async def assignees(interaction: discord.Interaction, current: str, subcommand: str) -> Choices:
    """Teams and agents, for /incident assign."""
    dispatcher = _desk(interaction).runtime.dispatcher
    return await _safely("assignees", lambda: suggest.assignees(dispatcher, current))


async def topics(interaction: discord.Interaction, current: str, subcommand: str) -> Choices:
    """Commands and subcommands, for /desk help."""
    words = [c for c in COMMANDS]
    words += [f"{c.name} {s}" for c in COMMANDS.values() for s in c.subcommands]
    needle = current.strip().lower().lstrip("/")
    return [app_commands.Choice(name=f"/{w}", value=w) for w in words if needle in w][:25]
