"""The weekly digest: a timer on the `digest` job posts the last seven days' whole-desk
report to the configured channel, with the three longest-open incidents, the week's SLA
breaches and its lowest satisfaction comments, then writes the next week's run.

The run falls on the configured weekday at the configured wall-clock time in the
configured zone, so it stays at 09:00 local across daylight-saving changes (a 09:00 that
does not exist that day moves to the end of the gap; see `calendars.local_instant`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain import timers
from domain.calendars import local_instant
from domain.context import SYSTEM, DeskContext
from domain.metrics.lists import breaches, longest_open, low_csat
from domain.metrics.records import MetricsJob
from domain.metrics.report import report_for
from domain.metrics.scope import resolve_scope
from domain.metrics_settings import Digest
from domain.notifications import notify_channel
from domain.records import Timer

JOB = "metrics_digest"
DIGEST = "digest"
PERIOD = timedelta(days=7)
log = logging.getLogger(__name__)


def load_jobs(ctx: DeskContext, ids: list[str]) -> dict:
    return timers.lock_subjects(ctx, MetricsJob, ids)


def next_run(digest: Digest, after: datetime) -> datetime:
    """The first digest instant strictly after `after` (UTC)."""
    zone = ZoneInfo(digest.zone)
    today = after.astimezone(zone).date()
    for offset in range(15):
        day = today + timedelta(days=offset)
        if day.weekday() == digest.weekday:
            at = local_instant(day, digest.at, zone)
            if at > after:
                return at
    raise AssertionError("a weekday recurs within a fortnight")  # pragma: no cover


def post_digest(ctx: DeskContext, channel: str) -> int:
    """Queue the digest of the seven days up to now to `channel`; returns the rows written."""
    now = ctx.clock.now()
    scope = resolve_scope(ctx, SYSTEM, since=now - PERIOD, until=now)
    report = report_for(ctx, scope).as_dict()
    return notify_channel(
        ctx,
        channel,
        "metrics_digest",
        report=report,
        chart=report,  # the delivery renders the chart image from it
        longest_open=longest_open(ctx, scope, 3),
        breaches=breaches(ctx, scope),
        low_csat=low_csat(ctx, scope, 3),
    )


@timers.timer_handler(JOB)
def fire_digest(ctx: DeskContext, timer: Timer, job: MetricsJob) -> None:
    """Write next week's run first (a failing digest must not end the schedule), then post."""
    digest = ctx.policy.metrics.digest
    now = ctx.clock.now()
    job.last_run_at = now
    if digest is None:
        return  # no longer configured: the schedule ends here
    timers.schedule(ctx, job, JOB, next_run(digest, now))
    try:
        with ctx.session.begin_nested():
            post_digest(ctx, digest.channel)
    except Exception:
        log.exception("metrics: the weekly digest failed; it runs again next week")


def schedule_digest(ctx: DeskContext) -> None:
    """At start-up: the digest's next run, when the configuration has a digest. A pending
    run still in the future follows the configuration (its day or time may have changed);
    one already due is left to fire."""
    digest = ctx.policy.metrics.digest
    if digest is None:
        return
    job = ctx.session.scalar(select(MetricsJob).where(MetricsJob.job == DIGEST))
    if job is None:
        job = MetricsJob(job=DIGEST, state="scheduled")
        ctx.session.add(job)
        ctx.session.flush()
    now = ctx.clock.now()
    due = next_run(digest, now)
    pending = ctx.session.scalars(
        select(Timer).where(
            Timer.subject_type == MetricsJob.subject_type,
            Timer.subject_id == str(job.id),
            Timer.state == "pending",
        )
    ).all()
    if any(t.due_at <= now or t.due_at == due for t in pending):
        return
    timers.cancel(ctx, job, [JOB])
    timers.schedule(ctx, job, JOB, due)
