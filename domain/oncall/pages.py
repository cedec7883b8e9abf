"""Pages: a team's escalation policy run against one subject until someone acknowledges.

Each step notifies someone (the person on call in a schedule, the lead, the team's
channel, every member) and waits; a timer runs the next step. Acknowledging, or the
subject being dealt with (an incident responded to, resolved or cancelled), ends it.
Steps are timers, so a step is never run twice and survives a restart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain import keys, timers
from domain.context import SYSTEM, Actor, DeskContext
from domain.errors import InvalidTransition, PermissionDenied
from domain.notifications import notify_channel, notify_person
from domain.oncall import rota
from domain.oncall.records import Page
from domain.oncall.states import PAGE
from domain.oncall_settings import Step, TeamOncall

STEP = "page_step"  # the timer kind that runs a page's next step
# Pages that keep a subject from being paged again by the same team.
COVERING = ("paging", "acknowledged")
# What a page writes on its subject's timeline, by subject type: (ctx, subject, actor,
# kind, text). Registered by the on-call package for the subjects it knows (incidents).
TIMELINES: dict[str, Any] = {}
LOADERS: dict[str, Any] = {}  # subject type -> (ctx, id) -> subject or None
# subject type -> (ctx, ids) -> None: read many subjects into the session in one query.
PRELOADERS: dict[str, Any] = {}


def start_page(ctx: DeskContext, team: str, subject: Any, reason: str) -> Page | None:
    """Page `team` about `subject` (None when the team has no escalation policy, or a page
    about it is already active: a P1 declared major is not paged twice)."""
    oncall = ctx.policy.oncall.teams.get(team)
    if oncall is None or oncall.escalation is None or not oncall.escalation.steps:
        return None
    if _active(ctx, team, subject):
        return None
    now = ctx.clock.now()
    page = Page(
        team=team,
        about_type=subject.subject_type,
        about_id=str(subject.id),
        about_key=subject.key,
        title=getattr(subject, "title", "") or "",
        reason=reason,
        state="paging",
        step=0,
        round=0,
        paged="",
        reached="",
        opened_at=now,
    )
    try:
        # The partial unique index settles a race between two processes paging at once.
        with ctx.session.begin_nested():
            ctx.session.add(page)
            ctx.session.flush()
    except IntegrityError:
        return None
    _running(ctx, team).add((page.about_type, page.about_id))
    _timeline(ctx, page, SYSTEM, "paged", f"Paging {team} ({page.key}): {reason}")
    run_step(ctx, page)
    return page


def preload_subjects(ctx: DeskContext, pages: list[Page]) -> None:
    """Read the subjects of many pages at once, before their steps write on them."""
    wanted: dict[str, list[str]] = {}
    for page in pages:
        wanted.setdefault(page.about_type, []).append(page.about_id)
    for subject_type, ids in wanted.items():
        preload = PRELOADERS.get(subject_type)
        if preload is not None:
            preload(ctx, ids)


def get_page(ctx: DeskContext, key: str, *, for_update: bool = False) -> Page:
    """A page by its key (PAGE-3)."""
    return keys.load(ctx.session, Page, key, "PAGE", "page", for_update=for_update)


def run_step(ctx: DeskContext, page: Page) -> None:
    """Run the page's next step, and set the timer for the one after (or the end)."""
    oncall = ctx.policy.oncall.teams.get(page.team)
    policy = oncall.escalation if oncall else None
    if policy is None or not policy.steps:
        _end(ctx, page, "the team no longer has an escalation policy", cancel=False)
        return
    if page.step >= len(policy.steps):
        if page.round >= policy.repeat:
            _unanswered(ctx, page, oncall)
            return
        page.round, page.step = page.round + 1, 0
    step = policy.steps[page.step]
    said = _notify_step(ctx, page, oncall, step)
    number = f"step {page.step + 1} of {len(policy.steps)}"
    if page.round:
        number += f", repeat {page.round} of {policy.repeat}"
    _timeline(ctx, page, SYSTEM, "page_step", f"{page.key} ({number}): {said}")
    page.step += 1
    timers.schedule(ctx, page, STEP, ctx.clock.now() + step.wait)


