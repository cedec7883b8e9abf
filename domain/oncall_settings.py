"""On-call and business hours as configuration: each team's rotations and escalation
policy, and the calendars that give SLA clocks business hours. Plain values, read without
a database — outside domain/oncall/, so reading the configuration does not import the
process (the schedule and calendar arithmetic is in domain/schedules.py and
domain/calendars.py, also free of SQLAlchemy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()
# What an escalation step may notify. A schedule's name notifies whoever is on call in it.
STEP_TARGETS = ("lead", "channel", "team")


@dataclass(frozen=True)
class Window:
    """Hours of some weekdays, local to a zone: [start, end) each of `days`.

    `end` <= `start` means the window runs past midnight into the next day (22:00–06:00);
    `start == end == 00:00` is the whole day.
    """

    days: frozenset[int]  # 0 = Monday … 6 = Sunday, the day the window starts on
    start: time
    end: time


@dataclass(frozen=True)
class Layer:
    """One rotation: members take turns, handing over every `length`.

    A length in whole days (1d, 1w, 2w…) hands over at the same local wall-clock time
    (so a shift across a daylight-saving change lasts 23 or 25 hours); a length in hours
    (12h) is elapsed time. `start` is the first hand-over, local to `zone`, when
    `members[0]` begins. `windows`, when given, are the only hours the layer covers.
    """

    name: str
    members: tuple[str, ...]
    start: datetime  # timezone-aware, in `zone`
    length: timedelta
    zone: str
    windows: tuple[Window, ...] = ()

    @property
    def calendar_length(self) -> bool:
        """Whether the length is whole days (wall-clock hand-overs) rather than hours."""
        return self.length % timedelta(days=1) == timedelta(0)


@dataclass(frozen=True)
class Schedule:
    """A team's named schedule (primary, secondary…): layers, later over earlier."""

    team: str
    name: str
    zone: str
    layers: tuple[Layer, ...]


@dataclass(frozen=True)
class Step:
    """One escalation step: notify someone, then wait before the next step.

    `notify` is a schedule's name (its on-call person), "lead", "channel" (the team's
    channel, where any member may acknowledge), "team" (every member by DM) or
    "person:NAME".
    """

    notify: str
    wait: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class EscalationPolicy:
    """What a page does until someone acknowledges: the steps, then again `repeat` times."""

    steps: tuple[Step, ...]
    repeat: int = 0  # extra rounds after the first


@dataclass(frozen=True)
class TeamOncall:
    """A team's on-call: its schedules (in the order written) and escalation policy."""

    team: str
    zone: str
    schedules: dict[str, Schedule]
    escalation: EscalationPolicy | None = None


@dataclass(frozen=True)
class Calendar:
    """Business hours: working windows in a zone, minus holidays (whole local days)."""

    name: str
    zone: str
    windows: tuple[Window, ...]
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class BusinessHoursRule:
    """Which calendar an incident's SLA clocks use: for a team or a service (or any, when
    both are None), at some priorities. The first matching rule wins; none: elapsed time."""

    calendar: str
    priorities: tuple[str, ...]
    team: str | None = None
    service: str | None = None


@dataclass(frozen=True)
class OncallSettings:
    """The `oncall:` and `calendars:` sections of deskbot.yaml."""

    teams: dict[str, TeamOncall] = field(default_factory=dict)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    business_hours: tuple[BusinessHoursRule, ...] = ()
    page_priorities: tuple[str, ...] = ("P1", "P2")  # new incidents that page their team
    max_override: timedelta = timedelta(days=14)
    feed_key_env: str = "DESKBOT_ONCALL_FEED_KEY"  # the secret behind the iCal feed tokens

    def calendar_for(self, team: str | None, service: str | None, priority: str):
        """The calendar an incident's SLA clocks use, or None for elapsed time."""
        for rule in self.business_hours:
            if priority not in rule.priorities:
                continue
            if rule.team is not None and rule.team != team:
                continue
            if rule.service is not None and rule.service != service:
                continue
            return self.calendars.get(rule.calendar)
        return None
