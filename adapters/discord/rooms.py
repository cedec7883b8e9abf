"""War rooms on Discord: what a major incident's room posts ask besides posting (room_op).

A room is a text channel made in the configured category (`within_address`), its members let
in by permission overwrites, and, when the room is private, hidden from @everyone. The bot
gives itself an overwrite too: it keeps the bot in a private room, and it is how a retry
recognises a channel an earlier attempt made (Discord records no channel's creator).

A bot without Manage Channels gets a thread in `beside_address` instead, whose post says what
to grant. Every step may be done again: a retried `open` finds its half-made channel (or
thread), overwrites and thread members are set, not added, and posts carry the row's nonce.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.http import handle_message_parameters

from adapters.discord import render
from adapters.discord.people import Mentioner
from adapters.discord.room_members import (
    BOT,
    MEMBER_OVERWRITE,
    ROLE_OVERWRITE,
    TALK,
    VIEW,
    Members,
    keep_server_members,
    overwrite,
    read_only,
    refused_for_one,
    why_refused,
)
from bot.message_refs import ref_of
from bot.outbox import OutboundMessage, PermanentFailure

if TYPE_CHECKING:
    from adapters.discord.sender import DiscordSender

log = logging.getLogger(__name__)

TEXT_CHANNEL, PUBLIC_THREAD, PRIVATE_THREAD = 0, 11, 12
THREADS = (PUBLIC_THREAD, PRIVATE_THREAD)
UNKNOWN_MESSAGE = 10008
NAME_LIMIT, TOPIC_LIMIT, THREAD_NAME_LIMIT = 80, 1024, 100
MAX_SUFFIX = 20  # name-2 … name-20: past that, something else is wrong
THREAD_ARCHIVE_MINUTES = 10080
GRANT_MANAGE_CHANNELS = (
    "deskbot may not create channels in this server, so this thread stands in for the war "
    "room. Give deskbot the Manage Channels permission to get a channel of its own next time."
)
CANNOT_ARCHIVE = (
    "deskbot could not make this room read-only: it needs the Manage Roles permission here."
)


class Rooms:
    """Performs `message.room_op` for the Discord sender; returns what `send` returns."""

    def __init__(self, sender: DiscordSender) -> None:
        self.sender = sender
        self._guilds: dict[int, int] = {}  # a channel id → its server's id

    @property
    def http(self) -> discord.http.HTTPClient:
        return self.sender.client.http

    @property
    def bot_id(self) -> str:
        user = self.sender.client.user
        if user is None:  # the sender logs in before any delivery
            raise RuntimeError("the Discord client is not logged in")
        return str(user.id)

    async def perform(self, message: OutboundMessage, mention: Mentioner) -> str:
        """Do what the room operation asks, and post the message."""
        op = (message.room_op or {}).get("op")
        work = {
            "open": self.open,
            "pin": self.pin,
            "edit": self.edit,
            "invite": self.invite,
            "archive": self.archive,
            "file": self.file,
        }.get(op or "")
        if work is None:
            raise PermanentFailure(f"unknown room operation {op!r}")
        return await work(message, mention)

    # ------------------------------------------------------------------ open
    async def open(self, message: OutboundMessage, mention: Mentioner) -> str:
        """Make the room (or finish the one an earlier attempt began), let its members in,
        post its first message; returns the room's id."""
        op = message.room_op or {}
        members = Members.of(op)
        guild_id = await self._guild_of(op)
        await keep_server_members(self.http, guild_id, members)
        note = None
        if message.address:  # made already: only the post is left
            room_id = int(message.address)
        else:
            try:
                room_id = await self._channel_for(guild_id, op, members)
            except discord.Forbidden as exc:
                log.info("may not create a channel for %s (%s); a thread instead", op["name"], exc)
                room_id = await self._thread_for(guild_id, op, members)
                note = GRANT_MANAGE_CHANNELS
        await self.sender.post(room_id, message, mention, note=note)
        await self._tell_missing(room_id, message, members)
        return str(room_id)

    async def _guild_of(self, op: dict[str, Any]) -> int:
        """The server rooms are made in: that of the category, else of the channel beside."""
        where = op.get("within_address") or op.get("beside_address")
        if not where:
            raise PermanentFailure(
                "no Discord category or channel is configured for rooms, so deskbot cannot "
                "tell in which server to make them"
            )
        return await self.guild_of_channel(int(where))

    async def guild_of_channel(self, channel_id: int) -> int:
        if channel_id not in self._guilds:
            channel = await self.http.get_channel(channel_id)
            if not channel.get("guild_id"):
                raise PermanentFailure(f"channel {channel_id} is not in a Discord server")
            self._guilds[channel_id] = int(channel["guild_id"])
        return self._guilds[channel_id]

    async def _channel_for(self, guild_id: int, op: dict[str, Any], members: Members) -> int:
        """Our channel of an earlier attempt, or a new one under the first free name."""
        channels = await self.http.get_all_guild_channels(guild_id)
        taken = {c.get("name"): c for c in channels}
        names = [numbered(op["name"], n) for n in range(1, MAX_SUFFIX + 1)]
        for name in names:
            found = taken.get(name)
            if found is not None and found.get("type") == TEXT_CHANNEL and self._made_by_us(found):
                log.info("finishing the room %s an earlier attempt made", name)
                return int(found["id"])
        free = next((n for n in names if n not in taken), None)
        if free is None:
            raise PermanentFailure(f"every channel name from {names[0]} to {names[-1]} is taken")
        overwrites = [overwrite(self.bot_id, MEMBER_OVERWRITE, allow=BOT)]
        if op.get("private"):
            overwrites.append(overwrite(guild_id, ROLE_OVERWRITE, deny=VIEW))  # @everyone
        overwrites += [overwrite(i, MEMBER_OVERWRITE, allow=TALK) for _, i in members.reachable]
        made = await self.http.create_channel(
            guild_id,
            TEXT_CHANNEL,
            name=free,
            parent_id=op.get("within_address"),
            topic=topic_of(op),
            permission_overwrites=overwrites,
        )
        return int(made["id"])

    def _made_by_us(self, channel: dict[str, Any]) -> bool:
        return any(
            str(o.get("id")) == self.bot_id and int(o.get("type", -1)) == MEMBER_OVERWRITE
            for o in channel.get("permission_overwrites") or []
        )

    async def _thread_for(self, guild_id: int, op: dict[str, Any], members: Members) -> int:
        """A thread beside the configured channel (ours of an earlier attempt, or new)."""
        beside = op.get("beside_address")
        if not beside:
            raise PermanentFailure(
                "deskbot may not create channels on Discord (it needs Manage Channels) and no "
                "channel is configured for a thread instead"
            )
        name = op["name"][:THREAD_NAME_LIMIT]
        active = await self.http.get_active_threads(guild_id)
        found = next(
            (
                t
                for t in active.get("threads") or []
                if t.get("name") == name
                and str(t.get("parent_id")) == str(beside)
                and str(t.get("owner_id")) == self.bot_id
            ),
            None,
        )
        if found is None:
            kind = PRIVATE_THREAD if op.get("private") else PUBLIC_THREAD
            found = await self.http.start_thread_without_message(
                int(beside),
                name=name,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                type=kind,
                invitable=False,
            )
        thread_id = int(found["id"])
        await self._let_in(thread_id, members, thread=True)
        return thread_id

    async def _let_in(self, room_id: int, members: Members, *, thread: bool) -> None:
        """Give each member the room; who cannot be let in is noted, the rest go on."""
        for name, user_id in list(members.reachable):
            try:
                if thread:
                    await self.http.add_user_to_thread(room_id, int(user_id))
                else:
                    await self.http.edit_channel_permissions(
                        room_id, int(user_id), str(TALK), "0", MEMBER_OVERWRITE
                    )
            except discord.HTTPException as exc:
                if not refused_for_one(exc):
                    raise
                members.refuse(name, why_refused(exc))

    async def _tell_missing(self, room_id: int, message: OutboundMessage, members: Members) -> None:
        line = members.line()
        if line is not None:
            await self.sender.say(room_id, line, of=message, tag="m")

    # ------------------------------------------------------------------ in a room
    async def invite(self, message: OutboundMessage, mention: Mentioner) -> str:
        """Let `member_ids` into the room, then post."""
        room = await self.http.get_channel(int(message.address))
        members = Members.of(message.room_op or {})
        await keep_server_members(self.http, int(room["guild_id"]), members)
        await self._let_in(int(room["id"]), members, thread=room.get("type") in THREADS)
        ref = await self.sender.post(int(room["id"]), message, mention)
        await self._tell_missing(int(room["id"]), message, members)
        return ref

    async def pin(self, message: OutboundMessage, mention: Mentioner) -> str:
        """Post, then pin the post (a pin that fails is logged, never retried)."""
        ref = await self.sender.post(int(message.address), message, mention)
        await self._pin(ref)
        return ref

    async def _pin(self, ref: str) -> None:
        channel_id, message_id = (int(part) for part in ref.split(":"))
        try:
            await self.http.pin_message(channel_id, message_id)
        except (discord.HTTPException, discord.RateLimited) as exc:
            log.warning("could not pin message %s in the room %s: %s", message_id, channel_id, exc)

    async def edit(self, message: OutboundMessage, mention: Mentioner) -> str:
        """Edit the subject's `updates_ref` message in place; if it is gone, post and pin anew."""
        ref = await asyncio.to_thread(
            ref_of,
            self.sender.database,
            subject_type=message.subject_type,
            subject_id=message.subject_id,
            platform="discord",
            role=message.updates_ref or "status",
        )
        if ref is not None:
            channel_id, message_id = (int(part) for part in ref.split(":"))
            body = render.body(message, mention)
            with handle_message_parameters(
                content=body.content,
                embeds=body.embeds,
                allowed_mentions=discord.AllowedMentions.none(),  # an edit pings nobody
            ) as params:
                try:
                    await self.http.edit_message(channel_id, message_id, params=params)
                    return ref
                except discord.NotFound as exc:
                    if exc.code != UNKNOWN_MESSAGE:
                        raise
            log.info("the %s message of %s is gone; posting it anew", message.updates_ref, ref)
        return await self.pin(message, mention)

    async def archive(self, message: OutboundMessage, mention: Mentioner) -> str:
        """Post, then make the room read-only (a thread: archived and locked)."""
        room_id = int(message.address)
        ref = await self.sender.post(room_id, message, mention)
        room = await self.http.get_channel(room_id)
        try:
            if room.get("type") in THREADS:
                await self.http.edit_channel(room_id, archived=True, locked=True)
            else:
                overwrites = read_only(
                    room.get("permission_overwrites") or [],
                    everyone=str(room["guild_id"]),
                    bot=self.bot_id,
                )
                await self.http.edit_channel(room_id, permission_overwrites=overwrites)
        except discord.Forbidden as exc:
            log.warning("could not make the room %s read-only: %s", room_id, exc)
            await self.sender.say(room_id, CANNOT_ARCHIVE, of=message, tag="a")
        return ref

    async def file(self, message: OutboundMessage, mention: Mentioner) -> str:
        """Post with `content` attached as `filename`."""
        op = message.room_op or {}
        data = str(op.get("content") or "").encode("utf-8")
        attached = discord.File(io.BytesIO(data), filename=op.get("filename") or "review.md")
        return await self.sender.post(int(message.address), message, mention, files=[attached])


def numbered(name: str, n: int) -> str:
    """`name` for the n-th try: name, name-2, name-3… within Discord's 80 characters here."""
    suffix = "" if n == 1 else f"-{n}"
    return name[: NAME_LIMIT - len(suffix)] + suffix


def topic_of(op: dict[str, Any]) -> str | None:
    """The channel topic: the room's topic and purpose (Discord has only the one)."""
    parts = [p for p in (op.get("topic"), op.get("purpose")) if p]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    text = " — ".join(parts)
    return text[:TOPIC_LIMIT] or None
