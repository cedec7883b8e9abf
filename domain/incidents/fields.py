"""An incident's fields as people type them: its number, title, service and levels."""

from __future__ import annotations

from domain.context import DeskContext
from domain.errors import InvalidInput, NotFound
from domain.keys import parse_number
from domain.policy import LEVELS, Service
from domain.text import clean_text

MAX_TITLE = 200


def parse_key(key: str) -> int:
    """Turn 'INC-42', 'inc-42', '#42' or '42' into 42, or explain the expected form."""
    return parse_number(key, "INC", "incident")


def clean_title(title: str, noun: str = "An incident") -> str:
    """A title on one line, not empty and not too long."""
    title = " ".join(clean_text(title).split())
    if not title:
        raise InvalidInput(f"{noun} needs a title: say in a few words what is wrong.")
    if len(title) > MAX_TITLE:
        raise InvalidInput(
            f"A title can be at most {MAX_TITLE} characters (this one has {len(title)}); "
            "put the details in --description."
        )
    return title


def find_service(ctx: DeskContext, name: str, category: str | None = None) -> Service:
    """The named service, checking that the category (if any) is one of its own."""
    found = ctx.policy.services.get(name.lower())
    if found is None:
        known = ", ".join(sorted(ctx.policy.services)) or "none configured"
        raise NotFound(f"There is no service '{name[:40]}'. Known services: {known}.")
    if category is not None and found.categories and category not in found.categories:
        raise InvalidInput(
            f"'{category[:40]}' is not a category of {found.name}; "
            f"choose one of: {', '.join(found.categories)}."
        )
    return found


def check_level(value: str, what: str) -> str:
    """An impact or urgency: high, medium or low."""
    level = value.strip().lower()
    if level not in LEVELS:
        raise InvalidInput(f"{what.capitalize()} must be high, medium or low, not '{value[:40]}'.")
    return level
