"""The `events:` section of deskbot.yaml: integrations, tokens, windows and heartbeats, every
mistake named with its file and line, and no secret ever repeated in a message."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from bot.config import load_config_text
from domain.event_settings import EventSettings, Severity
from tests.bot.test_config import EXAMPLE, line_of, problems_of

BEFORE_EVENTS = EXAMPLE.split("\nevents:\n")[0] + "\n"
SECRET = "hunter2-very-secret"

BAD_EVENTS = f"""
events:
  integrations:
    prom:
      kind: alertmanger
      token_env: DESKBOT_PROM_TOKEN
      service: vpm
      servces: []
      severities:
        critical: {{class: exceptional}}
        warning: {{class: warning, priority: P2}}
        page: {{class: exception, priority: P9}}
    both:
      kind: generic
      token: "{SECRET}"
      token_env: DESKBOT_BOTH
    neither:
      kind: pagerduty
    numeric:
      kind: generic
      token: 12345
    Bad Name:
      kind: generic
      token: x
    rules:
      kind: generic
      token_env: "1-not-a-variable"
      services:
        - labels: {{job: mail}}
          service: emial
        - service: vpn
      group_by: [alertname, 7]
  reopen_window: soon
  flapping: {{changes: 1, within: 10m, whithin: 5m}}
  max_alerts: 50000
  max_backlog: lots
  maintenance:
    - service: email
      days: [sun, funday]
      from: 22:00
      to: "25:00"
      zone: Europe/Berln
    - service: wifi
      from: "03:00"
      to: "03:00"
  heartbeats:
    backup:
      integration: backups
      grace: 30m
      priority: P0
      sevice: email
