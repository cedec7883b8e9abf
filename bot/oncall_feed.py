"""A team's on-call as an iCalendar feed (RFC 5545) for people's calendar clients.

The feed's URL carries a secret token per team (`feed_token`), an HMAC of the team's
name under the deployment's feed key, so a URL opens one team's feed and cannot be
guessed from another's. Events are in UTC, so no VTIMEZONE is needed: clients show them
in their own zone.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from domain.schedules import Shift

PRODID = "-//deskbot//on-call feed//EN"
_FOLD_AT = 75  # octets per line, CRLF excluded (RFC 5545 section 3.1)


def feed_token(key: bytes, team: str) -> str:
    """The secret in a team's feed URL: HMAC-SHA256 of the team name, 32 hex digits."""
    digest = hmac.new(key, b"oncall-feed:" + team.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:32]


def _text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 section 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """A content line folded at 75 octets, never inside a UTF-8 character."""
    raw = line.encode("utf-8")
    if len(raw) <= _FOLD_AT:
        return line
    parts: list[str] = []
    limit = _FOLD_AT
    while raw:
        cut = min(limit, len(raw))
        while cut < len(raw) and (raw[cut] & 0xC0) == 0x80:
            cut -= 1  # back off to the start of a multi-byte character
        parts.append(raw[:cut].decode("utf-8"))
        raw = raw[cut:]
        limit = _FOLD_AT - 1  # continuation lines begin with one space
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _uid(team: str, schedule: str, shift: Shift) -> str:
    """Stable per (team, schedule, start, person): a re-fetched feed updates, not duplicates."""
    key = "\x1f".join((team, schedule, _stamp(shift.start), shift.person or ""))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + "@oncall.deskbot"


def render_ics(
    team: str,
    display: str,
    shifts_by_schedule: dict[str, list[Shift]],
    names: dict[str, str],
    now: datetime,
) -> str:
    """The team's shifts as an iCalendar text: one event per shift with a person (gaps
    are left out), CRLF line endings, folded lines, escaped text."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(f'{display} on call')}",
        # A hint to clients that honour it: fetch again hourly (overrides change it).
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    stamp = _stamp(now)
    for schedule, pieces in shifts_by_schedule.items():
        for shift in pieces:
            if shift.person is None:
                continue
            name = names.get(shift.person, shift.person)
            made_by = (
                f"Override OVR-{shift.override}"
                if shift.override is not None
                else f"Rotation layer {shift.layer}"
            )
            lines += [
                "BEGIN:VEVENT",
                f"UID:{_uid(team, schedule, shift)}",
                f"DTSTAMP:{stamp}",
                f"DTSTART:{_stamp(shift.start)}",
                f"DTEND:{_stamp(shift.end)}",
                f"SUMMARY:{_text(f'On call: {name} ({team} {schedule})')}",
                f"DESCRIPTION:{_text(made_by)}",
                # On call is not busy: the event should not block free/busy lookups.
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
