"""The on-call iCalendar feed: what a calendar client (here the `icalendar` parser) reads."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import icalendar

from bot.oncall_feed import feed_token, render_ics
from domain.schedules import Shift

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
MONDAY = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
NAMES = {"carol": "Carol Danvers", "erin": "Erin Example"}


def _shifts() -> dict[str, list[Shift]]:
    week = timedelta(weeks=1)
    return {
        "primary": [
            Shift("carol", MONDAY, MONDAY + week, "weekly"),
            Shift(None, MONDAY + week, MONDAY + week + timedelta(hours=3), None),  # a gap
            Shift("erin", MONDAY + week + timedelta(hours=3), MONDAY + 2 * week, None, 12),
        ],
        "secondary": [Shift("erin", MONDAY, MONDAY + week, "weekly")],
    }


def _events(text: str) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def test_feed_token_is_a_per_team_hmac() -> None:
    key = b"k" * 32
    token = feed_token(key, "network")
    assert token == feed_token(key, "network")
    assert len(token) == 32 and int(token, 16) >= 0
    expected = hmac.new(key, b"oncall-feed:network", hashlib.sha256).hexdigest()[:32]
    assert token == expected
    assert feed_token(key, "service-desk") != token
    assert feed_token(b"another key", "network") != token


def test_each_shift_with_a_person_is_an_event_in_utc() -> None:
    text = render_ics("network", "Network", _shifts(), NAMES, NOW)
    calendar = icalendar.Calendar.from_ical(text)
    assert str(calendar["X-WR-CALNAME"]) == "Network on call"
    assert str(calendar["VERSION"]) == "2.0"
    events = _events(text)
    assert [str(e["SUMMARY"]) for e in events] == [
        "On call: Carol Danvers (network primary)",
        "On call: Erin Example (network primary)",
        "On call: Erin Example (network secondary)",
    ]  # the gap has no event
    first = events[0]
    assert first.decoded("DTSTART") == MONDAY
    assert first.decoded("DTEND") == MONDAY + timedelta(weeks=1)
    assert first.decoded("DTSTART").utcoffset() == timedelta(0)
    assert first.decoded("DTSTAMP") == NOW
    assert "DTSTART:20260112T090000Z\r\n" in text
    assert str(events[1]["DESCRIPTION"]) == "Override OVR-12"
    assert str(first["DESCRIPTION"]) == "Rotation layer weekly"


def test_lines_end_in_crlf_and_people_unknown_to_names_show_by_handle() -> None:
    text = render_ics("network", "Network", {"primary": _shifts()["primary"]}, {}, NOW)
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "On call: carol (network primary)" in [str(e["SUMMARY"]) for e in _events(text)]


def test_commas_semicolons_and_backslashes_in_names_are_escaped() -> None:
    names = {"carol": "Danvers, Carol; \\ Ops", "erin": "Erin"}
    text = render_ics("network", "Net, Ops; EU", _shifts(), names, NOW)
    assert "SUMMARY:On call: Danvers\\, Carol\\; \\\\ Ops (network primary)\r\n" in text
    assert str(_events(text)[0]["SUMMARY"]) == "On call: Danvers, Carol; \\ Ops (network primary)"
    # Clients read X-WR-CALNAME as TEXT; the icalendar package keeps X- values raw.
    assert "\r\nX-WR-CALNAME:Net\\, Ops\\; EU on call\r\n" in text


def test_long_lines_are_folded_at_75_octets_without_splitting_characters() -> None:
    long_name = "Zoë Ångström-Ødegård " * 8  # multi-byte characters across the fold points
    text = render_ics("network", "Network", _shifts(), {"carol": long_name}, NOW)
    lines = text.split("\r\n")
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines)  # it was folded
    assert str(_events(text)[0]["SUMMARY"]) == f"On call: {long_name} (network primary)"


def test_uids_are_stable_across_renders_and_distinct_per_shift() -> None:
    first = [str(e["UID"]) for e in _events(render_ics("network", "N", _shifts(), NAMES, NOW))]
    later = NOW + timedelta(hours=5)
    again = [str(e["UID"]) for e in _events(render_ics("network", "N", _shifts(), NAMES, later))]
    assert first == again
    assert len(set(first)) == 3  # erin at the same start in two schedules: two UIDs
    swapped = {"primary": [Shift("erin", MONDAY, MONDAY + timedelta(weeks=1), "weekly")]}
    other = [str(e["UID"]) for e in _events(render_ics("network", "N", swapped, NAMES, NOW))]
    assert other[0] != first[0]  # another person at the same start
    elsewhere = render_ics("database", "N", _shifts(), NAMES, NOW)
    assert str(_events(elsewhere)[0]["UID"]) != first[0]  # another team


def test_an_empty_feed_is_still_a_calendar() -> None:
    calendar = icalendar.Calendar.from_ical(render_ics("network", "Network", {}, NAMES, NOW))
    assert list(calendar.walk("VEVENT")) == []
