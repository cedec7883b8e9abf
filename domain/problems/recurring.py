"""Proactive problem management: incidents that keep coming back on one service and
category are offered to the owning team as a problem, once per cluster."""

from __future__ import annotations

from sqlalchemy import or_, select

from domain import keys
from domain.clock import format_duration
from domain.context import Actor, DeskContext
from domain.incidents import IncidentRecord
from domain.notifications import notify_channel
from domain.problems import lifecycle
from domain.problems.links import link
from domain.problems.records import ProblemLink, ProblemRecord, SuggestionRecord
from domain.problems.states import PROBLEM, SUGGESTION

CARD = "card"
MAX_CLUSTER = 50  # incidents one suggestion lists


def watch(ctx: DeskContext, actor: Actor, incident: IncidentRecord) -> None:
    """After a new incident: add it to its service's open suggestion, or suggest a problem
    when enough unlinked incidents of its service and category opened within the window."""
    if incident.service is None or incident.problem_link is not None:
        return None
    same_kind = _same_kind(SuggestionRecord, incident)
    suggestion = ctx.session.scalar(
        select(SuggestionRecord)
        .where(*same_kind, SuggestionRecord.state == "suggested")
        .with_for_update()
    )
    if suggestion is not None:
        if len(suggestion.incidents) < MAX_CLUSTER:
            suggestion.incident_ids += f",{incident.id}"
            suggestion.updated_at = ctx.clock.now()
            _announce(ctx, suggestion, f"{incident.key} is one more")
        return None
    if _covered(ctx, incident):
        return None
    since = ctx.clock.now() - ctx.policy.recurring_window
    decided = ctx.session.scalar(
        select(SuggestionRecord)
        .where(*same_kind, SuggestionRecord.state != "suggested")
        .order_by(SuggestionRecord.id.desc())
        .limit(1)
    )
    # After a dismissal (or a problem since closed), count afresh: only later incidents.
    after = max(decided.incidents, default=0) if decided and decided.updated_at >= since else 0
    cluster = list(
        ctx.session.scalars(
            select(IncidentRecord.id)
            .outerjoin(ProblemLink, ProblemLink.incident_id == IncidentRecord.id)
            .where(
                *_same_kind(IncidentRecord, incident),
                IncidentRecord.opened_at >= since,
                IncidentRecord.id > after,
                IncidentRecord.state != "cancelled",
                ProblemLink.incident_id.is_(None),
            )
            .order_by(IncidentRecord.id)
            .limit(MAX_CLUSTER)
        )
    )
    if len(cluster) < ctx.policy.recurring_incidents:
        return None
    now = ctx.clock.now()
    suggestion = SuggestionRecord(
        service=incident.service,
        category=incident.category,
        owner_team=incident.assignment_group,
        state="suggested",
        incident_ids=",".join(str(i) for i in cluster),
        first_at=now,
        updated_at=now,
    )
    ctx.session.add(suggestion)
    ctx.session.flush()
    notify_channel(
        ctx,
        _channel(ctx, suggestion),
        "suggestion_opened",
        subject=suggestion,
        creates_ref=CARD,
        window=format_duration(ctx.policy.recurring_window),
    )
    return None


def adopt(ctx: DeskContext, actor: Actor, key: str) -> tuple[SuggestionRecord, ProblemRecord]:
    """Open the suggested problem with the cluster's incidents linked."""
    suggestion = _locked(ctx, actor, key, "adopt")
    first = ctx.session.get(IncidentRecord, suggestion.incidents[0])
    what = f"{suggestion.service}" + (f"/{suggestion.category}" if suggestion.category else "")
    title = f"Recurring {what} incidents: {first.title if first else ''}".strip()
    problem = lifecycle.open_problem(
        ctx,
        actor,
        title=title[:200],
        description=f"Opened from {suggestion.key}: {len(suggestion.incidents)} incidents.",
        service=suggestion.service,
        category=suggestion.category,
    )
    for incident in ctx.session.scalars(
        select(IncidentRecord).where(IncidentRecord.id.in_(suggestion.incidents)).with_for_update()
    ):
        if incident.state != "cancelled" and incident.problem_link is None:
            link(ctx, actor, problem, incident)
    suggestion.state, suggestion.problem_id = "adopted", problem.id
    _decide(ctx, suggestion, actor, f"opened as {problem.key} by @{actor.name}")
    return suggestion, problem


def dismiss(ctx: DeskContext, actor: Actor, key: str) -> SuggestionRecord:
    """Not a problem: the suggestion is closed and counting starts afresh."""
    suggestion = _locked(ctx, actor, key, "dismiss")
    suggestion.state = "dismissed"
    _decide(ctx, suggestion, actor, f"dismissed by @{actor.name}")
    return suggestion


def _decide(ctx, suggestion, actor, change) -> None:
    suggestion.decided_by, suggestion.updated_at = actor.name, ctx.clock.now()
    _announce(ctx, suggestion, change)


def _locked(ctx: DeskContext, actor: Actor, key: str, action: str) -> SuggestionRecord:
    SUGGESTION.require_permission(action, actor)
    found = keys.load(ctx.session, SuggestionRecord, key, "SUG", "suggestion", for_update=True)
    SUGGESTION.require_state(action, found.state, found.key)
    return found


def _same_kind(record, incident: IncidentRecord) -> tuple:
    category = (
        record.category.is_(None)
        if incident.category is None
        else record.category == incident.category
    )
    return (record.service == incident.service, category)


def _covered(ctx: DeskContext, incident: IncidentRecord) -> bool:
    """Whether an open problem of the incident's service (and category, or none) exists."""
    category = ProblemRecord.category.is_(None)
    if incident.category is not None:
        category = or_(category, ProblemRecord.category == incident.category)
    return (
        ctx.session.scalar(
            select(ProblemRecord.id)
            .where(
                ProblemRecord.state.in_(PROBLEM.open_states),
                ProblemRecord.service == incident.service,
                category,
            )
            .limit(1)
        )
        is not None
    )


def _announce(ctx: DeskContext, suggestion: SuggestionRecord, change: str) -> None:
    notify_channel(
        ctx,
        _channel(ctx, suggestion),
        "suggestion_updated",
        subject=suggestion,
        updates_ref=CARD,
        change=change,
    )


def _channel(ctx: DeskContext, suggestion: SuggestionRecord) -> str | None:
    return ctx.policy.team_channel(suggestion.owner_team) or ctx.policy.triage_channel
