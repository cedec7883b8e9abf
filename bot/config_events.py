"""The `events:` section of deskbot.yaml: monitoring integrations and their tokens,
correlation and flapping, limits, weekly maintenance windows and heartbeats."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from datetime import time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.event_settings import (
    CLASSES,
    KINDS,
    EventSettings,
    Heartbeat,
    Integration,
    RecurringWindow,
    ServiceRule,
    Severity,
)

if TYPE_CHECKING:
    from bot.config import _Checker

EVENTS_KEYS = (
    "integrations",
    "reopen_window",
    "flapping",
    "max_alerts",
    "max_event_bytes",
    "max_backlog",
    "maintenance",
    "heartbeats",
)
INTEGRATION_KEYS = ("kind", "token", "token_env", "service", "services", "severities", "group_by")
RULE_KEYS = ("labels", "service")
SEVERITY_KEYS = ("class", "priority")
FLAPPING_KEYS = ("changes", "within")
WINDOW_KEYS = ("service", "days", "from", "to", "zone", "reason")
HEARTBEAT_KEYS = ("integration", "every", "grace", "service", "priority", "summary")
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
EXCEPTION_PRIORITY = "P3"  # an exception whose severity names no priority
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# (lowest, highest, default). max_alerts is capped because the Alertmanager route holds a
# whole group in memory (4 KB an alert); the backlog at least one full group.
LIMITS = {
    "max_alerts": (1, 10_000, 2000),
    "max_event_bytes": (1024, 16 * 1024 * 1024, 64 * 1024),
    "max_backlog": (1, 100_000_000, 200_000),
}


def check_events(
    checker: _Checker, services: dict, environ: Mapping[str, str] | None = None
) -> EventSettings:
    """The `events:` section, checked with file and line like the rest.

    Tokens named by `token_env` are read from `environ` (the process environment) now: an
    unset one leaves its integration without a token, so it refuses every request.
    """
    environ = os.environ if environ is None else environ
    section = checker.section("events")
    checker.unknown_keys(section, ("events",), EVENTS_KEYS, " in events")
    raw = _mapping(
        checker, section, ("events", "integrations"), "integrations map names to their settings"
    )
    integrations: dict[str, Integration] = {}
    for name, spec in raw.items():
        path = ("events", "integrations", name)
        if not checker.name_ok(path, name, "integration"):
            continue
        if not isinstance(spec, dict):
            checker.problem(path, f"integration '{name}' must be a mapping (kind, token_env…)")
            continue
        found = _integration(checker, path, str(name), spec, services, environ)
        if found is not None:
            integrations[found.name] = found
    _same_tokens(checker, integrations)
    changes, within = _flapping(checker, section)
    limits = {key: _whole(checker, section, ("events", key), *LIMITS[key]) for key in LIMITS}
    return EventSettings(
        integrations=integrations,
        reopen_window=checker.duration(section, ("events", "reopen_window"), "1h")
        or timedelta(hours=1),
        flap_changes=changes,
        flap_window=within,
        max_alerts=limits["max_alerts"],
        max_event_bytes=limits["max_event_bytes"],
        max_backlog=limits["max_backlog"],
        windows=_windows(checker, section, services),
        # A heartbeat naming a broken integration is not reported twice: any name written.
        heartbeats=_heartbeats(checker, section, services, {str(n): n for n in raw}),
    )


def _integration(
    checker: _Checker, path: tuple, name: str, spec: dict, services: dict, environ: Mapping
) -> Integration | None:
    checker.unknown_keys(spec, path, INTEGRATION_KEYS, f" in integration '{name}'")
    kind = spec.get("kind")
    if kind is None:
        checker.problem(path, f"integration '{name}' needs a kind ({', '.join(KINDS)})")
    elif str(kind) not in KINDS:
        checker.problem(
            path + ("kind",), f"unknown kind '{kind}'{_hint(str(kind), KINDS)} ({', '.join(KINDS)})"
        )
    secret = _token(checker, path, name, spec, environ)
    service = checker.ref(spec, path + ("service",), services, "service")
    rules = _rules(checker, path, spec, services)
    severities = _severities(checker, path, spec)
    group_by = _labels(checker, spec, path + ("group_by",))
    if kind is None or str(kind) not in KINDS or secret is None:
        return None
    token, token_env = secret
    return Integration(
        name=name,
        kind=str(kind),
        token=token,
        service=service,
        services=rules,
        severities=severities,
        group_by=group_by,
        token_env=token_env,
    )


def _token(
    checker: _Checker, path: tuple, name: str, spec: dict, environ: Mapping
) -> tuple[str | None, str | None] | None:
    """(token, token_env), or None when the config is wrong. Never puts a token in a message."""
    if ("token" in spec) == ("token_env" in spec):
        checker.problem(
            path,
            f"integration '{name}' needs one of token_env (the environment variable holding "
            "its secret) or token (the secret itself), not both or neither",
        )
        return None
    if "token" in spec:
        token = spec["token"]
        if not isinstance(token, str) or not token.strip():
            # Unquoted digits would lose leading zeros; an empty secret lets anyone in.
            checker.problem(path + ("token",), "token must be a non-empty string, in quotes")
            return None
        return token, None
    env = spec["token_env"]
    if not isinstance(env, str) or not ENV_NAME.match(env):
        checker.problem(
            path + ("token_env",),
            f"token_env must name an environment variable (letters, digits, _), not {env!r}",
        )
        return None
    return environ.get(env) or None, env


def _same_tokens(checker: _Checker, integrations: dict[str, Integration]) -> None:
    """Two integrations of one kind with one token: a request could not say which it is."""
    seen: dict[tuple[str, str], str] = {}
    for integration in integrations.values():
        if integration.token is None:
            continue
        first = seen.setdefault((integration.kind, integration.token), integration.name)
        if first != integration.name:
            where = "token_env" if integration.token_env else "token"
            checker.problem(
                ("events", "integrations", integration.name, where),
                f"integrations '{first}' and '{integration.name}' ({integration.kind}) have "
                "the same token: give each its own",
            )


def _rules(checker: _Checker, path: tuple, spec: dict, services: dict) -> tuple:
    raw = spec.get("services") or []
    if not isinstance(raw, list):
        checker.problem(
            path + ("services",),
            "services must be a list of rules, e.g. - {labels: {job: mail}, service: email}",
        )
        return ()
    rules = []
    for i, rule in enumerate(raw):
        rule_path = path + ("services", i)
        if not isinstance(rule, dict):
            checker.problem(rule_path, "a services rule is a mapping: labels and service")
            continue
        checker.unknown_keys(rule, rule_path, RULE_KEYS, " in a services rule")
        labels = rule.get("labels")
        service = _service(checker, rule, rule_path, services, "a services rule")
        if not isinstance(labels, dict) or not labels:
            checker.problem(
                rule_path + ("labels",),
                "a services rule needs labels: the label values to match, e.g. {job: mail}",
            )
            continue
        if service is not None:
            pairs = tuple(sorted((str(k), _label_text(v)) for k, v in labels.items()))
            rules.append(ServiceRule(pairs, service))
    return tuple(rules)


def _severities(checker: _Checker, path: tuple, spec: dict) -> dict[str, Severity]:
    raw = _mapping(
        checker, spec, path + ("severities",), "severities map each severity to its meaning"
    )
    result: dict[str, Severity] = {}
    for severity, meaning in raw.items():
        here = path + ("severities", severity)
        if isinstance(meaning, str):  # `info: informational`, a class alone
            meaning = {"class": meaning}
        if not isinstance(meaning, dict):
            checker.problem(here, f"severity '{severity}' needs a class, e.g. {{class: warning}}")
            continue
        checker.unknown_keys(meaning, here, SEVERITY_KEYS, f" for severity '{severity}'")
        found = meaning.get("class")
        if found is None or str(found) not in CLASSES:
            what = "needs a class" if found is None else f"has an unknown class '{found}'"
            checker.problem(
                here + ("class",), f"severity '{severity}' {what} ({', '.join(CLASSES)})"
            )
            continue
        priority = meaning.get("priority")
        if priority is not None and str(priority) not in PRIORITIES:
            checker.problem(here + ("priority",), f"unknown priority '{priority}' (P1–P5)")
            priority = None
        elif priority is not None and found != "exception":
            checker.problem(
                here + ("priority",),
                f"priority is for class exception only: a {found} event opens no incident",
            )
            priority = None
        key = str(severity).strip().lower()  # sources differ in case: CRITICAL, Critical
        if key in result:
            checker.problem(here, f"severity '{severity}' is given twice (case does not count)")
        if found == "exception":
            priority = str(priority or EXCEPTION_PRIORITY)
        result[key] = Severity(str(found), priority)
    return result


def _flapping(checker: _Checker, section: dict) -> tuple[int, timedelta]:
    spec = section.get("flapping")
    path = ("events", "flapping")
    if spec is None:
        spec = {}
    elif not isinstance(spec, dict):
        checker.problem(path, "flapping is a mapping: {changes: 6, within: 10m}")
        spec = {}
    checker.unknown_keys(spec, path, FLAPPING_KEYS, " in flapping")
    changes = _whole(checker, spec, path + ("changes",), 2, 1000, 6)
    return changes, checker.duration(spec, path + ("within",), "10m") or timedelta(minutes=10)


def _windows(checker: _Checker, section: dict, services: dict) -> tuple[RecurringWindow, ...]:
    raw = section.get("maintenance") or []
    if not isinstance(raw, list):
        checker.problem(
            ("events", "maintenance"),
            'maintenance is a list of weekly windows: - {service: email, days: [sun], from: "02:00", '
            'to: "04:00", zone: Europe/Berlin}',
        )
        return ()
    windows = []
    for i, spec in enumerate(raw):
        path = ("events", "maintenance", i)
        if not isinstance(spec, dict):
            checker.problem(path, "a maintenance window is a mapping (service, days, from, to…)")
            continue
        checker.unknown_keys(spec, path, WINDOW_KEYS, " in a maintenance window")
        service = _service(checker, spec, path, services, "a maintenance window")
        days = _days(checker, spec, path)
        start, end = _clock(checker, spec, path, "from"), _clock(checker, spec, path, "to")
        zone = _zone(checker, spec, path)
        if start is not None and start == end:
            checker.problem(path + ("to",), "a window from and to the same time is empty")
            continue
        reason = str(spec.get("reason") or "scheduled maintenance")
        if service and days and start is not None and end is not None and zone:
            windows.append(RecurringWindow(service, days, start, end, zone, reason))
    return tuple(windows)


def _days(checker: _Checker, spec: dict, path: tuple) -> tuple[int, ...]:
    """Day names → 0 (Monday) … 6; no `days` at all: every day."""
    raw = spec.get("days", list(DAYS))
    raw = [raw] if isinstance(raw, str) else raw
    if not isinstance(raw, list) or not raw:
        checker.problem(path + ("days",), f"days is a list of day names ({' '.join(DAYS)})")
        return ()
    days = []
    for i, day in enumerate(raw):
        name = str(day).strip().lower()
        if name[:3] in DAYS and name in (name[:3], _full_day(name[:3])):
            days.append(DAYS.index(name[:3]))
        else:
            checker.problem(path + ("days", i), f"unknown day '{day}' (one of {' '.join(DAYS)})")
    return tuple(sorted(set(days)))


def _full_day(short: str) -> str:
    return {"tue": "tuesday", "wed": "wednesday", "thu": "thursday", "sat": "saturday"}.get(
        short, short + "day"
    )


def _clock(checker: _Checker, spec: dict, path: tuple, key: str) -> time | None:
    raw = spec.get(key)
    if raw is None:
        checker.problem(path, f"missing '{key}' (a time such as \"02:00\") in maintenance window")
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        # YAML 1.1 reads 22:00 unquoted as a base-60 number (1320): only quotes keep it text.
        checker.problem(
            path + (key,),
            f'{key}: put the time in quotes ("22:00"); unquoted, YAML reads it as a number',
        )
        return None
    text = str(raw).strip()
    if key == "to" and text == "24:00":  # "until midnight" reads naturally
        return time(0, 0)
    match = CLOCK.match(text)
    if match is None:
        checker.problem(path + (key,), f"{key}: '{raw}' is not a time of day as HH:MM (\"02:00\")")
        return None
    return time(int(match[1]), int(match[2]))


def _zone(checker: _Checker, spec: dict, path: tuple) -> str | None:
    name = str(spec.get("zone", "UTC")).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = _hint(name, available_timezones())
        checker.problem(
            path + ("zone",), f"unknown time zone '{name}'{hint} (an IANA name: Europe/Berlin)"
        )
        return None
    return name


def _heartbeats(
    checker: _Checker, section: dict, services: dict, integrations: dict
) -> dict[str, Heartbeat]:
    raw = _mapping(
        checker, section, ("events", "heartbeats"), "heartbeats map names to their settings"
    )
    result = {}
    for name, spec in raw.items():
        path = ("events", "heartbeats", name)
        if not checker.name_ok(path, name, "heartbeat"):
            continue
        if not isinstance(spec, dict):
            checker.problem(path, f"heartbeat '{name}' must be a mapping (integration, every…)")
            continue
        checker.unknown_keys(spec, path, HEARTBEAT_KEYS, f" in heartbeat '{name}'")
        integration = checker.ref(
            spec, path + ("integration",), integrations, "integration", required=True
        )
        every = checker.duration(spec, path + ("every",), None)
        grace = checker.duration(spec, path + ("grace",), "5m")
        service = checker.ref(spec, path + ("service",), services, "service")
        priority = str(spec.get("priority", "P3"))
        if priority not in PRIORITIES:
            checker.problem(path + ("priority",), f"unknown priority '{priority}' (P1–P5)")
        if integration and every and grace and priority in PRIORITIES:
            result[str(name)] = Heartbeat(
                name=str(name),
                integration=integration,
                every=every,
                grace=grace,
                service=service,
                priority=priority,
                summary=str(spec.get("summary") or ""),
            )
    return result


def _service(checker: _Checker, spec: dict, path: tuple, services: dict, what: str) -> str | None:
    """A required service inside a list item (whose path ends in a number, not a name)."""
    if spec.get("service") is None:
        checker.problem(path, f"{what} needs a service")
        return None
    return checker.ref(spec, path + ("service",), services, "service")


def _mapping(checker: _Checker, spec: dict, path: tuple, message: str) -> dict:
    raw = spec.get(path[-1])
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        checker.problem(path, message)
        return {}
    return raw


def _labels(checker: _Checker, spec: dict, path: tuple) -> tuple[str, ...]:
    raw = spec.get(path[-1]) or []
    raw = [raw] if isinstance(raw, str) else raw
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        checker.problem(path, f"{path[-1]} must be a list of label names, e.g. [alertname]")
        return ()
    return tuple(raw)


def _whole(checker: _Checker, spec: dict, path: tuple, low: int, high: int, default: int) -> int:
    value: Any = spec.get(path[-1], default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        checker.problem(
            path, f"{path[-1]} must be a whole number from {low:,} to {high:,}, not '{value}'"
        )
        return default
    return value


def _label_text(value: Any) -> str:
    """A label value as sources send it: text (YAML's true is Alertmanager's "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _hint(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" — did you mean '{close[0]}'?" if close else ""
