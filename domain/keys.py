"""Subjects' keys as people type them: INC-42, PRB-7, KE-3 (or inc-42, #42, 42)."""

from __future__ import annotations

from domain.errors import InvalidInput, NotFound


def parse_number(key: str, prefix: str, noun: str) -> int:
    """Turn 'PRB-7', 'prb-7', '#7' or '7' into 7, or explain the expected form."""
    text = key.strip().upper().removeprefix("#").removeprefix(f"{prefix}-").removeprefix(prefix)
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(
            f"'{key[:40]}' is not {_article(noun)} number; use the form {prefix}-42."
        )
    if len(text) > 9:  # beyond any real desk, and beyond PostgreSQL's integer column
        shown = text if len(text) <= 20 else f"{text[:12]}… ({len(text)} digits)"
        raise NotFound(f"There is no {noun} {prefix}-{shown}.")
    return int(text)


def _article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
