"""The `calendars:` and `oncall:` sections of deskbot.yaml: business-hours calendars, each
team's rotations and escalation policy, and which calendar SLA clocks use. Mistakes are
problems with file and line; hours a schedule leaves uncovered and rotation members from
outside the team are warnings, since they work but are seldom meant."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.config_calendars import check_calendars, check_hours, check_zone, did_you_mean
from domain.calendars import local_instant
from domain.clock import parse_duration
from domain.oncall_settings import (
    STEP_TARGETS,
    BusinessHoursRule,
    EscalationPolicy,
    Layer,
    OncallSettings,
    Schedule,
    Step,
    TeamOncall,
    Window,
)
from domain.schedules import gaps

if TYPE_CHECKING:
    from bot.config import _Checker
    from domain.policy import Team

ONCALL_KEYS = ("page_priorities", "max_override", "business_hours", "teams", "feed_key_env")
RULE_KEYS = ("calendar", "priorities", "team", "service")
TEAM_KEYS = ("zone", "schedules", "escalation")
LAYER_KEYS = ("name", "members", "start", "every", "zone", "hours")
ESCALATION_KEYS = ("steps", "repeat")
STEP_KEYS = ("notify", "wait")
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # schedules and layers
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MIN_EVERY = timedelta(hours=1)
MIN_WAIT = timedelta(minutes=1)
MAX_REPEAT = 10
GAP_HORIZON = timedelta(days=28)  # after the latest layer start, when every layer runs
SHOWN_GAPS = 7


def check_oncall(
    checker: _Checker, people: dict, teams: dict, services: dict, channels: dict
) -> OncallSettings:
    """The `calendars:` and `oncall:` sections, checked with file and line like the rest.

    `channels` is not needed today: a step's "channel" is the team's own channel.
    """
    written = checker.section("calendars")
    calendars = check_calendars(checker, written)
    section = checker.section("oncall")
    checker.unknown_keys(section, ("oncall",), ONCALL_KEYS, " in oncall")
    page = _priorities(checker, section, ("oncall", "page_priorities"), ["P1", "P2"])
    max_override = checker.duration(section, ("oncall", "max_override"), "14d")
    feed_env = section.get("feed_key_env", "DESKBOT_ONCALL_FEED_KEY")
    if not isinstance(feed_env, str) or not ENV_NAME.match(feed_env):
        checker.problem(
            ("oncall", "feed_key_env"),
            f"feed_key_env must name an environment variable (letters, digits, _), not {feed_env!r}",
        )
        feed_env = "DESKBOT_ONCALL_FEED_KEY"
    raw = section.get("teams") or {}
    if not isinstance(raw, dict):
        checker.problem(("oncall", "teams"), "oncall.teams maps team names to their on-call")
        raw = {}
    result: dict[str, TeamOncall] = {}
    for name, spec in raw.items():
        path = ("oncall", "teams", name)
        if name not in teams:
            hint = did_you_mean(str(name), teams)
            checker.problem(path, f"oncall.teams: unknown team '{name}'{hint}")
        elif not isinstance(spec, dict):
            checker.problem(path, f"the on-call of team '{name}' is a mapping (zone, schedules…)")
        else:
            result[name] = _team(checker, path, spec, teams[name], people)
    return OncallSettings(
        teams=result,
        calendars=calendars,
        business_hours=_business_hours(checker, section, written, teams, services),
        page_priorities=tuple(page),
        max_override=max_override or timedelta(days=14),
        feed_key_env=feed_env,
    )


def _business_hours(
    checker: _Checker, section: dict, calendars: dict, teams: dict, services: dict
) -> tuple[BusinessHoursRule, ...]:
    raw = section.get("business_hours") or []
    if not isinstance(raw, list):
        checker.problem(
            ("oncall", "business_hours"),
            "business_hours is a list of rules: - {calendar: office, priorities: [P3, P4, P5]}",
        )
        return ()
    rules = []
    for i, spec in enumerate(raw):
        path = ("oncall", "business_hours", i)
        if not isinstance(spec, dict):
            checker.problem(path, "a business_hours rule is a mapping (calendar, priorities…)")
            continue
        checker.unknown_keys(spec, path, RULE_KEYS, " in a business_hours rule")
        # Names as written: a calendar with a mistake of its own is not reported again.
        calendar = checker.ref(spec, path + ("calendar",), calendars, "calendar", required=True)
        team = checker.ref(spec, path + ("team",), teams, "team")
        service = checker.ref(spec, path + ("service",), services, "service")
        priorities = _priorities(checker, spec, path + ("priorities",), [])
        if not spec.get("priorities"):
            checker.problem(
                path + ("priorities",) if "priorities" in spec else path,
                "a business_hours rule needs priorities, e.g. [P3, P4, P5]",
            )
        if calendar and priorities:
            rules.append(BusinessHoursRule(calendar, tuple(priorities), team, service))
    return tuple(rules)


def _priorities(checker: _Checker, spec: dict, path: tuple, default: list) -> list[str]:
    raw = spec.get(path[-1], default)
    raw = [raw] if isinstance(raw, str) else raw
    if not isinstance(raw, list):
        checker.problem(path, f"{path[-1]} is a list of priorities, e.g. [P1, P2]")
        return []
    found = []
    for i, priority in enumerate(raw):
        if str(priority) not in PRIORITIES:
            checker.problem(path + (i,), f"unknown priority '{priority}' (P1–P5)")
        elif str(priority) not in found:
            found.append(str(priority))
    return found


def _team(checker: _Checker, path: tuple, spec: dict, team: Team, people: dict) -> TeamOncall:
    checker.unknown_keys(spec, path, TEAM_KEYS, f" in the on-call of team '{team.name}'")
    zone = check_zone(checker, spec, path, "UTC") or "UTC"
    raw = spec.get("schedules") or {}
    if not isinstance(raw, dict):
        checker.problem(
            path + ("schedules",), "schedules map names (primary, secondary…) to their layers"
        )
        raw = {}
    schedules = {}
    for name, layers in raw.items():
        here = path + ("schedules", name)
        if not NAME.match(str(name)):
            checker.problem(
                here, f"schedule name '{name}' must be lowercase letters, digits, '_' or '-'"
            )
            continue
        if name in STEP_TARGETS:
            # `notify: lead` must mean one thing.
            checker.problem(here, f"a schedule cannot be called '{name}': steps use that word")
            continue
        found = _schedule(checker, here, team, str(name), zone, layers, people)
        if found is not None:
            schedules[found.name] = found
    escalation = None
    if spec.get("escalation") is not None:
        if not raw:
            checker.problem(
                path + ("escalation",),
                f"team '{team.name}' has an escalation policy but no schedules: "
                "add schedules, or leave escalation out",
            )
        # Names as written: a step naming a schedule with a mistake is not reported again.
        escalation = _escalation(checker, path + ("escalation",), spec, team, set(raw), people)
    return TeamOncall(team.name, zone, schedules, escalation)


def _schedule(
    checker: _Checker,
    path: tuple,
    team: Team,
    name: str,
    zone: str,
    raw: Any,
    people: dict,
) -> Schedule | None:
    if isinstance(raw, dict):  # a single layer written without the list
        specs = [(path, raw)]
    elif isinstance(raw, list) and raw:
        specs = [(path + (i,), spec) for i, spec in enumerate(raw)]
    else:
        checker.problem(
            path, f"schedule '{name}' is a list of layers: - {{members: [...], start, every}}"
        )
        return None
    before = len(checker.doc.problems)
    layers: list[Layer] = []
    names: set[str] = set()
    for i, (here, spec) in enumerate(specs):
        if not isinstance(spec, dict):
            checker.problem(here, "a layer is a mapping (members, start, every…)")
            continue
        layer_name = str(spec.get("name", f"layer-{i + 1}"))
        if layer_name in names:
            checker.problem(
                here + ("name",), f"schedule '{name}' has two layers called '{layer_name}'"
            )
        names.add(layer_name)
        layer = _layer(checker, here, spec, layer_name, zone, people)
        if layer is not None:
            layers.append(layer)
            _outsiders(checker, here, spec, layer, team, name)
    if len(checker.doc.problems) > before:
        return None
    schedule = Schedule(team.name, name, zone, tuple(layers))
    _warn_gaps(checker, path, schedule, team)
    return schedule


def _layer(
    checker: _Checker, path: tuple, spec: dict, name: str, zone: str, people: dict
) -> Layer | None:
    checker.unknown_keys(spec, path, LAYER_KEYS, " in a layer")
    if not NAME.match(name):
        checker.problem(
            path + ("name",), f"layer name '{name}' must be lowercase letters, digits, '_' or '-'"
        )
    zone = check_zone(checker, spec, path, zone) or "UTC"
    members = spec.get("members")
    members = [members] if isinstance(members, str) else members
    if not isinstance(members, list) or not members:
        checker.problem(
            path + ("members",) if "members" in spec else path,
            "a layer needs members: the people who take turns, e.g. [carol, erin]",
        )
        members = []
    for i, person in enumerate(members):
        if str(person) not in people:
            hint = did_you_mean(str(person), people)
            checker.problem(
                path + ("members", i), f"unknown person '{person}' in {_dotted(path)}{hint}"
            )
    start = _start(checker, path, spec, zone)
    every = _every(checker, path, spec)
    windows: tuple[Window, ...] | None = ()
    if "hours" in spec:
        windows = check_hours(checker, spec, path)
    if not members or start is None or every is None or windows is None:
        return None
    return Layer(name, tuple(str(m) for m in members), start, every, zone, windows)


def _start(checker: _Checker, path: tuple, spec: dict, zone: str) -> datetime | None:
    raw = spec.get("start")
    example = '"2026-11-30 09:00" (local to the zone) or "2026-11-30T09:00+00:00"'
    if raw is None:
        checker.problem(path, f"a layer needs a start: the first hand-over, e.g. {example}")
        return None
    value: datetime | None = None
    if isinstance(raw, datetime):  # YAML reads 2026-11-30 09:00:00 unquoted as one
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw, time(0))
    elif isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.strip())
        except ValueError:
            value = None
    if value is None:
        checker.problem(
            path + ("start",), f"start: '{raw}' is not a date and time such as {example}"
        )
        return None
    tz = ZoneInfo(zone)
    if value.tzinfo is not None:
        return value.astimezone(tz)
    found = local_instant(value.date(), value.time(), tz).astimezone(tz)
    if found.replace(tzinfo=None) != value:
        checker.warning(
            path + ("start",),
            f"{_dotted(path)}: start {value:%Y-%m-%d %H:%M} does not exist in {zone} (the "
            f"clocks go forward), so the rotation starts at {found:%H:%M}",
        )
    return found


def _every(checker: _Checker, path: tuple, spec: dict) -> timedelta | None:
    raw = spec.get("every")
    if raw is None:
        checker.problem(path, "a layer needs every: how long each turn lasts, e.g. 1w, 1d, 12h")
        return None
    length = None if isinstance(raw, bool) else parse_duration(raw)
    if isinstance(raw, bool):  # YAML reads yes, no, on and off as booleans
        checker.problem(path + ("every",), "every: expected a duration such as 1w, got yes/no")
    elif length is None:
        checker.problem(
            path + ("every",), f"every: '{raw}' is not a duration such as 1w, 1d or 12h"
        )
    elif length < MIN_EVERY:
        checker.problem(path + ("every",), f"every: {raw} is too short: a turn lasts 1h or more")
        return None
    return length


def _escalation(
    checker: _Checker, path: tuple, spec: dict, team: Team, schedules: set, people: dict
) -> EscalationPolicy | None:
    raw = spec["escalation"]
    if not isinstance(raw, dict):
        checker.problem(path, "escalation is a mapping: steps (a list) and repeat")
        return None
    checker.unknown_keys(raw, path, ESCALATION_KEYS, " in escalation")
    listed = raw.get("steps")
    if not isinstance(listed, list) or not listed:
        checker.problem(
            path + ("steps",) if "steps" in raw else path,
            "escalation needs steps, e.g. - {notify: primary, wait: 5m}",
        )
        listed = []
    steps = []
    for i, step in enumerate(listed):
        here = path + ("steps", i)
        if not isinstance(step, dict):
            checker.problem(here, "a step is a mapping: {notify: primary, wait: 5m}")
            continue
        checker.unknown_keys(step, here, STEP_KEYS, " in an escalation step")
        target = _target(checker, here, step, team, schedules, people)
        wait = checker.duration(step, here + ("wait",), "5m")
        if wait is not None and wait < MIN_WAIT:
            checker.problem(here + ("wait",), f"wait: {step['wait']} is too short: at least 1m")
            wait = None
        if target is not None and wait is not None:
            steps.append(Step(target, wait))
    repeat = raw.get("repeat", 0)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat <= MAX_REPEAT:
        checker.problem(
            path + ("repeat",),
            f"repeat must be a whole number from 0 to {MAX_REPEAT}, not '{repeat}'",
        )
        repeat = 0
    return EscalationPolicy(tuple(steps), repeat) if steps else None


def _target(
    checker: _Checker, path: tuple, step: dict, team: Team, schedules: set, people: dict
) -> str | None:
    raw = step.get("notify")
    where = path + ("notify",)
    if raw is None:
        checker.problem(path, "a step needs notify: a schedule, lead, channel, team or person:NAME")
        return None
    target = str(raw).strip()
    if target in schedules:
        return target
    missing = {
        "lead": team.lead is None and f"team '{team.name}' has no lead",
        "channel": team.channel is None and f"team '{team.name}' has no channel",
        "team": not team.members and f"team '{team.name}' has no members",
    }
    if target in missing:
        if missing[target]:
            checker.problem(
                where, f"notify: {target}, but {missing[target]} (teams.{team.name}.{target})"
            )
            return None
        return target
    if target.startswith("person:"):
        person = target.removeprefix("person:").strip()
        if person in people:
            return f"person:{person}"
        checker.problem(where, f"notify: unknown person '{person}'{did_you_mean(person, people)}")
        return None
    known = sorted(s for s in schedules if NAME.match(str(s)) and s not in STEP_TARGETS)
    hint = did_you_mean(target, [*known, *STEP_TARGETS])
    checker.problem(
        where,
        f"notify: '{target}' is neither a schedule of team '{team.name}' "
        f"({', '.join(known) or 'none'}) nor lead, channel, team or person:NAME{hint}",
    )
    return None


def _outsiders(
    checker: _Checker, path: tuple, spec: dict, layer: Layer, team: Team, schedule: str
) -> None:
    """Warn about each person on the rotation who is neither a member nor the lead."""
    seen = set()
    for i, person in enumerate(layer.members):
        if person in team.members or person == team.lead or person in seen:
            continue
        seen.add(person)
        where = path + ("members", i) if isinstance(spec.get("members"), list) else path
        checker.warning(
            where,
            f"{_dotted(path)}: {person} is on the {schedule} rotation but not a member of "
            f"team '{team.name}' (teams.{team.name}.members)",
        )


def _warn_gaps(checker: _Checker, path: tuple, schedule: Schedule, team: Team) -> None:
    """Warn about the hours nobody covers, once every layer has started."""
    start = max(layer.start for layer in schedule.layers).astimezone(UTC)
    if start.year >= 9999:  # nothing to say about the end of the calendar, and no room
        return
    # A week beyond the horizon, so the last gap is seen whole rather than cut off.
    end = start + GAP_HORIZON + timedelta(days=7)
    found = [g for g in gaps(schedule, start, end) if g[0] < start + GAP_HORIZON]
    if not found:
        return
    whole = [g for g in found if g[0] > start and g[1] < end] or found
    zone = ZoneInfo(schedule.zone)
    shown: dict[tuple, str] = {}
    for first, last in whole:
        local_start, local_end = first.astimezone(zone), last.astimezone(zone)
        key = (local_start.weekday(), local_start.time(), local_end.weekday(), local_end.time())
        shown.setdefault(key, f"{local_start:%a %H:%M}–{local_end:%a %H:%M}")
    spans = [shown[key] for key in sorted(shown)]
    more = f" and {len(spans) - SHOWN_GAPS} more" if len(spans) > SHOWN_GAPS else ""
    whom = " and ".join(
        part
        for part, there in (("the lead", team.lead), ("the team channel", team.channel))
        if there
    )
    then = f"a page then goes to {whom}" if whom else "a page then reaches nobody"
    checker.warning(
        path,
        f"{_dotted(path)}: nobody is on call {', '.join(spans[:SHOWN_GAPS])}{more} "
        f"({schedule.zone}) — {then}",
    )


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path if not isinstance(p, int))
