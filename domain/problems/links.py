"""Incidents linked to the problem that causes them."""

from __future__ import annotations

from sqlalchemy import select

from domain import incidents
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, InvalidTransition
from domain.incidents import INCIDENT, IncidentRecord
from domain.incidents.lifecycle import announce_change as announce_incident
from domain.problems import lifecycle
from domain.problems.records import ProblemLink, ProblemRecord

MAX_AT_ONCE = 50  # incidents one command links


def link_incidents(
    ctx: DeskContext, actor: Actor, problem_key: str, incident_keys: list[str]
) -> tuple[ProblemRecord, list[IncidentRecord]]:
    """Link incidents to a problem: the same service, not cancelled, not linked already."""
    keys = [k for k in incident_keys if k.strip()]
    if not keys:
        raise InvalidInput("Name the incidents to link: /problem link PRB-2 INC-7 INC-9.")
    if len(keys) > MAX_AT_ONCE:
        raise InvalidInput(f"Link at most {MAX_AT_ONCE} incidents at once (you named {len(keys)}).")
    INCIDENT.require_permission("link", actor)
    problem = lifecycle.locked(ctx, actor, problem_key, "link")
    linked = []
    for key in dict.fromkeys(keys):
        incident = incidents.get_incident(ctx, key, for_update=True)
        link(ctx, actor, problem, incident)
        linked.append(incident)
    return problem, linked


def link(
    ctx: DeskContext,
    actor: Actor,
    problem: ProblemRecord,
    incident: IncidentRecord,
    *,
    workaround_of: int | None = None,
) -> ProblemLink:
    """Link one incident (checked) and say so on both timelines and the incident's card."""
    INCIDENT.require_state("link", incident.state, incident.key)
    existing = incident.problem_link
    if existing is not None:
        if existing.problem_id == problem.id:
            raise InvalidTransition(f"{incident.key} is already linked to {problem.key}.")
        other = f"PRB-{existing.problem_id}"
        raise InvalidTransition(
            f"{incident.key} is already linked to {other}; unlink it first: "
            f"/problem unlink {other} {incident.key}."
        )
    if problem.service and incident.service and problem.service != incident.service:
        raise InvalidInput(
            f"{incident.key} is about {incident.service} but {problem.key} is about "
            f"{problem.service}; link incidents of the problem's own service."
        )
    found = ProblemLink(
        incident=incident,
        problem=problem,
        linked_at=ctx.clock.now(),
        linked_by=actor.name,
        workaround_of=workaround_of,
    )
    ctx.session.add(found)
    lifecycle.record_event(ctx, problem, actor, "linked", f"{incident.key} linked")
    incidents.record_event(ctx, incident, actor, "linked", f"Linked to {problem.key}")
    if incident.id is not None and workaround_of is None:
        announce_incident(ctx, incident, f"linked to {problem.key} by @{actor.name}")
    return found


def unlink_incident(
    ctx: DeskContext, actor: Actor, problem_key: str, incident_key: str
) -> tuple[ProblemRecord, IncidentRecord]:
    """Take an incident off a problem it was linked to by mistake."""
    problem = lifecycle.locked(ctx, actor, problem_key, "unlink")
    incident = incidents.get_incident(ctx, incident_key, for_update=True)
    found = incident.problem_link
    if found is None or found.problem_id != problem.id:
        raise InvalidTransition(f"{incident.key} is not linked to {problem.key}.")
    _unlink(ctx, actor, problem, incident, found)
    return problem, incident


def unlink_all(ctx: DeskContext, problem: ProblemRecord, actor: Actor) -> None:
    """Free a cancelled problem's incidents (they may belong to another problem)."""
    for found in list(problem.links):
        _unlink(ctx, actor, problem, found.incident, found)


def _unlink(ctx, actor, problem, incident, found) -> None:
    ctx.session.delete(found)
    ctx.session.flush()
    ctx.session.expire(incident, ["problem_link"])
    lifecycle.record_event(ctx, problem, actor, "unlinked", f"{incident.key} unlinked")
    incidents.record_event(ctx, incident, actor, "unlinked", f"Unlinked from {problem.key}")
    announce_incident(ctx, incident, f"unlinked from {problem.key} by @{actor.name}")


def open_linked_incidents(ctx: DeskContext, problem: ProblemRecord) -> list[IncidentRecord]:
    """The problem's linked incidents that are still open, oldest first."""
    return list(
        ctx.session.scalars(
            select(IncidentRecord)
            .join(ProblemLink, ProblemLink.incident_id == IncidentRecord.id)
            .where(
                ProblemLink.problem_id == problem.id,
                IncidentRecord.state.in_(INCIDENT.open_states),
            )
            .order_by(IncidentRecord.id)
        )
    )


def resolve_linked_incidents(
    ctx: DeskContext, actor: Actor, problem_key: str
) -> tuple[ProblemRecord, list[IncidentRecord]]:
    """Resolve a resolved problem's open incidents in one step, with the problem's fix as
    their resolution: each reporter is told by DM and asked to confirm, as usual."""
    problem = lifecycle.locked(ctx, actor, problem_key, "resolve-incidents")
    waiting = open_linked_incidents(ctx, problem)
    if not waiting:
        raise InvalidTransition(f"{problem.key} has no open linked incidents left.")
    resolution = f"Fixed by {problem.key}: {problem.resolution}"[:4000]
    done = [incidents.resolve_incident(ctx, actor, i.key, resolution) for i in waiting]
    lifecycle.record_event(
        ctx, problem, actor, "incidents_resolved", "Resolved " + ", ".join(i.key for i in done)
    )
    return problem, done


def problem_of(incident: IncidentRecord) -> ProblemRecord | None:
    """The problem an incident is linked to, if any."""
    found = incident.problem_link
    return found.problem if found is not None else None
