"""Turning what someone wrote to the bot in their own words into an incident's fields."""

from __future__ import annotations

import re
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
# "I forgot my password", "reset my password please", "password expired", "locked out".
PASSWORD = re.compile(
    r"\b(forgot|forgotten|reset|change|lost|expired|locked)\b.{0,40}\bpass ?word\b"
    r"|\bpass ?word\b.{0,40}\b(reset|forgot|forgotten|expired|locked|lost|"
    r"(does ?n[o']?t|won'?t|not) work)"
    r"|\blocked out\b",
    re.IGNORECASE,
)
CODE_LIKE = re.compile(r"(?<!\d)\d{6}(?!\d)")  # what a reset code looks like in a message


@dataclass(frozen=True)
class Understood:
    """What a line typed without a leading slash means.

    `kind` is "help" (asked what the desk can do), "command" (a command without its
    slash: `line` is it with the slash), "yes" / "no" (an answer to an offer), "password"
    (asks for a password reset: run /desk password), or "words" (someone describing a
    problem: offer to open an incident for it).
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
    if PASSWORD.search(plain):
        return Understood("password", "/desk password")
    words = lowered.split(" ", 2)
    command = commands.get(words[0])
    # "incident list" (or "incident lsit") is a command without its slash; "incident with
    # my laptop" is not. A typo runs too, so the grammar says what was probably meant.
    subcommands = [*command.subcommands, "help"] if command is not None else []
    if command is not None and (len(words) == 1 or nearest(words[1], subcommands)):
        return Understood("command", "/" + plain)
    return Understood("words", plain)


def needs_screening(text: str) -> bool:
    """Whether a DM must be looked at more closely: it may carry a reset code, or asks for a
    password reset (every other DM costs no look-up of who sent it)."""
    return bool(CODE_LIKE.search(text) or PASSWORD.search(text))


def screen(dispatcher, identity, text: str) -> str | None:
    """A DM that carries a live password-reset code voids that reset: the warning to give
    (None for every other message, which costs no query)."""
    if not CODE_LIKE.search(text):
        return None
    from domain import requests  # only DMs with six digits in a row get this far

    name = dispatcher.actor(identity).name
    with dispatcher.unit_of_work() as ctx:
        return requests.screen_chat_message(ctx, name, text)


# Words that say nothing about what is wanted ("I need a new …").
FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "need",
        "want",
        "would",
        "like",
        "please",
        "can",
        "could",
        "get",
        "have",
        "has",
        "for",
        "to",
        "of",
        "and",
        "or",
        "with",
        "new",
        "some",
        "is",
        "are",
        "be",
        "it",
        "this",
        "that",
        "on",
        "in",
        "at",
        "do",
        "does",
        "help",
    ]
)


# Someone asking for something ("I need…", "can I get…"), not reporting a fault.
ASKING = re.compile(
    r"\b(need|want|would like|'d like|request|order|get me|can i (get|have)|"
    r"could i (get|have)|looking for|join|add me|sign me up)\b",
    re.IGNORECASE,
)


def catalogue_items(policy, text: str, limit: int = 3) -> list:
    """The catalogue items a message in one's own words most likely asks for ("I need
    Visio" → software-licence): only when it asks for something ("my laptop won't boot"
    is a fault, not a wish), by shared words with each item's keywords, title and id,
    best first (the config's order between equals)."""
    if not ASKING.search(text):
        return []
    words = {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2} - FILLER
    scored = []
    for order, item in enumerate(policy.catalog.values()):
        vocabulary = {*item.keywords, *re.findall(r"[a-z0-9]+", f"{item.title} {item.id}".lower())}
        shared = len(words & (vocabulary - FILLER))
        if shared:
            scored.append((-shared, order, item))
    return [item for _, _, item in sorted(scored, key=lambda s: s[:2])[:limit]]


def access_resources(policy, text: str, limit: int = 2) -> list:
    """The access resources a message asking for something most likely means ("I need
    access to the production database" → prod-db), by shared words with each resource's
    name and description, best first."""
    if not ASKING.search(text):
        return []
    words = {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2} - FILLER
    scored = []
    for order, resource in enumerate(policy.access.resources.values()):
        vocabulary = set(
            re.findall(r"[a-z0-9]+", f"{resource.name} {resource.description}".lower())
        )
        shared = len(words & (vocabulary - FILLER))
        if shared:
            scored.append((-shared, order, resource))
    return [resource for _, _, resource in sorted(scored, key=lambda s: s[:2])[:limit]]


def catalogue_hint(policy, text: str) -> str | None:
    """A line offering the matching catalogue items and access resources before an
    incident, or None."""
    lines = []
    items = catalogue_items(policy, text)
    if items:
        shown = "; ".join(f"{item.title}: /request new {item.id}" for item in items)
        lines.append(f"If you are asking for something, the catalogue has it — {shown}.")
    resources = access_resources(policy, text)
    if resources:
        shown = "; ".join(
            f"{r.name}: /access request {r.name} --role {'|'.join(r.roles)} --for 4h REASON"
            for r in resources
        )
        lines.append(f"If you need access, ask its owners — {shown}.")
    return " ".join(lines) or None
