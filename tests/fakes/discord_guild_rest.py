"""REST routes of the fake Discord for making and running channels: guild channels (create,
list), members, active threads, permission overwrites, channel edits, thread members, pins.

Shapes and errors follow Discord's API v10 docs: Create Guild Channel answers 201 with the
channel; overwrite edits, thread members and pins answer 204; what the bot may not do is
``403 {"message": "Missing Permissions", "code": 50013}``. Tests take permissions away from
the bot with ``fake.deny_bot("manage_channels")`` (also ``manage_roles``, ``pin_messages``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import discord_interactions as ix
from . import discord_payloads as p
from .discord_http import API_PREFIX, BODY_KEY, error_response, json_response, no_content

if TYPE_CHECKING:
    from .discord_server import FakeDiscord

JSON = dict[str, Any]
THREADS = (p.CHANNEL_PUBLIC_THREAD, p.CHANNEL_PRIVATE_THREAD)
MAX_PINS = 250
MESSAGE_CHANNEL_PINNED = 6


def add_guild_routes(app: web.Application, fake: FakeDiscord) -> None:
    """Register the routes on the fake's REST application."""
    rest = _GuildRest(fake)
    r, a = app.router, API_PREFIX
    r.add_get(a + "/guilds/{guild_id}/channels", rest.list_channels)
    r.add_post(a + "/guilds/{guild_id}/channels", rest.create_channel)
    r.add_get(a + "/guilds/{guild_id}/members/{user_id}", rest.get_member)
    r.add_get(a + "/guilds/{guild_id}/threads/active", rest.active_threads)
    r.add_patch(a + "/channels/{channel_id}", rest.edit_channel)
    r.add_put(a + "/channels/{channel_id}/permissions/{target_id}", rest.put_overwrite)
    r.add_put(a + "/channels/{channel_id}/thread-members/{user_id}", rest.add_thread_member)
    # Pins: the route discord.py 2.7 uses, and the older one Discord still serves.
    r.add_put(a + "/channels/{channel_id}/messages/pins/{message_id}", rest.pin)
    r.add_put(a + "/channels/{channel_id}/pins/{message_id}", rest.pin)


def missing_permissions() -> web.Response:
    return error_response(403, "Missing Permissions", 50013)


def invalid_form(field: str, code: str, message: str) -> web.Response:
    errors = {field: {"_errors": [{"code": code, "message": message}]}}
    return error_response(400, "Invalid Form Body", 50035, errors)