def acknowledge(ctx: DeskContext, actor: Actor, key: str) -> Page:
    """Someone the page reached is on it: the policy stops, and the subject is answered."""
    page = get_page(ctx, key, for_update=True)
    _require(page, actor, "ack")
    now = ctx.clock.now()
    page.state, page.acknowledged_by, page.acknowledged_at = "acknowledged", actor.name, now
    timers.cancel(ctx, page, (STEP,))
    # The subject's own acknowledgement says it on its timeline (an incident's first
    # response); only when none did does the page write a line of its own.
    if not any([hook(ctx, actor, page) for hook in ON_ACKNOWLEDGE]):
        _timeline(ctx, page, actor, "page_acknowledged", f"{page.key} acknowledged by {actor.name}")
    _tell_the_others(ctx, page, actor.name, "page_answered", by=actor.name)
    return page


def escalate(ctx: DeskContext, actor: Actor, key: str) -> Page:
    """Skip the wait: run the next step now."""
    page = get_page(ctx, key, for_update=True)
    _require(page, actor, "escalate")
    timers.cancel(ctx, page, (STEP,))
    _timeline(ctx, page, actor, "page_escalated", f"{page.key} escalated by {actor.name}")
    run_step(ctx, page)
    return page


def stop(ctx: DeskContext, subject: Any, why: str, actor: Actor = SYSTEM) -> int:
    """End the subject's active pages (it was resolved, cancelled or responded to)."""
    pages = list(
        ctx.session.scalars(
            select(Page)
            .where(
                Page.about_type == subject.subject_type,
                Page.about_id == str(subject.id),
                Page.state == "paging",
            )
            .with_for_update()
        )
    )
    for page in pages:
        _end(ctx, page, why, actor)
        _tell_the_others(ctx, page, actor.name, "page_stopped", why=why)
    return len(pages)


# (ctx, actor, page) -> bool: what acknowledging a page does to its subject (an incident's
# first response); True when that wrote the subject's timeline. Registered by on-call.
ON_ACKNOWLEDGE: list[Any] = []


def _require(page: Page, actor: Actor, action: str) -> None:
    if page.state == "acknowledged":
        raise InvalidTransition(
            f"{page.key} was already acknowledged by {page.acknowledged_by} "
            f"at {page.acknowledged_at:%H:%M} UTC."
        )
    if page.state == "ended":
        raise InvalidTransition(f"{page.key} has ended: {page.end_reason}.")
    if not PAGE.action(action).permission(actor, page):
        paged = ", ".join(page.reached_people) or "nobody yet"
        raise PermissionDenied(
            f"{page.key} is paging {paged}; only someone it reached can "
            f"{'acknowledge' if action == 'ack' else 'escalate'} it. To take "
            f"{page.about_key} yourself, claim it (/incident claim {page.about_key}): "
            "that stops the page too."
        )


def _active(ctx: DeskContext, team: str, subject: Any) -> bool:
    """Whether a page about `subject` is running for `team`, or was acknowledged (someone
    is on it: a declaration or a breach after that wakes nobody again). A unit of work
    reads a team's pages once: a storm of SLA breaches asks it once per incident."""
    return (subject.subject_type, str(subject.id)) in _running(ctx, team)


def _running(ctx: DeskContext, team: str) -> set[tuple[str, str]]:
    key = ("oncall_running", team)
    if key not in ctx.cache:
        rows = ctx.session.execute(
            select(Page.about_type, Page.about_id).where(
                Page.team == team, Page.state.in_(COVERING)
            )
        )
        ctx.cache[key] = {(t, i) for t, i in rows}
    return ctx.cache[key]


