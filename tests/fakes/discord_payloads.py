"""Builders for Discord API v10 resource payloads: users, roles, members, channels, guilds,
the application and its commands - shaped like the real thing.

Everything here is plain data (dicts of JSON types, snowflakes as strings) and
deliberately independent of discord.py: the fake plays Discord, so it must not
borrow the client's own idea of what Discord sends.  Shapes follow the
discord-api-docs (resources/user, resources/guild, resources/channel,
events/gateway-events) and were checked against what discord.py 2.7.1 indexes with
``data['...']`` (i.e. requires) when parsing.  Message, component and interaction
payloads are in :mod:`discord_interactions`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]

#: Discord's epoch (2015-01-01T00:00:00Z) in milliseconds.
DISCORD_EPOCH_MS = 1420070400000

# Channel types.
CHANNEL_GUILD_TEXT = 0
CHANNEL_DM = 1
CHANNEL_GUILD_CATEGORY = 4
CHANNEL_PUBLIC_THREAD = 11
CHANNEL_PRIVATE_THREAD = 12

#: A plausible "most permissions, no administrator" bitset, as Discord sends it (a string).
DEFAULT_PERMISSIONS = "2248473465835073"


class SnowflakeFactory:
    """Generates unique, time-ordered Discord snowflakes (as strings)."""

    def __init__(self, worker_id: int = 1, process_id: int = 0) -> None:
        self._worker = worker_id & 0x1F
        self._process = process_id & 0x1F
        self._counter = itertools.count()
        self._lock = threading.Lock()

    def next(self, at: datetime | None = None) -> str:
        """Return a new snowflake for ``at`` (default: now)."""
        millis = int((at.timestamp() if at else time.time()) * 1000)
        with self._lock:
            increment = next(self._counter) & 0xFFF
        value = (
            ((millis - DISCORD_EPOCH_MS) << 22)
            | (self._worker << 17)
            | (self._process << 12)
            | increment
        )
        return str(value)


_default_snowflakes = SnowflakeFactory()


def snowflake(at: datetime | None = None) -> str:
    """Return a fresh snowflake string from the module-wide generator."""
    return _default_snowflakes.next(at)


def snowflake_time(value: str | int) -> datetime:
    """Decode the creation time embedded in a snowflake."""
    return datetime.fromtimestamp(((int(value) >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso_timestamp(at: datetime | None = None) -> str:
    """ISO8601 timestamp with microseconds and +00:00, the format Discord uses."""
    return (at or datetime.now(UTC)).isoformat(timespec="microseconds")


# --------------------------------------------------------------------------- users, guilds


def user_payload(
    user_id: str,
    username: str,
    *,
    bot: bool = False,
    global_name: str | None = None,
    avatar: str | None = None,
) -> JSON:
    """A user object (resources/user#user-object); pomelo usernames have discriminator "0"."""
    data: JSON = {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": global_name
        if global_name is not None
        else (None if bot else username.title()),
        "avatar": avatar,
        "avatar_decoration_data": None,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "primary_guild": None,
        "collectibles": None,
    }
    if bot:
        data["bot"] = True
    return data


def current_user_payload(user_id: str, username: str) -> JSON:
    """The bot's own user, as returned by ``GET /users/@me`` and in READY."""
    data = user_payload(user_id, username, bot=True)
    data.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})
    return data


def role_payload(
    role_id: str,
    name: str,
    *,
    permissions: str = "0",
    position: int = 0,
    color: int = 0,
    managed: bool = False,
    tags: JSON | None = None,
) -> JSON:
    """A role object (topics/permissions#role-object)."""
    data: JSON = {
        "id": str(role_id),
        "name": name,
        "color": color,
        "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": permissions,
        "managed": managed,
        "mentionable": False,
        "flags": 0,
    }
    if tags is not None:
        data["tags"] = tags
    return data


def member_payload(
    user: JSON,
    *,
    roles: Iterable[str] = (),
    nick: str | None = None,
    joined_at: str | None = None,
    permissions: str | None = None,
) -> JSON:
    """A guild member object.  ``permissions`` is only present in interaction payloads."""
    data: JSON = {
        "user": user,
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": joined_at or iso_timestamp(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
        "unusual_dm_activity_until": None,
    }
    if permissions is not None:
        data["permissions"] = permissions
    return data


