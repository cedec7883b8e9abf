"""A grant's timers (reminders before expiry, the expiry, directory retries), a review's
reminders, and the periodic jobs: reconciliation and scheduled reviews."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from domain import approvals, audit, timers
from domain.access import reconcile as reconciling
from domain.access import reviews
from domain.access.directory_steps import close, end_many, give, take
from domain.access.lifecycle import APPROVAL_REMINDER, REQUEST_LAPSES
from domain.access.records import AccessGrant, AccessJob, AccessReview
from domain.access.steps import record_event, tell_holder, when
from domain.clock import format_duration
from domain.context import SYSTEM, DeskContext
from domain.notifications import notify_person
from domain.records import Timer

JOB = "access_job"
log = logging.getLogger(__name__)


def load_grants(ctx: DeskContext, ids: list[str]) -> dict:
    return timers.lock_subjects(ctx, AccessGrant, ids)


def load_reviews(ctx: DeskContext, ids: list[str]) -> dict:
    return timers.lock_subjects(ctx, AccessReview, ids)


def load_jobs(ctx: DeskContext, ids: list[str]) -> dict:
    return timers.lock_subjects(ctx, AccessJob, ids)


def _expiring(ctx: DeskContext, grant: AccessGrant, left: str) -> None:
    if grant.state != "granted":
        return
    resource = ctx.policy.access.resources.get(grant.resource)
    notify_person(
        ctx,
        grant.person,
        "access_expiring",
        subject=grant,
        left=left,
        until=when(grant.expires_at),
        self_renew=bool(resource and resource.self_renew and not grant.break_glass),
    )


@timers.timer_handler("access_remind_day")
def fire_remind_day(ctx: DeskContext, timer: Timer, grant: AccessGrant) -> None:
    """A day before expiry: the holder may renew."""
    _expiring(ctx, grant, "a day")


@timers.timer_handler("access_remind_hour")
def fire_remind_hour(ctx: DeskContext, timer: Timer, grant: AccessGrant) -> None:
    """An hour before expiry: the last reminder."""
    _expiring(ctx, grant, "an hour")


@timers.batch_handler("access_expiry")
def fire_expiries(ctx: DeskContext, due: list[tuple[Timer, AccessGrant]]) -> None:
    """The grants' time is up: the directory removes their groups, one change per group."""
    held = [grant for _, grant in due if grant.state in ("granted", "granting")]
    end_many(ctx, held, "expired", SYSTEM, "its time ran out")


@timers.timer_handler("access_retry")
def fire_retry(ctx: DeskContext, timer: Timer, grant: AccessGrant) -> None:
    """Try the directory again: add for a grant being given, remove for one ending."""
    if grant.state == "granting":
        give(ctx, grant, SYSTEM)
    elif grant.state == "ending":
        take(ctx, grant, SYSTEM)


@timers.timer_handler("access_approval_reminder")
def fire_approval_reminder(ctx: DeskContext, timer: Timer, grant: AccessGrant) -> None:
    """Owners who have not answered are asked again, daily, until the request lapses."""
    if grant.state != "pending":
        return
    waiting = approvals.waiting_on(ctx, grant, grant.asked)
    for owner in waiting:
        notify_person(ctx, owner, "access_approval", subject=grant, reminder=True)
    if waiting:
        record_event(ctx, grant, SYSTEM, "reminded", "Reminded " + ", ".join(waiting))
    timers.schedule(ctx, grant, "access_approval_reminder", ctx.clock.now() + APPROVAL_REMINDER)


@timers.timer_handler("access_request_lapse")
def fire_lapse(ctx: DeskContext, timer: Timer, grant: AccessGrant) -> None:
    """Nobody answered in time: the request is withdrawn, and its requester may ask again."""
    if grant.state != "pending":
        return
    why = f"no owner answered in {format_duration(REQUEST_LAPSES)}"
    close(ctx, grant, "cancelled", SYSTEM, why)
    record_event(ctx, grant, SYSTEM, "lapsed", f"Lapsed: {why}")
    audit.record(ctx, SYSTEM.name, "access.lapse", grant.key, {"reason": why})
    tell_holder(
        ctx, grant, f"withdrawn: {why}; ask again with /access request if you still need it"
    )


@timers.timer_handler("access_review_reminder")
def fire_review_reminder(ctx: DeskContext, timer: Timer, review: AccessReview) -> None:
    """Owners who have not answered are reminded, daily, until the review is done."""
    reviews.remind(ctx, review)


@timers.timer_handler(JOB)
def fire_job(ctx: DeskContext, timer: Timer, job: AccessJob) -> None:
    """Run a periodic job, then schedule its next run."""
    settings = ctx.policy.access
    job.last_run_at = ctx.clock.now()
    if job.job == "reconcile":
        if not settings.resources:
            return
        timers.schedule(ctx, job, JOB, ctx.clock.now() + settings.reconcile_every)
        _survive(ctx, "reconciliation", lambda: _reconcile(ctx, settings.repair))
        return
    resource = settings.resources.get(job.resource)
    if resource is None or resource.review_every is None:
        return  # no longer configured: the job stops
    timers.schedule(ctx, job, JOB, ctx.clock.now() + resource.review_every)
    if reviews.open_review(ctx, resource.name) is None:
        _survive(ctx, "scheduled review", lambda: reviews.start_review(ctx, SYSTEM, resource.name))


def _reconcile(ctx: DeskContext, repair: bool) -> None:
    reconciling.report(ctx, reconciling.reconcile(ctx, SYSTEM, repair=repair))


def _survive(ctx: DeskContext, what: str, work) -> None:
    """Run a periodic job's work in a savepoint of its own: if it fails, it is undone and
    logged, and the next run written before it still stands (a failing run must not end
    the schedule)."""
    try:
        with ctx.session.begin_nested():
            work()
    except Exception:
        log.exception("access: the %s failed; it runs again at its next time", what)


def schedule_jobs(ctx: DeskContext) -> None:
    """At start-up: make sure each periodic job of the configuration has its next run."""
    settings = ctx.policy.access
    if not settings.resources:
        return
    wanted: dict[tuple[str, str], timedelta] = {("reconcile", ""): settings.reconcile_every}
    for resource in settings.resources.values():
        if resource.review_every is not None:
            wanted[("review", resource.name)] = resource.review_every
    jobs = {(j.job, j.resource): j for j in ctx.session.scalars(select(AccessJob))}
    for (kind, resource), every in wanted.items():
        job = jobs.get((kind, resource))
        if job is None:
            job = AccessJob(job=kind, resource=resource)
            ctx.session.add(job)
            ctx.session.flush()
        pending = ctx.session.scalar(
            select(Timer.id).where(
                Timer.subject_type == AccessJob.subject_type,
                Timer.subject_id == str(job.id),
                Timer.state == "pending",
            )
        )
        if pending is None:
            timers.schedule(ctx, job, JOB, ctx.clock.now() + every)
