"""Where the domain gets the time from, so tests can move it without sleeping."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

# At most 9 digits a part: a longer number is no duration anyone means (and int() of
# thousands of digits raises).
DURATION_PART = re.compile(r"(\d{1,9})\s*(w|d|h|m|s)")
UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
MAX_DURATION = 366 * 86400  # a year: beyond it a deadline is a typo, and dates overflow


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: for tests, demos and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by `delta` and return the new time."""
        self._now += delta
        return self._now


def format_duration(delta: timedelta) -> str:
    """Render a duration the way people say it: 1h 30m, 45m, 2d 3h."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes = seconds // 60
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return " ".join(p for p in parts if p)


def parse_duration(text: Any) -> timedelta | None:
    """'30m', '4h', '1h 30m', '2d' → timedelta; None when the text is not a duration."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        return None
    if isinstance(text, int):
        return timedelta(seconds=text) if 0 < text <= MAX_DURATION else None
    compact = text.strip().lower()
    parts = DURATION_PART.findall(compact)
    if not parts or DURATION_PART.sub("", compact).strip():
        return None
    total = sum(int(n) * UNITS[u] for n, u in parts)
    return timedelta(seconds=total) if 0 < total <= MAX_DURATION else None
