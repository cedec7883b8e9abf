"""Hand-overs: when a schedule's on-call person changes (the rota turns, an override
starts or ends), the incoming person is told what they inherit, and the team's channel
gets one line. Each schedule has a rotation row whose timer falls due at the next change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain import schedules, timers
from domain.context import DeskContext
from domain.incidents.records import IncidentRecord
from domain.incidents.states import INCIDENT
from domain.major.records import MajorIncident
from domain.notifications import notify_channel, notify_person
from domain.oncall import rota
from domain.oncall.records import OncallRotation, Page
from domain.oncall_settings import Schedule
from domain.records import Timer

HANDOVER = "oncall_handover"
INHERITED_PRIORITIES = ("P1", "P2", "P3")


def start_rotations(ctx: DeskContext) -> None:
    """At start: every configured schedule has a rotation row and its next hand-over timer
    (recomputed, since the configuration may have changed while the desk was down)."""
    for oncall in ctx.policy.oncall.teams.values():
        for schedule in oncall.schedules.values():
            reschedule(ctx, schedule)


def reschedule(ctx: DeskContext, schedule: Schedule) -> OncallRotation:
    """Set the schedule's hand-over timer to its next change (now, if it changed already)."""
    rotation = _rotation(ctx, schedule)
    timers.cancel(ctx, rotation, (HANDOVER,))
    now = ctx.clock.now()
    person = rota.on_call(ctx, schedule, now).now.person
    due = now if person != rotation.person else _next_change(ctx, schedule, now)
    if due is not None:
        timers.schedule(ctx, rotation, HANDOVER, due)
    return rotation


def load_rotations(ctx: DeskContext, ids: list[str]) -> dict:
    """The rotations of a batch of timers, locked; busy ones are left for a later pass."""
    return timers.lock_subjects(ctx, OncallRotation, ids)


@timers.timer_handler(HANDOVER)
def fire_handover(ctx: DeskContext, timer: Timer, rotation: OncallRotation) -> None:
    """A schedule's on-call person changed: tell the incoming person and the team."""
    oncall = ctx.policy.oncall.teams.get(rotation.team)
    schedule = oncall.schedules.get(rotation.schedule) if oncall else None
    if schedule is None:
        return  # the schedule left the configuration
    now = ctx.clock.now()
    shift = rota.on_call(ctx, schedule, now).now
    if shift.person != rotation.person:
        _hand_over(ctx, schedule, rotation.person, shift)
        rotation.person, rotation.since = shift.person, now
    following = _next_change(ctx, schedule, now)
    if following is not None:
        timers.schedule(ctx, rotation, HANDOVER, following)


def inheritance(ctx: DeskContext, team: str) -> dict:
    """What someone coming on call for `team` takes over: its open P1–P3 incidents, its
    active pages, and every running major incident."""
    incidents = list(
        ctx.session.scalars(
            select(IncidentRecord)
            .where(
                IncidentRecord.assignment_group == team,
                IncidentRecord.state.in_(INCIDENT.open_states),
                IncidentRecord.priority.in_(INHERITED_PRIORITIES),
            )
            .order_by(IncidentRecord.priority, IncidentRecord.opened_at)
            .limit(20)
        )
    )
    pages = list(
        ctx.session.scalars(
            select(Page).where(Page.team == team, Page.state == "paging").order_by(Page.id)
        )
    )
    majors = _running_majors(ctx)
    return {
        "incidents": [
            {"key": i.key, "title": i.title, "priority": i.priority, "assignee": i.assignee}
            for i in incidents
        ],
        "pages": [{"key": p.key, "about": p.about_key, "reason": p.reason} for p in pages],
        "majors": majors,
    }


def _hand_over(ctx: DeskContext, schedule: Schedule, outgoing: str | None, shift) -> None:
    team = ctx.policy.teams.get(schedule.team)
    context = {
        "team": schedule.team,
        "schedule": schedule.name,
        "on_call": shift.person,
        "outgoing": outgoing,
        "until": shift.end,
        "zone": schedule.zone,
    }
    if shift.person is not None and shift.person in ctx.policy.people:
        notify_person(
            ctx, shift.person, HANDOVER, **context, inherited=inheritance(ctx, schedule.team)
        )
    if team is not None and team.channel:
        notify_channel(ctx, team.channel, "oncall_handover_note", **context)


def _next_change(ctx: DeskContext, schedule: Schedule, after: datetime) -> datetime | None:
    reach = ctx.policy.oncall.max_override
    found = rota.covers(ctx, schedule, after - reach, after + reach * 30)
    return schedules.next_change(schedule, after, found)


def _rotation(ctx: DeskContext, schedule: Schedule) -> OncallRotation:
    query = select(OncallRotation).where(
        OncallRotation.team == schedule.team, OncallRotation.schedule == schedule.name
    )
    found = ctx.session.scalar(query.with_for_update())
    if found is not None:
        return found
    now = ctx.clock.now()
    rotation = OncallRotation(
        team=schedule.team,
        schedule=schedule.name,
        person=rota.on_call(ctx, schedule, now).now.person,
        since=now,
        state="running",
    )
    try:
        with ctx.session.begin_nested():  # another process may be starting too
            ctx.session.add(rotation)
            ctx.session.flush()
    except IntegrityError:
        return ctx.session.scalar(query.with_for_update())
    return rotation


def _running_majors(ctx: DeskContext) -> list[dict]:
    rows = ctx.session.execute(
        select(MajorIncident.id, IncidentRecord.title)
        .join(IncidentRecord, IncidentRecord.id == MajorIncident.id)
        .where(MajorIncident.state == "running")
        .limit(10)
    )
    return [{"key": f"INC-{number}", "title": title} for number, title in rows]
