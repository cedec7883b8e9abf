"""Discord users as desk people: who is asking, and how to mention someone in a message."""

from __future__ import annotations

from collections.abc import Callable

import discord
from sqlalchemy import select

from bot.identity import PlatformIdentity
from domain.records import PersonRecord


def identity_of(user: discord.User | discord.Member) -> PlatformIdentity:
    """The asker as deskbot sees them; a member's role ids (never names) feed `role_mapping`.

    Only ids: anyone can create a role with any name, even one that looks like an id, in a
    server of their own that the bot is in. A role id belongs to one server. A user in a DM
    has no roles here, so a mapped role counts only where the member holds it.
    """
    roles = [r for r in getattr(user, "roles", ()) if not r.is_default()]
    return PlatformIdentity(
        platform="discord",
        user_id=str(user.id),
        display_name=user.display_name,
        platform_roles=tuple(str(r.id) for r in roles),
    )


def discord_ids(database) -> dict[str, str]:
    """Desk name → Discord user id for everyone the desk can mention on Discord."""
    with database.transaction() as session:
        rows = session.execute(
            select(PersonRecord.name, PersonRecord.discord_id).where(
                PersonRecord.discord_id.is_not(None)
            )
        )
        return {name: discord_id for name, discord_id in rows}


def mentioner(ids: dict[str, str]) -> Callable[[str], str]:
    """A template `mention` filter: <@id> for people Discord knows, @name for the rest."""

    def mention(name: str) -> str:
        return f"<@{ids[name]}>" if name in ids else f"@{name}"

    return mention
