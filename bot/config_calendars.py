"""Calendars and weekly hours in deskbot.yaml: the `calendars:` section (business hours
for SLA clocks) and the `hours:` syntax it shares with on-call layers, read into the
Windows of domain/oncall_settings.py."""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.oncall_settings import WEEKDAYS, Calendar, Window

if TYPE_CHECKING:
    from bot.config import _Checker

CALENDAR_KEYS = ("zone", "hours", "holidays")
FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
SPAN = re.compile(r"^\s*(\S+?)\s*[-–]\s*(\S+)\s*$")  # 09:00-17:30, 09:00 – 17:30
HOURS_EXAMPLE = '{mon-fri: "09:00-17:30"}'


def check_calendars(checker: _Checker, section: dict) -> dict[str, Calendar]:
    """The `calendars:` section (already read as `section`): name → Calendar."""
    result = {}
    for name, spec in section.items():
        path = ("calendars", name)
        if not checker.name_ok(path, name, "calendar"):
            continue
        if not isinstance(spec, dict):
            checker.problem(path, f"calendar '{name}' is a mapping (zone, hours, holidays)")
            continue
        checker.unknown_keys(spec, path, CALENDAR_KEYS, f" in calendar '{name}'")
        zone = check_zone(checker, spec, path, "UTC")
        windows = None
        if "hours" in spec:
            windows = check_hours(checker, spec, path)
        else:
            checker.problem(path, f"calendar '{name}' needs hours, e.g. hours: {HOURS_EXAMPLE}")
        holidays = _holidays(checker, spec, path)
        if zone and windows and holidays is not None:
            result[name] = Calendar(name, zone, windows, holidays)
    return result


def _holidays(checker: _Checker, spec: dict, path: tuple) -> frozenset[date] | None:
    raw = spec.get("holidays") or []
    if not isinstance(raw, list):
        checker.problem(path + ("holidays",), "holidays is a list of dates: [2026-12-25]")
        return None
    days: set[date] = set()
    for i, value in enumerate(raw):
        day = value if isinstance(value, date) and not isinstance(value, datetime) else None
        if isinstance(value, str):
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                day = None
        if day is None:
            checker.problem(
                path + ("holidays", i), f"holiday '{value}' is not a date as YYYY-MM-DD"
            )
            return None
        days.add(day)
    return frozenset(days)


def check_hours(checker: _Checker, spec: dict, path: tuple) -> tuple[Window, ...] | None:
    """`hours:` of `spec` (a calendar or a layer) → windows; None if any cannot be read."""
    raw = spec.get("hours")
    path = path + ("hours",)
    if not isinstance(raw, dict) or not raw:
        checker.problem(path, f"hours map days to times, e.g. {HOURS_EXAMPLE}")
        return None
    result = []
    readable = True
    for key, value in raw.items():
        here = path + (key,)
        days = _days(str(key))
        if days is None:
            readable = False
            checker.problem(
                here,
                f"'{key}' is not a day (mon), a range of days (mon-fri) or a list (sat,sun)",
            )
        if value is None or value == []:
            readable = False
            # YAML reads {sat,sun: "00:00-00:00"} as sat: (nothing), sun: "00:00-00:00".
            checker.problem(
                here,
                f"no hours for '{key}' (within {{braces}}, a comma separates keys: "
                'write "sat,sun" in quotes there)',
            )
            continue
        spans = [(here + (i,), v) for i, v in enumerate(value)] if isinstance(value, list) else []
        for where, text in spans or [(here, value)]:
            span = _span(checker, where, text)
            if span is None:
                readable = False
            elif days is not None:
                result.append(Window(days, *span))
    return tuple(result) if readable else None


def _days(text: str) -> frozenset[int] | None:
    """A day key (mon, mon-fri, fri-mon, sat,sun or daily) → weekdays, 0 = Monday."""
    text = text.strip().lower()
    if text == "daily":
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        ends = [_day(end) for end in part.split("-")]
        if not 1 <= len(ends) <= 2 or None in ends:
            return None
        first, last = ends[0], ends[-1]
        assert first is not None and last is not None
        days.update((first + n) % 7 for n in range((last - first) % 7 + 1))
    return frozenset(days)


def _day(name: str) -> int | None:
    name = name.strip()
    if name in WEEKDAYS:
        return WEEKDAYS.index(name)
    return FULL_DAYS.index(name) if name in FULL_DAYS else None


def _span(checker: _Checker, path: tuple, text: Any) -> tuple[time, time] | None:
    example = '"09:00-17:30", or "22:00-06:00" past midnight, "00:00-24:00" the whole day'
    match = SPAN.match(text) if isinstance(text, str) else None
    start = _clock(match[1]) if match else None
    end = (time(0) if match[2] == "24:00" else _clock(match[2])) if match else None
    if start is None or end is None:
        checker.problem(path, f"'{text}' is not hours as HH:MM-HH:MM: {example}")
        return None
    if start == end and start != time(0):
        checker.problem(path, f"'{text}' starts and ends at the same time: {example}")
        return None
    return start, end


def _clock(text: str) -> time | None:
    match = CLOCK.match(text)
    return time(int(match[1]), int(match[2])) if match else None


def check_zone(checker: _Checker, spec: dict, path: tuple, default: str) -> str | None:
    name = str(spec.get("zone", default)).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(name, available_timezones())
        checker.problem(
            path + ("zone",), f"unknown time zone '{name}'{hint} (an IANA name: Europe/London)"
        )
        return None
    return name


def did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" — did you mean '{close[0]}'?" if close else ""
