"""Free text people type: cleaned of control characters and kept within a chat message."""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidInput

MAX_TEXT = 4000


def clean_text(text: str) -> str:
    """Text without control characters (a NUL cannot even be stored in PostgreSQL)."""
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")


def check_text(text: str, what: str) -> str:
    """Free text without control characters, refused when longer than a chat message."""
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"{what} can be at most {MAX_TEXT} characters (this one has {len(text)})."
        )
    return clean_text(text).strip()
