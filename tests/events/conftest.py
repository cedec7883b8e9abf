"""An example company with monitoring integrations, for event management's tests."""

from __future__ import annotations

import dataclasses
from datetime import time, timedelta

import pytest

from domain.event_settings import (
    EventSettings,
    Heartbeat,
    Integration,
    RecurringWindow,
    ServiceRule,
    Severity,
)
from tests.harness import DeskHarness

PROMETHEUS = Integration(
    "prometheus",
    "alertmanager",
    "am-token",
    service="vpn",
    services=(ServiceRule((("job", "mail-exporter"),), "email"),),
    severities={"critical": Severity("exception", "P2"), "page": Severity("exception", "P1")},
)
PAGERDUTY = Integration("pd", "pagerduty", "R0UTINGKEY0000000000000000000001", service="wifi")
GENERIC = Integration("jobs", "generic", "jobs-token", group_by=("service",))
SETTINGS = EventSettings(
    integrations={i.name: i for i in (PROMETHEUS, PAGERDUTY, GENERIC)},
    reopen_window=timedelta(hours=1),
    flap_changes=4,
    flap_window=timedelta(minutes=10),
    windows=(RecurringWindow("laptop", (6,), time(2), time(4), "Europe/Berlin", "patching"),),
    heartbeats={"nightly-backup": Heartbeat("nightly-backup", "jobs", timedelta(days=1))},
)


def with_events(config, settings: EventSettings = SETTINGS):
    """The config with these event settings."""
    policy = dataclasses.replace(config.policy, events=settings)
    return dataclasses.replace(config, policy=policy)


@pytest.fixture
def events_desk(database_url: str, example_config):
    """The example company with integrations, on the console, with a clock the test moves."""
    harness = DeskHarness.start(database_url, with_events(example_config))
    yield harness
    harness.close()
