"""Subjects' keys as people type them: INC-42, PRB-7, KE-3 (or inc-42, #42, 42)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import InvalidInput, NotFound

T = TypeVar("T")


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


def load(
    session: Session,
    model: type[T],
    key: str | int,
    prefix: str,
    noun: str,
    *,
    for_update: bool = False,
) -> T:
    """A subject by its number or key ("PRB-7"), locked when `for_update`; NotFound names it."""
    number = key if isinstance(key, int) else parse_number(key, prefix, noun)
    query: Any = select(model).where(model.id == number)  # type: ignore[attr-defined]
    if for_update:
        query = query.with_for_update()
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"There is no {noun} {prefix}-{number}.")
    return found


def _article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