"""


def test_every_events_mistake_is_named_with_its_line():
    bad = BEFORE_EVENTS + BAD_EVENTS
    found = problems_of(bad)

    def at(needle: str, message: str) -> str:
        return f"deskbot.yaml:{line_of(bad, needle)}: {message}"

    expected = [
        at(
            "kind: alertmanger",
            "unknown kind 'alertmanger' — did you mean 'alertmanager'? "
            "(alertmanager, pagerduty, generic)",
        ),
        at(
            "service: vpm",
            "events.integrations.prom.service: unknown service 'vpm' — did you mean 'vpn'?",
        ),
        at(
            "servces: []",
            "unknown key 'servces' in integration 'prom' — did you mean 'services'?",
        ),
        at(
            "critical: {class: exceptional}",
            "severity 'critical' has an unknown class 'exceptional' "
            "(informational, warning, exception)",
        ),
        at(
            "warning: {class: warning, priority: P2}",
            "priority is for class exception only: a warning event opens no incident",
        ),
        at("page: {class: exception, priority: P9}", "unknown priority 'P9' (P1–P5)"),
        at(
            "both:",
            "integration 'both' needs one of token_env (the environment variable holding its "
            "secret) or token (the secret itself), not both or neither",
        ),
        at(
            "neither:",
            "integration 'neither' needs one of token_env (the environment variable holding its "
            "secret) or token (the secret itself), not both or neither",
        ),
        at("token: 12345", "token must be a non-empty string, in quotes"),
        at(
            "Bad Name:",
            "integration name 'Bad Name' must be lowercase letters, digits, '.', '_' or '-'",
        ),
        at(
            'token_env: "1-not-a-variable"',
            "token_env must name an environment variable (letters, digits, _), "
            "not '1-not-a-variable'",
        ),
        at(
            "service: emial",
            "events.integrations.rules.services.0.service: unknown service 'emial' — "
            "did you mean 'email'?",
        ),
        at(
            "- service: vpn",
            "a services rule needs labels: the label values to match, e.g. {job: mail}",
        ),
        at(
            "group_by: [alertname, 7]",
            "group_by must be a list of label names, e.g. [alertname]",
        ),
        at(
            "reopen_window: soon",
            'bad duration "soon": use a number and s, m, h, d or w, e.g. 30m, 4h, 2d '
            "(at most a year)",
        ),
        at("flapping: {changes: 1", "changes must be a whole number from 2 to 1,000, not '1'"),
        at("flapping: {changes: 1", "unknown key 'whithin' in flapping — did you mean 'within'?"),
        at(
            "max_alerts: 50000",
            "max_alerts must be a whole number from 1 to 10,000, not '50000'",
        ),
        at(
            "max_backlog: lots",
            "max_backlog must be a whole number from 1 to 100,000,000, not 'lots'",
        ),
        at("days: [sun, funday]", "unknown day 'funday' (one of mon tue wed thu fri sat sun)"),
        at(
            "from: 22:00",
            'from: put the time in quotes ("22:00"); unquoted, YAML reads it as a number',
        ),
        at('to: "25:00"', "to: '25:00' is not a time of day as HH:MM (\"02:00\")"),
        at(
            "zone: Europe/Berln",
            "unknown time zone 'Europe/Berln' — did you mean 'Europe/Berlin'? "
            "(an IANA name: Europe/Berlin)",
        ),
        at('to: "03:00"', "a window from and to the same time is empty"),
        at(
            "integration: backups",
            "events.heartbeats.backup.integration: unknown integration 'backups'",
        ),
        at("backup:", "missing 'every' in backup"),
        at("priority: P0", "unknown priority 'P0' (P1–P5)"),
        at("sevice: email", "unknown key 'sevice' in heartbeat 'backup' — did you mean 'service'?"),
    ]
    for problem in expected:
        assert problem in found, (problem, found)
    assert len(found) == len(expected), sorted(set(found) - set(expected))
    assert not any(SECRET in p for p in found)


def test_a_misspelt_section_name_is_caught():
    found = problems_of(BEFORE_EVENTS + "\nevnets:\n  max_alerts: 10\n")
    assert any("unknown section 'evnets' — did you mean 'events'?" in p for p in found), found


def test_the_example_company_events_read_their_tokens_from_the_environment(monkeypatch):
    monkeypatch.delenv("DESKBOT_PAGERDUTY_TOKEN", raising=False)
    monkeypatch.setenv("DESKBOT_ALERTMANAGER_TOKEN", "am-token")
    monkeypatch.setenv("DESKBOT_EVENTS_TOKEN", "")  # set but empty: no token either
    events = load_config_text(EXAMPLE, "deskbot.yaml").policy.events
    kinds = {name: i.kind for name, i in events.integrations.items()}
    assert kinds == {"prometheus": "alertmanager", "uptime": "pagerduty", "scripts": "generic"}
    tokens = {name: i.token for name, i in events.integrations.items()}
    assert tokens == {"prometheus": "am-token", "uptime": None, "scripts": None}
    assert events.by_token("alertmanager", "am-token") is events.integrations["prometheus"]
    assert events.by_token("pagerduty", "am-token") is None
    prometheus = events.integrations["prometheus"]
    assert prometheus.token_env == "DESKBOT_ALERTMANAGER_TOKEN"
    assert prometheus.service_for({"job": "mail-exporter", "service": "vpn"}, None) == "email"
    assert prometheus.service_for({"job": "node", "service": "vpn"}, None) == "vpn"
    assert prometheus.severity("CRITICAL") == Severity("exception", "P2")
    assert events.integrations["uptime"].service == "vpn"
    (window,) = events.windows
    assert (window.service, window.days, window.start, window.end, window.zone) == (
        "email",
        (6,),
        time(2, 0),
        time(4, 0),
        "Europe/Berlin",
    )
    beat = events.heartbeats["mailbox-backup"]
    assert (beat.integration, beat.every, beat.grace, beat.service, beat.priority) == (
        "scripts",
        timedelta(days=1),
        timedelta(minutes=30),
        "email",
        "P3",
    )
    assert (events.max_alerts, events.alertmanager_bytes) == (2000, 2000 * 4096)


def test_no_events_section_means_no_integrations_and_the_defaults():
    policy = load_config_text(BEFORE_EVENTS, "deskbot.yaml").policy
    assert policy.events == EventSettings()


def _events(text: str) -> EventSettings:
    return load_config_text(BEFORE_EVENTS + text, "deskbot.yaml").policy.events


def test_severities_ignore_case_and_an_exception_without_priority_is_p3():
    events = _events(
        """
