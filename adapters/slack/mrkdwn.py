"""Slack's text escaping: user-written words must never turn into mentions or links."""

from __future__ import annotations

import html
import re
from typing import Any

# <@U123>, <#C123|name>, <!here>, <https://x|label>: Slack's markup inside message text.
_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


# "@here" and friends as plain words: Slack reads them as a channel-wide mention wherever
# it parses text itself (mrkdwn that is not verbatim, link_names). Not inside an address.
_BROADCAST = re.compile(r"(?<![\w@.])@(?=(?:here|channel|everyone|group)\b)", re.IGNORECASE)
WORD_JOINER = "\u2060"  # invisible: "@here" still reads as typed, but is no mention


def escape(text: str) -> str:
    """Text someone typed, safe in any Slack message: never markup, never a mention.

    &, < and > are escaped as Slack requires (so "<!channel>" stays text), and a bare
    "@here", "@channel", "@everyone" or "@group" gets an invisible word joiner after the @.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@" + WORD_JOINER, text)


def escape_all(value: Any) -> Any:
    """Escape every string inside a notification context (dicts and lists included)."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {key: escape_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [escape_all(item) for item in value]
    return value


def plain(text: str) -> str:
    """Slack message text as a person would read it: markup resolved, entities decoded."""

    def readable(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if label:
            return label
        if target.startswith(("@", "#")):
            return target
        if target.startswith("!"):
            return "@" + target[1:]
        return target

    return html.unescape(_MARKUP.sub(readable, text))


def chunks(text: str, size: int = 2900) -> list[str]:
    """Split text into pieces Block Kit accepts (a text object holds at most 3000 characters)."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > 0 else size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return pieces


_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def command_text(text: str) -> str:
    """Slash command text as the grammar expects it: <@U…> mentions kept, other markup resolved."""
    mentions: list[str] = []

    def keep(match: re.Match[str]) -> str:
        mentions.append(f"<@{match.group(1)}>")
        return f"\x00{len(mentions) - 1}\x00"

    # Mentions survive as <@U…> so `/incident assign INC-1 @bob` resolves bob by Slack id.
    text = plain(_USER_MENTION.sub(keep, text))
    return re.sub(r"\x00(\d+)\x00", lambda m: mentions[int(m.group(1))], text)
