"""Turning what someone wrote to the bot in their own words into an incident's fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.grammar import nearest

TITLE_LENGTH = 100  # a card's headline; the whole message goes in the description


def title_and_details(text: str) -> tuple[str, str]:
    """(title, description): the first line cut at a word, and all of it when there is more.

    The title is taken literally: adapters pass it through grammar.build_argv.
    """
    first = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    if len(first) > TITLE_LENGTH:
        first = first[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    title = first or "Help needed"
    return title, (text.strip() if " ".join(text.split()) != title else "")


HELP_WORDS = frozenset({"help", "?", "commands", "what can you do", "what can you do?"})
YES_WORDS = frozenset({"yes", "y", "yes please", "ok", "okay", "sure", "open", "open it"})
NO_WORDS = frozenset({"no", "n", "no thanks", "no, thanks", "cancel", "never mind"})


@dataclass(frozen=True)
class Understood:
    """What a line typed without a leading slash means.

    `kind` is "help" (asked what the desk can do), "command" (a command without its
    slash: `line` is it with the slash), "yes" / "no" (an answer to an offer), or
    "words" (someone describing a problem: offer to open an incident for it).
    """

    kind: str
    line: str = ""


def understand(text: str, commands: Mapping[str, Any]) -> Understood:
    """Read a line in the person's own words; `commands` maps the desk's command names to
    their definitions (each with `subcommands`)."""
    plain = " ".join(text.split())
    lowered = plain.lower().rstrip(".!")
    if lowered in HELP_WORDS:
        return Understood("help")
    if lowered in YES_WORDS:
        return Understood("yes")
    if lowered in NO_WORDS:
        return Understood("no")
    words = lowered.split(" ", 2)
    command = commands.get(words[0])
    # "incident list" (or "incident lsit") is a command without its slash; "incident with
    # my laptop" is not. A typo runs too, so the grammar says what was probably meant.
    subcommands = [*command.subcommands, "help"] if command is not None else []
    if command is not None and (len(words) == 1 or nearest(words[1], subcommands)):
        return Understood("command", "/" + plain)
    return Understood("words", plain)
