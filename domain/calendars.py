"""Wall-clock windows and business calendars as UTC intervals — pure arithmetic.

A `Window` is local hours on some weekdays in a zone (see `domain.oncall_settings`). Local
times are turned into instants by `local_instant`: a wall-clock time skipped by a
daylight-saving change (02:30 on a spring-forward night) becomes the first instant after
the gap (03:00 local); a repeated one (fall back) is its first occurrence. So a window
09:00–17:00 is always 09:00 to 17:00 on the clock on the wall, whatever its length in
elapsed time, and a night window 22:00–06:00 is an hour shorter or longer across a change.

A `Calendar` is windows minus holidays; a holiday is a whole local day (midnight to
midnight in the calendar's zone) without business hours, even for a window that started
the evening before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.oncall_settings import Calendar, Window

Interval = tuple[datetime, datetime]

_DAY = timedelta(days=1)
_SEARCH_LIMIT = timedelta(days=366)  # a calendar with no business hours in a year is broken


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in `zone` (gaps → their end, folds → first)."""
    local = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first of a repeated time
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # The wall time does not exist: the change happened between the two readings of it
    # (with the offset after the change, and with the one before). Find the change.
    lo = int(local.replace(fold=1).timestamp())  # still before the change (whole seconds)
    hi = int(instant.timestamp())  # already after it
    before = datetime.fromtimestamp(lo, zone).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}: times must be timezone-aware")
    return at.astimezone(UTC)


def _window_on(window: Window, day: date, zone: ZoneInfo) -> Interval:
    """The instants of `window` starting on `day` (which must be one of its days)."""
    end_day = day + _DAY if window.end <= window.start else day
    return local_instant(day, window.start, zone), local_instant(end_day, window.end, zone)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def window_intervals(
    windows: Sequence[Window], zone: str, start: datetime, end: datetime
) -> list[Interval]:
    """UTC intervals within [start, end) covered by any of the windows (merged, sorted)."""
    start, end = _utc(start), _utc(end)
    if end <= start or not windows:
        return []
    tz = ZoneInfo(zone)
    # A window lasts at most a day, so one starting the local day before can reach `start`.
    day = start.astimezone(tz).date() - _DAY
    last = end.astimezone(tz).date()
    found: list[Interval] = []
    while day <= last:
        weekday = day.weekday()
        for window in windows:
            if weekday in window.days:
                a, b = _window_on(window, day, tz)
                a, b = max(a, start), min(b, end)
                if a < b:
                    found.append((a, b))
        day += _DAY
    return _merge(found)


def in_windows(windows: Sequence[Window], zone: str, at: datetime) -> bool:
    """Whether the instant `at` falls inside any of the windows."""
    at = _utc(at)
    return bool(window_intervals(windows, zone, at, at + timedelta(microseconds=1)))


def _holiday_spans(calendar: Calendar, start: datetime, end: datetime) -> list[Interval]:
    tz = ZoneInfo(calendar.zone)
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    return [
        (local_instant(day, time(0), tz), local_instant(day + _DAY, time(0), tz))
        for day in sorted(calendar.holidays)
        if first <= day <= last
    ]


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    """`intervals` minus `holes` (both sorted, merged)."""
    if not holes:
        return intervals
    out: list[Interval] = []
    for start, end in intervals:
        for hole_start, hole_end in holes:
            if hole_end <= start or hole_start >= end:
                continue
            if hole_start > start:
                out.append((start, hole_start))
            start = max(start, hole_end)
            if start >= end:
                break
        if start < end:
            out.append((start, end))
    return out


def business_intervals(calendar: Calendar, start: datetime, end: datetime) -> list[Interval]:
    """The calendar's business hours within [start, end) as sorted UTC intervals."""
    start, end = _utc(start), _utc(end)
    hours = window_intervals(calendar.windows, calendar.zone, start, end)
    return _subtract(hours, _holiday_spans(calendar, start, end))


def is_business(calendar: Calendar, at: datetime) -> bool:
    """Whether `at` is within the calendar's business hours."""
    at = _utc(at)
    return bool(business_intervals(calendar, at, at + timedelta(microseconds=1)))


def _walk(calendar: Calendar, start: datetime) -> Iterator[Interval]:
    """Business intervals from `start` onwards, a week at a time; stops after a year of none."""
    chunk = timedelta(days=7)
    idle = timedelta(0)
    while True:
        found = business_intervals(calendar, start, start + chunk)
        if found:
            idle = timedelta(0)
            yield from found
        else:
            idle += chunk
            if idle > _SEARCH_LIMIT:
                raise ValueError(f"calendar {calendar.name!r} has no business hours in a year")
        start += chunk


def add_business(calendar: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which `duration` of business time has passed since `start`.

    Outside hours the count begins at the next opening; a duration that runs out exactly
    at a closing gives the closing, not the next opening. A zero duration gives `start`.
    """
    start = _utc(start)
    if duration < timedelta(0):
        raise ValueError("add_business needs a duration >= 0")
    if duration == timedelta(0):
        return start
    left = duration
    for a, b in _walk(calendar, start):
        if b - a >= left:
            return a + left
        left -= b - a
    raise AssertionError("unreachable: _walk never ends without raising")


def business_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Business time in [start, end); negative (minus the reverse) when end < start."""
    start, end = _utc(start), _utc(end)
    if end < start:
        return -business_between(calendar, end, start)
    return sum((b - a for a, b in business_intervals(calendar, start, end)), timedelta(0))
