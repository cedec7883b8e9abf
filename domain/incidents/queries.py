"""Reading incidents: one in full, or a queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.incidents import sla
from domain.incidents.lifecycle import OPEN_STATES, STATE_LABELS, get_incident, require_can_see
from domain.incidents.records import IncidentRecord, TimelineEntry

LIST_LIMIT = 20


@dataclass(frozen=True)
class IncidentDetail:
    """An incident with its timeline and the time left on its SLA clocks."""

    incident: IncidentRecord
    timeline: list[TimelineEntry]
    respond_left: timedelta | None
    resolve_left: timedelta | None
    business_hours: str | None = None  # the calendar the time left counts in, if any


@dataclass(frozen=True)
class IncidentQueue:
    """A list of incidents and the words that describe which list it is."""

    title: str
    incidents: list[IncidentRecord]
    total: int


def show_incident(ctx: DeskContext, actor: Actor, key: str) -> IncidentDetail:
    """One incident, everything about it that the actor may see."""
    incident = get_incident(ctx, key)
    require_can_see(actor, incident)
    left = sla.remaining(ctx, incident)
    calendar = sla.calendar_of(ctx, incident)
    return IncidentDetail(
        incident,
        list(incident.timeline),
        left["respond"],
        left["resolve"],
        business_hours=calendar.name if calendar else None,
    )


def list_incidents(
    ctx: DeskContext,
    actor: Actor,
    *,
    mine: bool = False,
    team: str | None = None,
    state: str | None = None,
    priority: str | None = None,
    include_closed: bool = False,
    limit: int = LIST_LIMIT,
) -> IncidentQueue:
    """An employee's own incidents, or for agents their team's queue (or one they name);
    `priority` narrows it to one priority."""
    query = select(IncidentRecord)
    if priority is not None:
        query = query.where(IncidentRecord.priority == priority.strip().upper())
    if state is not None:
        state = state.strip().lower().replace(" ", "_").replace("-", "_")
        if state not in STATE_LABELS:
            raise InvalidInput(
                f"Unknown state '{state[:30]}'; use one of: {', '.join(STATE_LABELS)}."
            )
        query = query.where(IncidentRecord.state == state)
        states_word = STATE_LABELS[state].lower()
    elif include_closed:
        states_word = ""
    else:
        query = query.where(IncidentRecord.state.in_(OPEN_STATES))
        states_word = "open"

    if team is not None:
        if not actor.is_agent:
            raise PermissionDenied("Only agents can list a team's queue.")
        found = ctx.policy.teams.get(team.strip().lstrip("@").lower())
        if found is None:
            raise NotFound(
                f"There is no team '{team[:40]}'. Teams: {', '.join(sorted(ctx.policy.teams))}."
            )
        query = query.where(IncidentRecord.assignment_group == found.name)
        title = f"{states_word} incidents of team {found.name}".strip().capitalize()
    elif not actor.is_agent:
        query = query.where(IncidentRecord.reporter == actor.name)
        title = " ".join(w for w in ("Your", states_word, "incidents") if w)
    elif mine:
        query = query.where(IncidentRecord.assignee == actor.name)
        title = f"{states_word} incidents assigned to you".strip().capitalize()
    else:
        teams = [t.name for t in ctx.policy.teams_of(actor.name)]
        if teams:
            query = query.where(IncidentRecord.assignment_group.in_(teams))
            title = f"{states_word} incidents of {', '.join(teams)}".strip().capitalize()
        else:
            title = " ".join(w for w in ("All", states_word, "incidents") if w)
    rows = list(
        ctx.session.scalars(
            query.order_by(IncidentRecord.priority, IncidentRecord.id).limit(limit + 1)
        )
    )
    return IncidentQueue(title, rows[:limit], len(rows))
