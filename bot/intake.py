"""Turning what someone wrote to the bot in their own words into an incident's fields."""

from __future__ import annotations

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
