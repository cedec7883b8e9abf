"""The `metrics:` section of deskbot.yaml: the example's digest and status page, the
defaults when it is absent, and every mistake named with its file and line."""

from __future__ import annotations

import re
from datetime import time

import pytest

from bot.config import load_config_text
from domain.metrics_settings import Digest, MetricsSettings, StatusPage
from tests.bot.test_config import EXAMPLE, problems_of

# The example without its metrics section, to put another one in its place.
WITHOUT = re.sub(r"\nmetrics:\n(  .*\n)+", "\n", EXAMPLE)


def metrics_of(text: str) -> MetricsSettings:
    return load_config_text(WITHOUT + text, "deskbot.yaml").policy.metrics


def test_the_example_posts_a_digest_and_shows_a_status_page():
    metrics = load_config_text(EXAMPLE, "deskbot.yaml").policy.metrics
    assert metrics == MetricsSettings(
        scrape_token_env="DESKBOT_METRICS_TOKEN",
        digest=Digest("service-desk", 0, time(9, 0), "Europe/London"),
        status_page=StatusPage(enabled=True, title="Example Corp status"),
    )


def test_without_the_section_everything_is_off():
    assert "\nmetrics:" not in WITHOUT
    assert metrics_of("") == MetricsSettings()
    assert metrics_of("").status_page.enabled is False


def test_short_day_names_booleans_and_unquoted_times_are_read():
    text = "metrics:\n  digest: {channel: network-team, day: fri, at: 17:30}\n  status_page: true\n"
    metrics = metrics_of(text)
    # YAML 1.1 reads an unquoted 17:30 as the number 1050: it is still half past five.
    assert metrics.digest == Digest("network-team", 4, time(17, 30), "UTC")
    assert metrics.status_page == StatusPage(enabled=True)


@pytest.mark.parametrize(
    ("section", "needle", "words"),
    [
        ("  scrape_token_env: my token\n", "scrape_token_env", "names the environment variable"),
        ("  digest: {channel: nowhere}\n", "digest", "unknown channel 'nowhere'"),
        ("  digest: {channel: service-desk, day: funday}\n", "digest", "unknown day 'funday'"),
        ("  digest: {channel: service-desk, at: '25:00'}\n", "digest", '"HH:MM"'),
        ("  digest: {channel: service-desk, zone: Mars/Olympus}\n", "digest", "unknown time zone"),
        ("  digest: weekly\n", "digest", "digest is a mapping"),
        (
            "  status_page: {services: [vpn, teleport]}\n",
            "status_page",
            "unknown service 'teleport'",
        ),
        ("  status_page: {enabled: maybe}\n", "status_page", "enabled is true or false"),
        ("  status_pages: true\n", "status_pages", "status_pages"),
    ],
)
def test_mistakes_are_named_with_their_line(section, needle, words):
    text = WITHOUT + "metrics:\n" + section
    problems = problems_of(text)
    assert any(words in p for p in problems), problems
    line = len(WITHOUT.splitlines()) + 2  # the line after "metrics:"
    assert needle in text.splitlines()[line - 1]
    assert any(f"deskbot.yaml:{line}:" in p for p in problems), (line, problems)
