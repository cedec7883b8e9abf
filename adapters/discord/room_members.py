"""Who may be in a war room on Discord, and the line that names who could not be brought in.

Members are given the room by a permission overwrite each (view, send, read history); in a
thread that stands in for a room, by adding them to the thread. Someone who cannot be added
(not in this server, no Discord account known to deskbot, no permission to change the room)
does not stop the others: the room is told who is missing and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import discord

UNKNOWN_MEMBER = 10007
MISSING_PERMISSIONS = 50013
MEMBER_OVERWRITE, ROLE_OVERWRITE = 1, 0

# What a member of a room may do there; the bot's own overwrite (which also marks a channel
# as made by deskbot) adds embeds. Only permissions the bot holds in the server can be given
# in an overwrite: these are all in the invite link of docs/discord.md.
TALK = discord.Permissions(view_channel=True, send_messages=True, read_message_history=True).value
BOT = TALK | discord.Permissions(embed_links=True).value
VIEW = discord.Permissions(view_channel=True).value
SEND = discord.Permissions(send_messages=True, send_messages_in_threads=True).value

NO_ACCOUNT = "no Discord account known to deskbot"
NOT_IN_SERVER = "not a member of this Discord server"
NEEDS_MANAGE_ROLES = "deskbot needs the Manage Roles permission to let people into a room"


@dataclass
class Members:
    """The people to bring into a room: (desk name, Discord id) pairs, and who cannot come."""

    reachable: list[tuple[str, str]]
    missing: list[tuple[str, str]] = field(default_factory=list)  # (desk name, why)

    @classmethod
    def of(cls, room_op: dict[str, Any]) -> Members:
        """From a room operation: the outbox resolved `members` to `member_ids`, in order,
        leaving out the `unreachable` (people with no Discord account)."""
        unreachable = list(room_op.get("unreachable") or [])
        names = [n for n in room_op.get("members") or [] if n not in unreachable]
        ids = [str(i) for i in room_op.get("member_ids") or []]
        if len(names) != len(ids):  # no names to pair with: the ids will do
            names = ids
        return cls(list(zip(names, ids, strict=True)), [(n, NO_ACCOUNT) for n in unreachable])

    def refuse(self, name: str, why: str) -> None:
        """`name` could not be brought in, for the reason `why`."""
        self.reachable = [(n, i) for n, i in self.reachable if n != name]
        self.missing.append((name, why))

    def line(self) -> str | None:
        """The line the room reads about who could not be brought in (None: nobody)."""
        if not self.missing:
            return None
        who = "; ".join(f"@{name} ({why})" for name, why in self.missing)
        return f"Could not add to this room: {who}."


async def keep_server_members(
    http: discord.http.HTTPClient, guild_id: int, members: Members
) -> None:
    """Leave in `members` only people who are in the server (Unknown Member: named as missing)."""
    for name, user_id in list(members.reachable):
        try:
            await http.get_member(guild_id, int(user_id))
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_MEMBER:
                raise
            members.refuse(name, NOT_IN_SERVER)


def why_refused(exc: discord.HTTPException) -> str:
    """A person's failure to be let in, as the room reads it."""
    if exc.code == MISSING_PERMISSIONS:
        return NEEDS_MANAGE_ROLES
    if exc.code == UNKNOWN_MEMBER:
        return NOT_IN_SERVER
    return f"Discord refused: {exc.text}"[:120]


def refused_for_one(exc: Exception) -> bool:
    """An error that concerns one person (told in the room), not the delivery (retried)."""
    return isinstance(exc, discord.HTTPException) and 400 <= exc.status < 500 and exc.status != 429


def overwrite(target: str | int, kind: int, *, allow: int = 0, deny: int = 0) -> dict[str, Any]:
    """A permission overwrite as Discord's API takes it (bit sets as strings)."""
    return {"id": str(target), "type": kind, "allow": str(allow), "deny": str(deny)}


def read_only(overwrites: list[dict[str, Any]], *, everyone: str, bot: str) -> list[dict[str, Any]]:
    """A room's overwrites with sending denied to everyone but the bot (@everyone included)."""
    out = []
    for found in overwrites:
        if str(found["id"]) == bot:
            out.append(found)
            continue
        allow, deny = int(found.get("allow") or 0), int(found.get("deny") or 0)
        out.append(
            overwrite(found["id"], int(found["type"]), allow=allow & ~SEND, deny=deny | SEND)
        )
    if not any(str(o["id"]) == everyone for o in out):
        out.append(overwrite(everyone, ROLE_OVERWRITE, deny=SEND))
    return out
