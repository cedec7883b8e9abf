"""Times as people type them in an override: in the schedule's zone unless they give an
offset. `now`, `+2h`, `09:00`, `tomorrow 09:00`, `fri 18:00`, `2026-12-24 18:00`,
`2026-12-24T18:00+01:00`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.clock import parse_duration
from domain.errors import InvalidInput
from domain.oncall_settings import WEEKDAYS

CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
EXAMPLES = "now, +2h, 18:00, tomorrow 09:00, fri 18:00 or 2026-12-24 18:00"


def parse_when(text: str, zone: str, now: datetime, *, base: datetime | None = None) -> datetime:
    """The instant `text` names (UTC); `+2h` counts from `base` (else now)."""
    try:
        found = _parse(text, zone, now, base)
    except (OverflowError, ValueError):  # year 1 with an offset, +2h on year 9999…
        raise InvalidInput(f"'{text[:40]}' is not a time I can use: {EXAMPLES}.") from None
    if abs(found - now) > timedelta(days=3660):
        raise InvalidInput(f"'{text[:40]}' is more than ten years away: {EXAMPLES}.")
    return found


def _parse(text: str, zone: str, now: datetime, base: datetime | None) -> datetime:
    words = " ".join(text.strip().lower().split())
    if not words:
        raise InvalidInput(f"Say when: {EXAMPLES}.")
    if words == "now":
        return now
    if words.startswith("+"):
        length = parse_duration(words[1:])
        if length is None:
            raise InvalidInput(f"'{text[:40]}' is not a time: {EXAMPLES}.")
        return (base or now) + length
    tz = ZoneInfo(zone)
    local_now = now.astimezone(tz)
    try:
        found = datetime.fromisoformat(words.upper().replace(" ", "T", 1))
    except ValueError:
        found = None
    if found is not None:
        if found.tzinfo is None:
            found = _local(found, tz)
        return found.astimezone(UTC)
    day_word, _, clock = words.rpartition(" ")
    at = _clock(clock)
    if at is None:
        raise InvalidInput(f"'{text[:40]}' is not a time: {EXAMPLES}.")
    day = local_now.date()
    if day_word == "tomorrow":
        day += timedelta(days=1)
    elif day_word[:3] in WEEKDAYS and day_word:
        ahead = (WEEKDAYS.index(day_word[:3]) - day.weekday()) % 7
        day += timedelta(days=ahead)
    elif day_word not in ("", "today"):
        raise InvalidInput(f"'{text[:40]}' is not a time: {EXAMPLES}.")
    instant = _local(datetime.combine(day, at), tz)
    if day_word == "" and instant < local_now:  # "09:00" in the evening means tomorrow's
        instant = _local(datetime.combine(day + timedelta(days=1), at), tz)
    if day_word[:3] in WEEKDAYS and instant < local_now:
        instant = _local(datetime.combine(day + timedelta(days=7), at), tz)
    return instant.astimezone(UTC)


def is_clock(text: str) -> bool:
    """Whether `text` is a time of day (18:00)."""
    return _clock(text) is not None


def wants_clock(text: str) -> bool:
    """Whether `text` names a day that a time of day may follow (fri, tomorrow, a date)."""
    word = text.strip().lower()
    if word in ("today", "tomorrow") or (
        len(word) >= 3 and word[:3] in WEEKDAYS and word.isalpha()
    ):
        return True
    try:
        return len(word) == 10 and date.fromisoformat(word) is not None
    except ValueError:
        return False


def _clock(text: str) -> time | None:
    match = CLOCK.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return time(int(match[1]), int(match[2]))


def _local(naive: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time in `tz`; one skipped by a spring-forward change moves past it."""
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz)
    if back.replace(tzinfo=None) != naive:
        return back  # did not exist: zoneinfo's fold=0 reading lands after the gap
    return aware
