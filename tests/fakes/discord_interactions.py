"""Builders for Discord API v10 message, component and interaction payloads.

Shapes follow discord-api-docs (interactions/receiving-and-responding, resources/message,
components/reference) and what discord.py 2.7.1 requires when parsing: an interaction needs
``id, type, token, version, application_id, attachment_size_limit`` and a ``channel`` with
at least ``id``/``type`` (guild channels also ``name``/``position``); a member needs
``user, roles, flags``; a user needs ``id, username, discriminator, avatar``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .discord_payloads import (
    DEFAULT_PERMISSIONS,
    iso_timestamp,
    member_payload,
    snowflake,
    snowflake_time,
)

JSON = dict[str, Any]

# Interaction types (receiving-and-responding#interaction-object-interaction-type).
INTERACTION_PING = 1
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_MESSAGE_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4
INTERACTION_MODAL_SUBMIT = 5

# Interaction callback types.
CALLBACK_PONG = 1
CALLBACK_CHANNEL_MESSAGE = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE_MESSAGE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE_RESULT = 8
CALLBACK_MODAL = 9

# Application command types.
COMMAND_CHAT_INPUT, COMMAND_USER, COMMAND_MESSAGE = 1, 2, 3

# Application command option types.
OPTION_SUB_COMMAND = 1
OPTION_SUB_COMMAND_GROUP = 2
OPTION_STRING = 3
OPTION_INTEGER = 4
OPTION_BOOLEAN = 5
OPTION_USER = 6
OPTION_CHANNEL = 7
OPTION_ROLE = 8
OPTION_NUMBER = 10

# Component types.
COMPONENT_ACTION_ROW = 1
COMPONENT_BUTTON = 2
COMPONENT_STRING_SELECT = 3
COMPONENT_TEXT_INPUT = 4
COMPONENT_TEXT_DISPLAY = 10
COMPONENT_LABEL = 18

# Interaction context types.
CONTEXT_GUILD = 0
CONTEXT_BOT_DM = 1

# Message types and flags.
MESSAGE_DEFAULT = 0
MESSAGE_REPLY = 19
MESSAGE_CHAT_INPUT_COMMAND = 20
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

#: What Discord reports as app_permissions in a DM with the bot (ATTACH_FILES | EMBED_LINKS |
#: MENTION_EVERYONE | USE_EXTERNAL_EMOJIS plus the basics).
DM_APP_PERMISSIONS = "1126455617"
#: Default per-attachment upload limit (10 MiB).  discord.py 2.7 *requires* this key.
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


# --------------------------------------------------------------------------- messages


def message_payload(
    message_id: str,
    channel_id: str,
    author: JSON,
    content: str = "",
    *,
    embeds: Sequence[JSON] = (),
    components: Sequence[JSON] = (),
    attachments: Sequence[JSON] = (),
    flags: int = 0,
    message_type: int = 0,
    webhook_id: str | None = None,
    application_id: str | None = None,
    interaction_metadata: JSON | None = None,
    message_reference: JSON | None = None,
    tts: bool = False,
    nonce: str | int | None = None,
) -> JSON:
    """A message object as REST returns it (no guild_id/member; the gateway adds those)."""
    data: JSON = {
        "id": str(message_id),
        "type": message_type,
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso_timestamp(snowflake_time(message_id)),
        "edited_timestamp": None,
        "tts": tts,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": list(attachments),
        "embeds": list(embeds),
        "reactions": [],
        "pinned": False,
        "flags": flags,
        "components": list(components),
        "position": 0,
    }
    if nonce is not None:
        data["nonce"] = nonce
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if application_id is not None:
        data["application_id"] = str(application_id)
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    if message_reference is not None:
        data["message_reference"] = message_reference
    return data


def button_component(
    custom_id: str, label: str = "Button", *, style: int = 1, disabled: bool = False
) -> JSON:
    """A button (component type 2)."""
    return {
        "type": COMPONENT_BUTTON,
        "id": 2,
        "style": style,
        "label": label,
        "custom_id": custom_id,
        "disabled": disabled,
    }


def action_row(*components: JSON) -> JSON:
    """An action row (component type 1) around ``components``."""
    return {"type": COMPONENT_ACTION_ROW, "id": 1, "components": list(components)}


# --------------------------------------------------------------------------- interactions


def option(
    name: str, value: Any, option_type: int = OPTION_STRING, *, focused: bool = False
) -> JSON:
    """A leaf application-command interaction option; ``focused`` marks the autocomplete target."""
    data: JSON = {"name": name, "type": option_type, "value": value}
    if focused:
        data["focused"] = True
    return data


def subcommand(name: str, options: Sequence[JSON] = ()) -> JSON:
    """A subcommand option (type 1) carrying its own ``options``."""
    return {"name": name, "type": OPTION_SUB_COMMAND, "options": list(options)}


def subcommand_group(name: str, subcommands: Sequence[JSON]) -> JSON:
    """A subcommand-group option (type 2) carrying subcommands."""
    return {"name": name, "type": OPTION_SUB_COMMAND_GROUP, "options": list(subcommands)}


def text_input_row(custom_id: str, value: str, *, component_id: int = 2) -> JSON:
    """Modal-submit data for a text input wrapped in an action row (the classic layout)."""
    return {
        "type": COMPONENT_ACTION_ROW,
        "id": component_id - 1,
        "components": [
            {
                "type": COMPONENT_TEXT_INPUT,
                "id": component_id,
                "custom_id": custom_id,
                "value": value,
            }
        ],
    }


def text_input_label(custom_id: str, value: str, *, component_id: int = 2) -> JSON:
    """Modal-submit data for a text input wrapped in a Label (component type 18, the newer layout)."""
    return {
        "type": COMPONENT_LABEL,
        "id": component_id - 1,
        "component": {
            "type": COMPONENT_TEXT_INPUT,
            "id": component_id,
            "custom_id": custom_id,
            "value": value,
        },
    }


def modal_submit_components(
    modal_components: Sequence[Mapping[str, Any]], values: Mapping[str, str]
) -> list[JSON]:
    """Mirror a modal (as the bot sent it in a type-9 callback) into the components a submit carries.

    Each text input found under an action row or label gets ``values[custom_id]`` (default "").
    Keeping the bot's own layout matters: discord.py walks rows (type 1) and labels (type 18).
    """
    submitted: list[JSON] = []
    next_id = itertools.count(1)
    for comp in modal_components:
        kind = comp.get("type")
        if kind == COMPONENT_ACTION_ROW:
            inner = [
                {
                    "type": c["type"],
                    "id": next(next_id),
                    "custom_id": c.get("custom_id"),
                    "value": values.get(c.get("custom_id", ""), ""),
                }
                for c in comp.get("components", [])
            ]
            submitted.append(
                {"type": COMPONENT_ACTION_ROW, "id": next(next_id), "components": inner}
            )
        elif kind == COMPONENT_LABEL:
            c = comp["component"]
            inner = {"type": c["type"], "id": next(next_id), "custom_id": c.get("custom_id")}
            value = values.get(c.get("custom_id", ""), "")
            if c["type"] == COMPONENT_TEXT_INPUT:
                inner["value"] = value
            else:  # a select menu in a label sends the values chosen (ids, for user selects)
                inner["values"] = [value] if value else []
            submitted.append({"type": COMPONENT_LABEL, "id": next(next_id), "component": inner})
        else:
            # Text displays and other static components come back with just their type and id.
            submitted.append({"type": kind, "id": next(next_id)})
    return submitted


def partial_channel(channel: Mapping[str, Any]) -> JSON:
    """The partial channel object embedded as ``interaction.channel``."""
    keys = (
        "id",
        "type",
        "name",
        "guild_id",
        "parent_id",
        "position",
        "topic",
        "nsfw",
        "flags",
        "last_message_id",
        "rate_limit_per_user",
        "permissions",
        "recipients",
        "thread_metadata",
        "owner_id",
        "member_count",
        "message_count",
        "total_message_sent",
    )
    data = {k: channel[k] for k in keys if k in channel}
    data.setdefault("permissions", DEFAULT_PERMISSIONS)
    return data


def interaction_payload(
    interaction_type: int,
    data: JSON | None,
    *,
    app_id: str,
    user: JSON,
    channel: Mapping[str, Any],
    guild_id: str | None = None,
    member_roles: Iterable[str] = (),
    member_permissions: str = DEFAULT_PERMISSIONS,
    member_joined_at: str | None = None,
    app_permissions: str | None = None,
    message: JSON | None = None,
    locale: str = "en-US",
    guild_locale: str = "en-US",
    interaction_id: str | None = None,
    token: str | None = None,
    entitlements: Sequence[JSON] = (),
) -> JSON:
    """An INTERACTION_CREATE ``d``: guild invocations carry ``member``, DMs carry ``user``.

    ``context`` and ``authorizing_integration_owners`` follow the docs for a guild-installed app:
    GUILD -> {"0": guild_id}; bot DM -> {"0": "0"}.
    """
    interaction_id = interaction_id or snowflake()
    payload: JSON = {
        "id": interaction_id,
        "application_id": str(app_id),
        "type": interaction_type,
        "token": token or f"aW50ZXJhY3Rpb246{interaction_id}:fake-token",
        "version": 1,
        "channel": partial_channel(channel),
        "channel_id": str(channel["id"]),
        "locale": locale,
        "entitlements": list(entitlements),
        "entitlement_sku_ids": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if data is not None:
        payload["data"] = data
    if guild_id is not None:
        payload.update(
            {
                "guild_id": str(guild_id),
                "guild": {"id": str(guild_id), "locale": guild_locale, "features": []},
                "guild_locale": guild_locale,
                "member": member_payload(
                    user,
                    roles=member_roles,
                    joined_at=member_joined_at,
                    permissions=member_permissions,
                ),
                "app_permissions": app_permissions or DEFAULT_PERMISSIONS,
                "context": CONTEXT_GUILD,
                "authorizing_integration_owners": {"0": str(guild_id)},
            }
        )
    else:
        payload.update(
            {
                "user": user,
                "app_permissions": app_permissions or DM_APP_PERMISSIONS,
                "context": CONTEXT_BOT_DM,
                "authorizing_integration_owners": {"0": "0"},
            }
        )
    if message is not None:
        payload["message"] = message
    return payload


def application_command_data(
    name: str,
    command_id: str,
    *,
    options: Sequence[JSON] = (),
    command_guild_id: str | None = None,
    resolved: JSON | None = None,
    command_type: int = 1,
) -> JSON:
    """``data`` of an APPLICATION_COMMAND / AUTOCOMPLETE interaction.

    ``command_guild_id`` is the guild the *command is registered in* (guild commands only);
    discord.py's CommandTree uses it to pick guild vs global commands.
    """
    data: JSON = {"id": str(command_id), "name": name, "type": command_type}
    if options:
        data["options"] = list(options)
    if command_guild_id is not None:
        data["guild_id"] = str(command_guild_id)
    if resolved is not None:
        data["resolved"] = resolved
    return data


def component_data(
    custom_id: str, *, component_type: int = COMPONENT_BUTTON, values: Sequence[str] | None = None
) -> JSON:
    """``data`` of a MESSAGE_COMPONENT interaction (button by default; pass ``values`` for selects)."""
    data: JSON = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        data["values"] = list(values)
    return data


def modal_submit_data(custom_id: str, components: Sequence[JSON]) -> JSON:
    """``data`` of a MODAL_SUBMIT interaction."""
    return {"custom_id": custom_id, "components": list(components)}


def interaction_callback_response(
    interaction: Mapping[str, Any], callback_type: int, *, message: JSON | None = None
) -> JSON:
    """Body of ``POST /interactions/{id}/{token}/callback?with_response=true``.

    discord.py 2.7 always asks ``with_response`` and parses ``interaction`` unconditionally.
    """
    flags = (message or {}).get("flags") or 0
    body: JSON = {
        "interaction": {
            "id": str(interaction["id"]),
            "type": interaction["type"],
            "response_message_loading": callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(flags & FLAG_EPHEMERAL),
        }
    }
    if message is not None:
        body["interaction"]["response_message_id"] = message["id"]
    body["resource"] = {"type": callback_type}
    if message is not None and callback_type in (CALLBACK_CHANNEL_MESSAGE, CALLBACK_UPDATE_MESSAGE):
        body["resource"]["message"] = message
    return body