def _notify_step(ctx: DeskContext, page: Page, oncall: TeamOncall, step: Step) -> str:
    """Notify whoever the step names; returns what was done, for the timeline."""
    team = ctx.policy.teams.get(page.team)
    target = step.notify
    if target in oncall.schedules:
        schedule = oncall.schedules[target]
        person = rota.person_on_call(ctx, schedule)
        if person is not None:
            _page_person(ctx, page, person, f"on call ({target})")
            return f"paged {person}, on call in {target}"
        # A gap in the rotation (or someone who left the desk): wake whoever can act.
        lead = team.lead if team else None
        if lead:
            _page_person(ctx, page, lead, f"lead: nobody is on call in {target}")
        _page_channel(ctx, page, f"nobody is on call in {target}")
        return f"nobody on call in {target}; paged {lead or 'no lead'} and the team's channel"
    if target == "lead":
        lead = team.lead if team else None
        if lead:
            _page_person(ctx, page, lead, "team lead")
            return f"paged {lead}, the team's lead"
        _page_channel(ctx, page, "the team has no lead")
        return "no lead; paged the team's channel"
    if target == "channel":
        _page_channel(ctx, page, "team channel")
        return "paged the team's channel"
    if target == "team":
        members = list(team.members) if team else []
        for member in members:
            _page_person(ctx, page, member, "every member")
        return f"paged every member: {', '.join(members)}"
    person = target.removeprefix("person:")
    _page_person(ctx, page, person, "named in the policy")
    return f"paged {person}"


def _page_person(ctx: DeskContext, page: Page, person: str, why: str) -> None:
    if person not in page.paged_people:
        page.paged = ",".join([*page.paged_people, person])
    _reach(page, [person])
    notify_person(ctx, person, "page", subject=page, why=why)


def _reach(page: Page, people: list[str]) -> None:
    new = [p for p in people if p not in page.reached_people]
    if new:
        page.reached = ",".join([*page.reached_people, *new])


def _page_channel(ctx: DeskContext, page: Page, why: str) -> None:
    team = ctx.policy.teams.get(page.team)
    channel = team.channel if team else None
    # Any member may answer a page put to the channel.
    _reach(page, list(team.members) if team else [])
    if channel:
        notify_channel(ctx, channel, "page_channel", subject=page, why=why)


def _unanswered(ctx: DeskContext, page: Page, oncall: TeamOncall) -> None:
    rounds = page.round + 1
    why = f"nobody acknowledged after {rounds} round(s) of the escalation policy"
    _end(ctx, page, why, cancel=False)
    team = ctx.policy.teams.get(page.team)
    channel = team.channel if team else None
    if channel:
        notify_channel(ctx, channel, "page_unanswered", subject=page, rounds=rounds)
    if team and team.lead:
        notify_person(ctx, team.lead, "page_unanswered", subject=page, rounds=rounds)


def _end(
    ctx: DeskContext, page: Page, why: str, actor: Actor = SYSTEM, *, cancel: bool = True
) -> None:
    """`cancel`: the page may have a step pending (not when its own step timer ends it)."""
    page.state, page.ended_at, page.end_reason = "ended", ctx.clock.now(), why
    _running(ctx, page.team).discard((page.about_type, page.about_id))
    if cancel:
        timers.cancel(ctx, page, (STEP,))
    _timeline(ctx, page, actor, "page_ended", f"{page.key} stopped: {why}")


def _tell_the_others(ctx: DeskContext, page: Page, who: str, kind: str, **context: Any) -> None:
    """Everyone the page sent a DM hears how it ended, so nobody gets up for nothing."""
    for person in page.paged_people:
        if person != who:
            notify_person(ctx, person, kind, subject=page, **context)


def _timeline(ctx: DeskContext, page: Page, actor: Actor, kind: str, text: str) -> None:
    writer = TIMELINES.get(page.about_type)
    loader = LOADERS.get(page.about_type)
    if writer is None or loader is None:
        return
    subject = loader(ctx, page.about_id)
    if subject is not None:
        writer(ctx, subject, actor, kind, text)
