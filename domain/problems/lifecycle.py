"""Problem management: log a problem, investigate it, find its root cause, fix it, close it."""

from __future__ import annotations

from domain import keys
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, InvalidTransition, PermissionDenied
from domain.incidents.fields import check_level, clean_title, find_service
from domain.notifications import notify_channel, notify_person
from domain.people import get_person
from domain.problems.records import ProblemEvent, ProblemRecord
from domain.problems.states import PROBLEM
from domain.text import check_text

CARD = "card"  # the message reference of a problem's card


def get_problem(ctx: DeskContext, key: str | int, *, for_update: bool = False) -> ProblemRecord:
    """Load a problem by number or key."""
    return keys.load(ctx.session, ProblemRecord, key, "PRB", "problem", for_update=for_update)


def open_problem(
    ctx: DeskContext,
    actor: Actor,
    *,
    title: str,
    description: str = "",
    service: str | None = None,
    category: str | None = None,
    impact: str = "medium",
    urgency: str = "medium",
) -> ProblemRecord:
    """Log a problem, owned by its service's team (else the actor's), and post its card."""
    if not actor.is_agent:
        raise PermissionDenied("Only service-desk agents can open problems.")
    title = clean_title(title, "A problem")
    description = check_text(description, "The description")
    impact, urgency = check_level(impact, "impact"), check_level(urgency, "urgency")
    owner = next((t.name for t in ctx.policy.teams_of(actor.name)), ctx.policy.triage_team)
    if category is not None and service is None:
        raise InvalidInput("Give the service too: --service NAME --category NAME.")
    if service is not None:
        found = find_service(ctx, service, category)
        service, owner = found.name, found.owner
    now = ctx.clock.now()
    problem = ProblemRecord(
        title=title,
        description=description,
        service=service,
        category=category,
        priority=ctx.policy.priority(impact, urgency),
        owner_team=owner,
        state="new",
        opened_by=actor.name,
        opened_at=now,
        updated_at=now,
    )
    ctx.session.add(problem)
    ctx.session.flush()
    record_event(ctx, problem, actor, "opened", f"Opened with priority {problem.priority}")
    notify_channel(ctx, _channel(ctx, problem), "problem_opened", subject=problem, creates_ref=CARD)
    return problem


def claim_problem(ctx: DeskContext, actor: Actor, key: str) -> ProblemRecord:
    """An agent takes a problem and starts investigating it."""
    problem = locked(ctx, actor, key, "claim")
    if problem.assignee == actor.name and problem.state != "new":
        raise InvalidTransition(f"You are already working on {problem.key}.")
    previous, problem.assignee = problem.assignee, actor.name
    if problem.state == "new":
        problem.state = "investigating"
    record_event(
        ctx,
        problem,
        actor,
        "claimed",
        f"Claimed by {actor.name}" + (f" (was {previous})" if previous else ""),
    )
    announce_change(ctx, problem, f"claimed by @{actor.name}")
    return problem


def assign_problem(ctx: DeskContext, actor: Actor, key: str, target: str) -> ProblemRecord:
    """Give a problem to a team or to an agent."""
    problem = locked(ctx, actor, key, "assign")
    name = target.strip().lstrip("@").lower()
    team = ctx.policy.teams.get(name)
    if team is not None:
        if problem.owner_team == team.name and problem.assignee is None:
            raise InvalidTransition(f"{problem.key} is already with {team.name}.")
        problem.owner_team, problem.assignee = team.name, None
        record_event(ctx, problem, actor, "assigned", f"Assigned to team {team.name}")
        announce_change(ctx, problem, f"assigned to team {team.name} by @{actor.name}")
        return problem
    person = get_person(ctx, name)
    if not person.role_set & {"agent", "admin"}:
        raise InvalidInput(
            f"{person.name} is not an agent, so problems cannot be assigned to them."
        )
    if problem.assignee == person.name:
        raise InvalidTransition(f"{problem.key} is already assigned to {person.name}.")
    problem.assignee = person.name
    if problem.state == "new":
        problem.state = "investigating"
    record_event(ctx, problem, actor, "assigned", f"Assigned to {person.name}")
    announce_change(ctx, problem, f"assigned to @{person.name} by @{actor.name}")
    if person.name != actor.name:
        notify_person(ctx, person.name, "problem_assigned", subject=problem, by=actor.name)
    return problem


