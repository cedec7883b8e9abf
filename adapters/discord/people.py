"""Discord users as desk people: who is asking, and how to mention someone in a message."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import discord

from bot.identity import PlatformIdentity, platform_ids


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


NAME_LENGTH = 64  # people.name


def discord_ids(database, names: Iterable[str]) -> dict[str, str]:
    """Desk name → Discord user id, for those of `names` the desk can mention on Discord."""
    return platform_ids(database, "discord", names)


def names_in(context: Any) -> set[str]:
    """Every text in a notification's context that could be a desk name (reporter, by,
    assignee, lead…): whoever its templates mention is among them, so looking up only these
    finds everyone a message mentions, without reading the whole directory."""
    if isinstance(context, str):
        return {context} if 0 < len(context) <= NAME_LENGTH else set()
    if isinstance(context, dict):
        return set().union(*(names_in(v) for v in context.values()))
    if isinstance(context, list | tuple):
        return set().union(*(names_in(v) for v in context))
    return set()


class Mentioner:
    """The template `mention` filter for one message: <@id> for people Discord knows, @name
    for the rest. It remembers whom it mentioned: the only users the message may ping."""

    def __init__(self, ids: dict[str, str]) -> None:
        self.ids = ids
        self.mentioned: set[str] = set()

    def __call__(self, name: str) -> str:
        if name not in self.ids:
            return f"@{name}"
        self.mentioned.add(self.ids[name])
        return f"<@{self.ids[name]}>"

    def allowed_mentions(self) -> discord.AllowedMentions:
        """Ping exactly the people mentioned through the filter: never @everyone, @here or a
        role, nor a <@id> that came in with someone's text."""
        return discord.AllowedMentions(
            everyone=False,
            roles=False,
            users=[discord.Object(id=int(i)) for i in sorted(self.mentioned)],
            replied_user=False,
        )


def user_data(user: discord.User | discord.Member) -> dict[str, Any]:
    """Who acted, as stored with their interaction: enough to rebuild their identity."""
    identity = identity_of(user)
    return {
        "id": identity.user_id,
        "display_name": identity.display_name,
        "roles": list(identity.platform_roles),
    }


def identity_from(data: dict[str, Any]) -> PlatformIdentity:
    """The identity `user_data` stored."""
    return PlatformIdentity(
        platform="discord",
        user_id=str(data["id"]),
        display_name=data.get("display_name"),
        platform_roles=tuple(str(r) for r in data.get("roles") or ()),
    )
