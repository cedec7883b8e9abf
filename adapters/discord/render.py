"""Outbox notifications as Discord messages: embeds from bot/templates/discord, else text.

A Discord template renders JSON: {"content": "…", "embeds": [embed, …]} (either may be left
out). Free text written by people is escaped so their asterisks stay asterisks, and no text
from the context can mention anyone: only the `mention` filter writes <@id>, and the sender
lets exactly those users be pinged (see people.Mentioner).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

from bot.outbox import OutboundMessage
from bot.templates import card_template, has_template, render

LIMIT = 2000  # characters in a message's content
FREE_TEXT = (
    "title",
    "comment",
    "description",
    "resolution",
    "hold_reason",
    "note",
    "reason",
    "change",
    "changes",
)


@dataclass(frozen=True)
class Body:
    """What goes into a message: text, embeds, or both."""

    content: str | None
    embeds: list[discord.Embed]


# What Discord reads as a mention: @everyone, @here, <@user>, <@!user>, <@&role>.
MENTION = re.compile(r"@(?=everyone|here|[!&]?\d)")
NO_MENTION = "@\u200b"  # a zero-width space after the @: shown the same, never a mention


def escape_mentions(text: str) -> str:
    """Text that mentions nobody however it is sent (it still reads the same)."""
    return MENTION.sub(NO_MENTION, text)


def escaped(context: dict[str, Any]) -> dict[str, Any]:
    """The context with people's free text escaped for Discord markdown, and every text in it
    (free text, names, anything nested) unable to mention anyone."""
    return {k: _clean(k, v) for k, v in context.items()}


def body(message: OutboundMessage, mention: Callable[[str], str]) -> Body:
    """The message for a notification: its Discord template if there is one, else its text."""
    context = escaped(message.context)
    if has_template(message.kind, "discord"):
        data = json.loads(render(message.kind, "discord", mention=mention, **context))
        content = data.get("content") or None
        return Body(clip(content) if content else None, _embeds(data))
    return Body(clip(render(message.kind, "text", mention=mention, **context)), [])


def card(
    subject_type: str, role: str, subject: dict[str, Any], mention: Callable[[str], str]
) -> discord.Embed:
    """A subject's card as an embed (the same template its first post used):
    bot/templates/discord/<process>/<subject_type>_<role>.j2."""
    context = escaped({subject_type: subject})
    name = card_template(subject_type, role)
    return discord.Embed.from_dict(json.loads(render(name, "discord", mention=mention, **context)))


def update_text(message: OutboundMessage, mention: Callable[[str], str]) -> str:
    """The line written in the card's thread for a notification that updates the card."""
    return clip(render(message.kind, "text", mention=mention, **escaped(message.context)))


def chunks(text: str, limit: int = LIMIT) -> list[str]:
    """Split text into messages of at most `limit` characters, at line ends where possible."""
    parts: list[str] = []
    current = ""
    for line in (text or "…").splitlines(keepends=True):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            parts.append(current)
            current = ""
        current += line
    if current.strip() or not parts:
        parts.append(current)
    return [p.rstrip("\n") or "…" for p in parts]


def _embeds(data: dict[str, Any]) -> list[discord.Embed]:
    return [discord.Embed.from_dict(e) for e in data.get("embeds") or []][:10]


def clip(text: str) -> str:
    """Text cut to fit one message."""
    return text if len(text) <= LIMIT else text[: LIMIT - 1] + "…"


def _clean(key: str, value: Any) -> Any:
    if isinstance(value, str):
        text = discord.utils.escape_markdown(value) if key in FREE_TEXT else value
        return escape_mentions(text)
    if isinstance(value, dict):
        return {k: _clean(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(key, v) for v in value]
    return value