def note_problem(ctx: DeskContext, actor: Actor, key: str, text: str) -> ProblemRecord:
    """Add a finding to the problem's timeline."""
    text = check_text(text, "A note")
    if not text:
        raise InvalidInput("A note needs some text.")
    problem = locked(ctx, actor, key, "note")
    record_event(ctx, problem, actor, "note", text)
    return problem


def record_root_cause(ctx: DeskContext, actor: Actor, key: str, cause: str) -> ProblemRecord:
    """Write down the root cause found (or a better account of it)."""
    cause = check_text(cause, "The root cause")
    if not cause:
        raise InvalidInput('Say what the root cause is: /problem rca PRB-2 "the DHCP lease …".')
    problem = locked(ctx, actor, key, "rca")
    problem.root_cause = cause
    if problem.state == "new":
        problem.state = "investigating"
    problem.assignee = problem.assignee or actor.name
    record_event(ctx, problem, actor, "root_cause", cause)
    announce_change(ctx, problem, f"root cause recorded by @{actor.name}: {cause}")
    return problem


def resolve_problem(ctx: DeskContext, actor: Actor, key: str, resolution: str) -> ProblemRecord:
    """The permanent fix is in: the problem is resolved and its known error stops being
    offered. Whoever resolved it is offered to resolve its open linked incidents."""
    from domain.problems.links import open_linked_incidents

    resolution = check_text(resolution, "The resolution")
    if not resolution:
        raise InvalidInput('Say what the permanent fix was: /problem resolve PRB-2 "patched …".')
    problem = locked(ctx, actor, key, "resolve")
    now = ctx.clock.now()
    problem.state, problem.resolution, problem.resolved_at = "resolved", resolution, now
    problem.assignee = problem.assignee or actor.name
    for known_error in problem.known_errors:
        known_error.active, known_error.updated_at = False, now
    record_event(ctx, problem, actor, "resolved", resolution)
    announce_change(ctx, problem, f"resolved by @{actor.name}: {resolution}")
    waiting = open_linked_incidents(ctx, problem)
    if waiting:
        notify_person(
            ctx,
            actor.name,
            "problem_resolved",
            subject=problem,
            incidents=[i.key for i in waiting],
        )
    return problem


def close_problem(ctx: DeskContext, actor: Actor, key: str) -> ProblemRecord:
    """A resolved problem whose fix has held: closed."""
    problem = locked(ctx, actor, key, "close")
    problem.state, problem.closed_at = "closed", ctx.clock.now()
    record_event(ctx, problem, actor, "closed", "Closed")
    announce_change(ctx, problem, f"closed by @{actor.name}")
    return problem


def cancel_problem(ctx: DeskContext, actor: Actor, key: str, reason: str = "") -> ProblemRecord:
    """Withdraw a problem that was no problem (or a duplicate); its incidents are unlinked."""
    from domain.problems.links import unlink_all

    reason = check_text(reason, "The reason")
    problem = locked(ctx, actor, key, "cancel")
    problem.state, problem.closed_at = "cancelled", ctx.clock.now()
    for known_error in problem.known_errors:
        known_error.active = False
    unlink_all(ctx, problem, actor)
    record_event(ctx, problem, actor, "cancelled", reason or "Cancelled")
    announce_change(ctx, problem, f"cancelled by @{actor.name}")
    return problem


def record_event(
    ctx: DeskContext, problem: ProblemRecord, actor: Actor, kind: str, text: str
) -> None:
    """Add an entry to the problem's timeline and mark it updated."""
    now = ctx.clock.now()
    problem.updated_at = now
    ctx.record(ProblemEvent, problem_id=problem.id, at=now, actor=actor.name, kind=kind, text=text)


def announce_change(ctx: DeskContext, problem: ProblemRecord, change: str) -> None:
    """Edit the problem's card in its team's channel and say there what changed."""
    notify_channel(
        ctx,
        _channel(ctx, problem),
        "problem_updated",
        subject=problem,
        updates_ref=CARD,
        change=change,
    )


def _channel(ctx: DeskContext, problem: ProblemRecord) -> str | None:
    return ctx.policy.team_channel(problem.owner_team) or ctx.policy.triage_channel


def locked(ctx: DeskContext, actor: Actor, key: str, action: str) -> ProblemRecord:
    """The problem, locked, after checking that the actor may take `action` in its state."""
    PROBLEM.require_permission(action, actor)
    problem = get_problem(ctx, key, for_update=True)
    PROBLEM.require_state(action, problem.state, problem.key)
    return problem
