"""The `metrics:` section of deskbot.yaml: the token Prometheus scrapes /metrics with (by
the name of the environment variable that holds it: a secret never sits in the file), the
weekly digest and the public status page. Mistakes are problems with file and line."""

from __future__ import annotations

import re
from datetime import time
from typing import TYPE_CHECKING, Any

from bot.config_calendars import check_zone, did_you_mean
from domain.metrics_settings import Digest, MetricsSettings, StatusPage

if TYPE_CHECKING:
    from bot.config import _Checker
    from domain.policy import Channel, Service

METRICS_KEYS = ("scrape_token_env", "digest", "status_page")
DIGEST_KEYS = ("channel", "day", "at", "zone")
STATUS_KEYS = ("enabled", "title", "services")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def check_metrics(
    checker: _Checker, channels: dict[str, Channel], services: dict[str, Service]
) -> MetricsSettings:
    """The `metrics:` section as MetricsSettings (defaults where it is absent)."""
    section = checker.section("metrics")
    checker.unknown_keys(section, ("metrics",), METRICS_KEYS, " in metrics")
    token_env = section.get("scrape_token_env")
    if token_env is not None and (not isinstance(token_env, str) or not ENV_NAME.match(token_env)):
        checker.problem(
            ("metrics", "scrape_token_env"),
            "scrape_token_env names the environment variable holding the scrape token "
            f"(letters, digits, _), e.g. DESKBOT_METRICS_TOKEN, not {token_env!r}",
        )
        token_env = None
    return MetricsSettings(
        scrape_token_env=token_env,
        digest=_digest(checker, section, channels),
        status_page=_status_page(checker, section, services),
    )


def _digest(checker: _Checker, section: dict, channels: dict) -> Digest | None:
    spec = section.get("digest")
    if spec is None:
        return None
    path = ("metrics", "digest")
    if not isinstance(spec, dict):
        checker.problem(
            path, 'digest is a mapping, e.g. {channel: service-desk, day: monday, at: "09:00"}'
        )
        return None
    checker.unknown_keys(spec, path, DIGEST_KEYS, " in metrics.digest")
    channel = checker.ref(spec, path + ("channel",), channels, "channel", required=True)
    day = str(spec.get("day", "monday")).strip().lower()
    # A full name or its first three letters: monday, mon.
    weekday = next((i for i, d in enumerate(WEEKDAYS) if day in (d, d[:3])), None)
    if weekday is None:
        checker.problem(
            path + ("day",), f"unknown day '{day}'{did_you_mean(day, WEEKDAYS)} (monday … sunday)"
        )
        weekday = None
    at = _clock(checker, spec.get("at", "09:00"), path + ("at",))
    zone = check_zone(checker, spec, path, "UTC")
    if channel is None or weekday is None or at is None or zone is None:
        return None
    return Digest(channel=channel, weekday=weekday, at=at, zone=zone)


def _clock(checker: _Checker, value: Any, path: tuple) -> time | None:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 09:00 as 540
        value = f"{value // 60:02d}:{value % 60:02d}"
    match = CLOCK.match(str(value).strip())
    if not match:
        checker.problem(path, f'a time of day is written "HH:MM" (e.g. "09:00"), not {value!r}')
        return None
    return time(int(match.group(1)), int(match.group(2)))


def _status_page(checker: _Checker, section: dict, services: dict) -> StatusPage:
    spec = section.get("status_page")
    if spec is None:
        return StatusPage()
    path = ("metrics", "status_page")
    if isinstance(spec, bool):
        return StatusPage(enabled=spec)
    if not isinstance(spec, dict):
        checker.problem(path, "status_page is true, false or a mapping (enabled, title, services)")
        return StatusPage()
    checker.unknown_keys(spec, path, STATUS_KEYS, " in metrics.status_page")
    enabled = spec.get("enabled", True)
    if not isinstance(enabled, bool):
        checker.problem(path + ("enabled",), f"enabled is true or false, not {enabled!r}")
        enabled = False
    title = spec.get("title", StatusPage.title)
    if not isinstance(title, str) or not title.strip() or len(title) > 100:
        checker.problem(path + ("title",), "title is a short text (at most 100 characters)")
        title = StatusPage.title
    raw = spec.get("services") or []
    if not isinstance(raw, list):
        checker.problem(path + ("services",), "services is a list of service names")
        raw = []
    shown = []
    for i, name in enumerate(raw):
        if str(name) not in services:
            checker.problem(
                path + ("services", i),
                f"unknown service '{name}'{did_you_mean(str(name), services)}",
            )
        elif str(name) not in shown:
            shown.append(str(name))
    return StatusPage(enabled=enabled, title=title.strip(), services=tuple(shown))