events:
  integrations:
    grafana:
      kind: alertmanager
      token: "t1"
      severities:
        Disaster: exception
        Average: {class: warning}
        minor: informational
      group_by: alertname
"""
    )
    grafana = events.integrations["grafana"]
    assert grafana.severities == {
        "disaster": Severity("exception", "P3"),
        "average": Severity("warning", None),
        "minor": Severity("informational", None),
    }
    assert grafana.severity("DISASTER") == Severity("exception", "P3")
    assert grafana.group_by == ("alertname",)


def test_a_severity_given_twice_in_different_case_is_a_mistake():
    text = """
events:
  integrations:
    grafana:
      kind: alertmanager
      token: "t1"
      severities:
        critical: exception
        CRITICAL: warning
"""
    bad = BEFORE_EVENTS + text
    assert problems_of(bad) == [
        f"deskbot.yaml:{line_of(bad, 'CRITICAL: warning')}: severity 'CRITICAL' is given twice "
        "(case does not count)"
    ]


def test_one_token_for_two_integrations_of_a_kind_is_refused_and_not_repeated(monkeypatch):
    monkeypatch.setenv("DESKBOT_SAME", SECRET)
    text = f"""
events:
  integrations:
    first:
      kind: generic
      token: "{SECRET}"
    second:
      kind: generic
      token_env: DESKBOT_SAME
    elsewhere:
      kind: pagerduty
      token_env: DESKBOT_SAME
"""
    bad = BEFORE_EVENTS + text
    found = problems_of(bad)
    line = [n for n, t in enumerate(bad.splitlines(), 1) if "token_env: DESKBOT_SAME" in t][0]
    assert found == [
        f"deskbot.yaml:{line}: integrations 'first' and 'second' (generic) have the same "
        "token: give each its own"
    ]
    assert SECRET not in found[0]


@pytest.mark.parametrize(
    ("days", "expected"),
    [("", (0, 1, 2, 3, 4, 5, 6)), ("days: sat\n", (5,)), ("days: [Monday, fri, MON]\n", (0, 4))],
)
def test_window_days_default_to_every_day_and_take_full_names(days, expected):
    indent = "      " if days else ""
    events = _events(
        f"""
events:
  maintenance:
    - service: wifi
{indent}{days}      from: "22:00"
      to: "24:00"
"""
    )
    (window,) = events.windows
    assert (window.days, window.start, window.end, window.zone) == (
        expected,
        time(22, 0),
        time(0, 0),
        "UTC",
    )
    assert window.reason == "scheduled maintenance"


def test_a_window_needs_a_service_and_both_times():
    text = """
events:
  maintenance:
    - days: [sun]
"""
    bad = BEFORE_EVENTS + text
    line = line_of(bad, "- days: [sun]")
    assert problems_of(bad) == [
        f"deskbot.yaml:{line}: a maintenance window needs a service",
        f"deskbot.yaml:{line}: missing 'from' (a time such as \"02:00\") in maintenance window",
        f"deskbot.yaml:{line}: missing 'to' (a time such as \"02:00\") in maintenance window",
    ]


def test_limits_and_correlation_settings_are_read():
    events = _events(
        """
events:
  reopen_window: 30m
  flapping: {changes: 4, within: 5m}
  max_alerts: 100
  max_event_bytes: 2048
  max_backlog: 5000
"""
    )
    assert (events.reopen_window, events.flap_changes, events.flap_window) == (
        timedelta(minutes=30),
        4,
        timedelta(minutes=5),
    )
    assert (events.max_alerts, events.max_event_bytes, events.max_backlog) == (100, 2048, 5000)
    # A small max_alerts still leaves the route room for one large alert group.
    assert events.alertmanager_bytes == 1024 * 1024