def text_channel_payload(
    channel_id: str,
    guild_id: str,
    name: str,
    *,
    position: int = 0,
    parent_id: str | None = None,
    topic: str | None = None,
    last_message_id: str | None = None,
) -> JSON:
    """A guild text channel (type 0)."""
    return {
        "id": str(channel_id),
        "type": CHANNEL_GUILD_TEXT,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": parent_id,
        "topic": topic,
        "nsfw": False,
        "last_message_id": last_message_id,
        "rate_limit_per_user": 0,
        "default_thread_rate_limit_per_user": 0,
        "default_auto_archive_duration": 1440,
        "flags": 0,
        "last_pin_timestamp": None,
    }


def category_channel_payload(
    channel_id: str, guild_id: str, name: str, *, position: int = 0
) -> JSON:
    """A guild category (type 4)."""
    return {
        "id": str(channel_id),
        "type": CHANNEL_GUILD_CATEGORY,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": None,
        "nsfw": False,
        "flags": 0,
    }


def dm_channel_payload(
    channel_id: str, recipient: JSON, *, last_message_id: str | None = None
) -> JSON:
    """A DM channel (type 1), as returned by ``POST /users/@me/channels``."""
    return {
        "id": str(channel_id),
        "type": CHANNEL_DM,
        "last_message_id": last_message_id,
        "flags": 0,
        "recipients": [recipient],
    }


def thread_channel_payload(
    thread_id: str,
    guild_id: str,
    parent_id: str,
    owner_id: str,
    name: str,
    *,
    thread_type: int = CHANNEL_PUBLIC_THREAD,
    auto_archive_duration: int = 1440,
    message_count: int = 0,
    member_count: int = 1,
    include_member: bool = True,
) -> JSON:
    """A thread channel (type 11/12) as returned by the start-thread endpoints."""
    now = iso_timestamp()
    data: JSON = {
        "id": str(thread_id),
        "type": thread_type,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": message_count,
        "member_count": member_count,
        "total_message_sent": message_count,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "archive_timestamp": now,
            "auto_archive_duration": auto_archive_duration,
            "locked": False,
            "create_timestamp": now,
        },
    }
    if thread_type == CHANNEL_PRIVATE_THREAD:
        data["thread_metadata"]["invitable"] = True
    if include_member:
        data["member"] = {
            "id": str(thread_id),
            "user_id": str(owner_id),
            "join_timestamp": now,
            "flags": 1,
        }
    return data


def guild_create_payload(
    guild_id: str,
    name: str,
    *,
    owner_id: str,
    roles: Sequence[JSON],
    channels: Sequence[JSON],
    members: Sequence[JSON],
    threads: Sequence[JSON] = (),
    member_count: int | None = None,
) -> JSON:
    """A full guild object with the GUILD_CREATE gateway extras (joined_at, members, channels...)."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "features": [],
        "application_id": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "roles": list(roles),
        "emojis": [],
        "stickers": [],
        "incidents_data": None,
        # Gateway-only GUILD_CREATE fields:
        "joined_at": iso_timestamp(),
        "large": False,
        "unavailable": False,
        "lazy": True,
        "member_count": member_count if member_count is not None else len(members),
        "voice_states": [],
        "members": list(members),
        "channels": list(channels),
        "threads": list(threads),
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


# --------------------------------------------------------------------------- application


def application_payload(app_id: str, name: str, *, bot: JSON, owner: JSON, flags: int = 0) -> JSON:
    """``GET /oauth2/applications/@me`` body.  No interactions_endpoint_url, so events come via gateway."""
    return {
        "id": str(app_id),
        "name": name,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "hook": True,
        "bot_public": False,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": flags,
        "owner": owner,
        "team": None,
        "bot": bot,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "approximate_guild_count": 1,
        "integration_types_config": {"0": {}},
        "install_params": None,
    }


def echo_application_command(
    command: Mapping[str, Any], *, command_id: str, app_id: str, guild_id: str | None
) -> JSON:
    """What Discord returns for one command of a bulk overwrite: the input plus server fields."""
    data: JSON = {
        "type": 1,
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "nsfw": False,
        "contexts": None,
        "integration_types": [0],
        **dict(command),
    }
    data.update({"id": command_id, "application_id": str(app_id), "version": snowflake()})
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data
