"""The weekly digest: written at start-up for the configured weekday and time in the
configured zone, it posts the last seven days' whole-desk report (with its chart, the
longest-open incidents, the breaches and the lowest comments) and writes next week's run."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, time

from sqlalchemy import select

from domain.clock import ManualClock
from domain.metrics.digest import next_run
from domain.metrics.records import MetricsJob
from domain.metrics_settings import Digest, MetricsSettings
from domain.records import OutboxMessage, Timer
from tests.harness import DeskHarness

LONDON = Digest(channel="service-desk", weekday=0, at=time(9, 0), zone="Europe/London")


def _timers(desk) -> list[tuple[str, datetime]]:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        rows = ctx.session.execute(
            select(Timer.state, Timer.due_at)
            .where(Timer.subject_type == MetricsJob.subject_type)
            .order_by(Timer.id)
        ).all()
    return [(state, due) for state, due in rows]


def _digests(desk) -> list[OutboxMessage]:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        rows = ctx.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "metrics_digest")
        ).all()
        ctx.session.expunge_all()
    return list(rows)


def test_the_next_run_keeps_its_wall_clock_time_across_daylight_saving():
    # Mondays at 09:00 London: GMT (UTC+0) in winter, BST (UTC+1) from 29 March 2026 to
    # 25 October 2026.
    assert next_run(LONDON, datetime(2026, 3, 23, 9, 0, tzinfo=UTC)) == datetime(
        2026, 3, 30, 8, 0, tzinfo=UTC
    )
    assert next_run(LONDON, datetime(2026, 10, 19, 8, 0, tzinfo=UTC)) == datetime(
        2026, 10, 26, 9, 0, tzinfo=UTC
    )
    # Earlier the same Monday: today's run; a Sunday evening: the next morning.
    assert next_run(LONDON, datetime(2026, 1, 5, 8, 59, tzinfo=UTC)) == datetime(
        2026, 1, 5, 9, 0, tzinfo=UTC
    )
    friday = Digest(channel="x", weekday=4, at=time(17, 30), zone="America/New_York")
    assert next_run(friday, datetime(2026, 1, 4, 23, 0, tzinfo=UTC)) == datetime(
        2026, 1, 9, 22, 30, tzinfo=UTC
    )


def test_the_digest_schedules_itself_posts_the_week_and_schedules_the_next(
    database_url, example_config
):
    assert example_config.policy.metrics.digest == LONDON  # the example company's
    # Monday 23 March 2026, 10:00 UTC: this week's 09:00 has passed; the next is on the
    # 30th, after the clocks go forward: 09:00 BST = 08:00 UTC.
    clock = ManualClock(datetime(2026, 3, 23, 10, 0, tzinfo=UTC))
    desk = DeskHarness.start(database_url, example_config, clock=clock, periodic_jobs=True)
    try:
        first = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
        assert _timers(desk) == [("pending", first)]
        desk.runtime.start_periodic_jobs()  # a second process starting: nothing doubles
        assert _timers(desk) == [("pending", first)]
        desk.say("alice", '/incident new "VPN drops" --service vpn --impact high --urgency medium')
        desk.advance(days=6)  # its SLA timers fire (and breach) first
        clock.advance(first - clock.now())
        desk.runtime.timers.run_due()
        (digest,) = _digests(desk)
        assert (digest.destination_kind, digest.destination) == ("channel", "service-desk")
        context = json.loads(digest.context)
        report = context["report"]
        assert context["chart"] == report
        assert report["scope"]["label"] == "the whole desk"
        assert report["scope"]["since"] == "2026-03-23T08:00:00+00:00"  # seven days before
        assert report["scope"]["until"] == "2026-03-30T08:00:00+00:00"
        assert report["opened"] == 1
        # The P2 went unanswered for a week: it breached both clocks, and is the oldest open.
        assert [b["clock"] for b in context["breaches"]] == ["resolve", "respond"]
        assert [i["key"] for i in context["longest_open"]] == ["INC-1"]
        assert context["low_csat"] == []
        assert _timers(desk) == [
            ("fired", first),
            ("pending", datetime(2026, 4, 6, 8, 0, tzinfo=UTC)),
        ]
    finally:
        desk.close()


def test_no_digest_configured_schedules_nothing(database_url, example_config):
    policy = dataclasses.replace(example_config.policy, metrics=MetricsSettings())
    config = dataclasses.replace(example_config, policy=policy)
    desk = DeskHarness.start(database_url, config, periodic_jobs=True)
    try:
        assert _timers(desk) == []
    finally:
        desk.close()


def test_a_digest_no_longer_configured_ends_its_schedule(database_url, example_config):
    clock = ManualClock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    desk = DeskHarness.start(database_url, example_config, clock=clock, periodic_jobs=True)
    desk.close()
    policy = dataclasses.replace(example_config.policy, metrics=MetricsSettings())
    config = dataclasses.replace(example_config, policy=policy)
    desk = DeskHarness.start(database_url, config, clock=clock, periodic_jobs=True)
    try:
        clock.advance(datetime(2026, 1, 12, 9, 0, tzinfo=UTC) - clock.now())
        desk.runtime.timers.run_due()
        assert _digests(desk) == []
        assert [state for state, _ in _timers(desk)] == ["fired"]
    finally:
        desk.close()