class _GuildRest:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def _guild(self, request: web.Request) -> web.Response | None:
        if request.match_info["guild_id"] != self.fake.guild_id:
            return error_response(404, "Unknown Guild", 10004)
        return None

    def _channel(self, request: web.Request) -> tuple[JSON | None, web.Response | None]:
        channel = self.fake.channels.get(request.match_info["channel_id"])
        if channel is None:
            return None, error_response(404, "Unknown Channel", 10003)
        return channel, None

    async def _emit(self, event: str, channel: JSON) -> None:
        session = self.fake.gateway.current_session
        if session is not None and not session.invalidated and session.intents & 1:
            await self.fake.gateway.dispatch(event, channel)

    async def list_channels(self, request: web.Request) -> web.Response:
        if (err := self._guild(request)) is not None:
            return err
        f = self.fake
        return json_response(
            [
                c
                for c in f.channels.values()
                if c.get("guild_id") == f.guild_id and c["type"] not in THREADS
            ]
        )

    async def create_channel(self, request: web.Request) -> web.Response:
        """Create Guild Channel: needs Manage Channels; ``parent_id`` must be a category."""
        if (err := self._guild(request)) is not None:
            return err
        f = self.fake
        if "manage_channels" in f.bot_denied:
            return missing_permissions()
        body = request[BODY_KEY] or {}
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            return invalid_form(
                "name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        parent_id = body.get("parent_id")
        if parent_id is not None:
            parent = f.channels.get(str(parent_id))
            if parent is None or parent["type"] != p.CHANNEL_GUILD_CATEGORY:
                return invalid_form("parent_id", "CHANNEL_PARENT_INVALID_TYPE", "Not a category.")
        overwrites = []
        for o in body.get("permission_overwrites") or []:
            if int(o.get("type", -1)) not in (0, 1):
                return invalid_form("permission_overwrites", "BASE_TYPE_CHOICES", "Bad type.")
            overwrites.append(_overwrite(o))
        if int(body.get("type") or 0) != p.CHANNEL_GUILD_TEXT:
            return invalid_form("type", "BASE_TYPE_CHOICES", "Only text channels here.")
        channel = p.text_channel_payload(
            f.snowflakes.next(),
            f.guild_id,
            name,
            parent_id=str(parent_id) if parent_id is not None else None,
            topic=body.get("topic"),
        )
        channel["permission_overwrites"] = overwrites
        f.channels[channel["id"]] = channel
        await self._emit("CHANNEL_CREATE", channel)
        return json_response(channel, 201)

    async def get_member(self, request: web.Request) -> web.Response:
        if (err := self._guild(request)) is not None:
            return err
        member = self.fake.members.get(request.match_info["user_id"])
        if member is None:
            return error_response(404, "Unknown Member", 10007)
        return json_response(member)

    async def active_threads(self, request: web.Request) -> web.Response:
        if (err := self._guild(request)) is not None:
            return err
        f = self.fake
        threads = [
            c
            for c in f.channels.values()
            if c["type"] in THREADS
            and c.get("guild_id") == f.guild_id
            and not c["thread_metadata"]["archived"]
        ]
        members = [
            {"id": t["id"], "user_id": f.app_id, "join_timestamp": p.iso_timestamp(), "flags": 1}
            for t in threads
        ]
        return json_response({"threads": threads, "members": members})

    async def edit_channel(self, request: web.Request) -> web.Response:
        """Modify Channel: a thread's archived/locked/name; a channel's name, topic,
        overwrites (these need Manage Roles)."""
        channel, err = self._channel(request)
        if err is not None:
            return err
        assert channel is not None
        body = request[BODY_KEY] or {}
        if channel["type"] in THREADS:
            meta = channel["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration"):
                if key in body:
                    meta[key] = body[key]
            if body.get("archived"):
                meta["archive_timestamp"] = p.iso_timestamp()
            if "name" in body:
                channel["name"] = body["name"]
            await self._emit("THREAD_UPDATE", channel)
            return json_response(channel)
        if "permission_overwrites" in body:
            if "manage_roles" in self.fake.bot_denied:
                return missing_permissions()
            channel["permission_overwrites"] = [
                _overwrite(o) for o in body["permission_overwrites"] or []
            ]
        for key in ("name", "topic", "parent_id"):
            if key in body:
                channel[key] = body[key]
        await self._emit("CHANNEL_UPDATE", channel)
        return json_response(channel)

    async def put_overwrite(self, request: web.Request) -> web.Response:
        """Edit Channel Permissions: needs Manage Roles; sets (replaces) one overwrite."""
        channel, err = self._channel(request)
        if err is not None:
            return err
        assert channel is not None
        if channel["type"] in THREADS or channel.get("guild_id") is None:
            return error_response(400, "Cannot execute action on this channel type", 50024)
        if "manage_roles" in self.fake.bot_denied:
            return missing_permissions()
        body = request[BODY_KEY] or {}
        target = request.match_info["target_id"]
        if int(body.get("type", -1)) not in (0, 1):
            return invalid_form("type", "BASE_TYPE_CHOICES", "Value must be one of (0, 1).")
        found = _overwrite({**body, "id": target})
        kept = [o for o in channel["permission_overwrites"] if o["id"] != target]
        channel["permission_overwrites"] = [*kept, found]
        await self._emit("CHANNEL_UPDATE", channel)
        return no_content()

    async def add_thread_member(self, request: web.Request) -> web.Response:
        channel, err = self._channel(request)
        if err is not None:
            return err
        assert channel is not None
        if channel["type"] not in THREADS:
            return error_response(400, "Cannot execute action on this channel type", 50024)
        user_id = request.match_info["user_id"]
        if user_id not in self.fake.members:
            return error_response(404, "Unknown Member", 10007)
        self.fake.thread_members.setdefault(channel["id"], set()).add(user_id)
        channel["member_count"] = len(self.fake.thread_members[channel["id"]])
        return no_content()

    async def pin(self, request: web.Request) -> web.Response:
        """Pin Message: 204, and Discord's "pinned a message" system message in the channel."""
        f = self.fake
        channel, err = self._channel(request)
        if err is not None:
            return err
        assert channel is not None
        msg = f.messages.get(request.match_info["message_id"])
        if msg is None or msg["channel_id"] != channel["id"]:
            return error_response(404, "Unknown Message", 10008)
        if "pin_messages" in f.bot_denied:
            return missing_permissions()
        if msg["pinned"]:
            return no_content()
        pinned = [m for m in f.messages_in(channel["id"]) if m["pinned"]]
        if len(pinned) >= MAX_PINS:
            return error_response(400, f"Maximum number of pins reached ({MAX_PINS})", 30003)
        msg["pinned"] = True
        channel["last_pin_timestamp"] = p.iso_timestamp()
        notice = ix.message_payload(
            f.snowflakes.next(),
            channel["id"],
            f.users[f.app_id],
            "",
            message_type=MESSAGE_CHANNEL_PINNED,
            message_reference={"channel_id": channel["id"], "message_id": msg["id"]},
        )
        f.messages[notice["id"]] = notice
        await f._emit_message_event("MESSAGE_CREATE", notice)
        return no_content()


def _overwrite(data: JSON) -> JSON:
    """An overwrite as Discord stores and returns it (ids and bit sets as strings)."""
    return {
        "id": str(data["id"]),
        "type": int(data["type"]),
        "allow": str(data.get("allow") or "0"),
        "deny": str(data.get("deny") or "0"),
    }
