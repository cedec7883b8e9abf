"""Reading problems: one in full, a list, and the problems an incident could be linked to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from domain import incidents
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.incidents import IncidentRecord
from domain.problems.lifecycle import get_problem
from domain.problems.records import ProblemEvent, ProblemLink, ProblemRecord
from domain.problems.states import PROBLEM

LIST_LIMIT = 20


@dataclass(frozen=True)
class ProblemDetail:
    """A problem, its linked incidents and (for agents) its timeline."""

    problem: ProblemRecord
    incidents: list[IncidentRecord]
    timeline: list[ProblemEvent]


def show_problem(ctx: DeskContext, actor: Actor, key: str) -> ProblemDetail:
    """Agents see everything; an employee sees a problem linked to an incident they reported."""
    problem = get_problem(ctx, key)
    linked = list(
        ctx.session.scalars(
            select(IncidentRecord)
            .join(ProblemLink, ProblemLink.incident_id == IncidentRecord.id)
            .where(ProblemLink.problem_id == problem.id)
            .order_by(IncidentRecord.id)
        )
    )
    if not actor.is_agent:
        own = [i for i in linked if i.reporter == actor.name]
        if not own:
            raise PermissionDenied(
                f"You can see problems linked to incidents you reported; {problem.key} is not one."
            )
        return ProblemDetail(problem, own, [])
    return ProblemDetail(problem, linked, list(problem.timeline))


@dataclass(frozen=True)
class ProblemList:
    """Problems and the words that say which list it is."""

    title: str
    problems: list[ProblemRecord]
    total: int


def list_problems(
    ctx: DeskContext,
    actor: Actor,
    *,
    mine: bool = False,
    service: str | None = None,
    state: str | None = None,
    include_closed: bool = False,
    limit: int = LIST_LIMIT,
) -> ProblemList:
    """Open problems (agents), or the problems behind an employee's own incidents."""
    query = select(ProblemRecord)
    words = "open"
    if state is not None:
        state = state.strip().lower().replace(" ", "_").replace("-", "_")
        if state not in PROBLEM.labels:
            raise InvalidInput(
                f"Unknown state '{state[:30]}'; use one of: {', '.join(PROBLEM.labels)}."
            )
        query, words = query.where(ProblemRecord.state == state), PROBLEM.label(state).lower()
    elif include_closed:
        words = ""
    else:
        query = query.where(ProblemRecord.state.in_(PROBLEM.open_states))
    if service is not None:
        name = service.strip().lower()
        if name not in ctx.policy.services:
            raise NotFound(f"There is no service '{service[:40]}'.")
        query = query.where(ProblemRecord.service == name)
    if not actor.is_agent:
        query = query.where(
            ProblemRecord.id.in_(
                select(ProblemLink.problem_id)
                .join(IncidentRecord, IncidentRecord.id == ProblemLink.incident_id)
                .where(IncidentRecord.reporter == actor.name)
            )
        )
        title = " ".join(w for w in ("Problems behind your", "incidents") if w)
    elif mine:
        query = query.where(ProblemRecord.assignee == actor.name)
        title = f"{words} problems assigned to you".strip().capitalize()
    else:
        title = f"{words} problems".strip().capitalize()
    rows = list(
        ctx.session.scalars(
            query.order_by(ProblemRecord.priority, ProblemRecord.id).limit(limit + 1)
        )
    )
    return ProblemList(title, rows[:limit], len(rows))


def link_candidates(
    ctx: DeskContext, actor: Actor, incident_key: str, limit: int = 25
) -> list[ProblemRecord]:
    """The open problems an incident could be linked to: its service's (or any, without one)."""
    incident = incidents.get_incident(ctx, incident_key)
    PROBLEM.require_permission("link", actor)
    query = select(ProblemRecord).where(ProblemRecord.state.in_(PROBLEM.open_states))
    if incident.service is not None:
        query = query.where(
            (ProblemRecord.service == incident.service) | ProblemRecord.service.is_(None)
        )
    return list(ctx.session.scalars(query.order_by(ProblemRecord.id.desc()).limit(limit)))
