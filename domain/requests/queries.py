"""Reading requests: the catalogue a person may use, one request in full, a list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, cast, or_, select

from domain import approvals
from domain.catalog import CatalogItem
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, PermissionDenied
from domain.records import ApprovalDecision
from domain.requests.lifecycle import get_request, involved, may_request
from domain.requests.records import RequestEvent, RequestRecord
from domain.requests.states import REQUEST

LIST_LIMIT = 20


def catalog_for(ctx: DeskContext, actor: Actor) -> list[CatalogItem]:
    """The catalogue items this person may request, in the config's order."""
    return [item for item in ctx.policy.catalog.values() if may_request(ctx, actor, item)]


@dataclass(frozen=True)
class RequestDetail:
    """A request, who answered on its approval, and its timeline."""

    request: RequestRecord
    decisions: dict[str, str]  # approver → "approved" or "denied"
    waiting_on: list[str]
    timeline: list[RequestEvent]


def show_request(ctx: DeskContext, actor: Actor, key: str) -> RequestDetail:
    """The requester, its approvers, its assignee and agents see a request."""
    request = get_request(ctx, key)
    if not involved(request, actor):
        raise PermissionDenied(
            f"You can see your own requests and those you approve; {request.key} is neither."
        )
    waiting = (
        approvals.waiting_on(ctx, request, request.asked)
        if request.state == "awaiting_approval"
        else []
    )
    words = {"approve": "approved", "deny": "denied"}
    answered = {who: words[d] for who, d in approvals.decisions(ctx, request).items()}
    return RequestDetail(request, answered, waiting, list(request.timeline))


@dataclass(frozen=True)
class RequestList:
    """Requests and the words that say which list it is."""

    title: str
    requests: list[RequestRecord]
    total: int


def list_requests(
    ctx: DeskContext,
    actor: Actor,
    *,
    approvals_only: bool = False,
    team: str | None = None,
    include_closed: bool = False,
    limit: int = LIST_LIMIT,
) -> RequestList:
    """Your requests; with `approvals_only`, those waiting for your answer; agents may list
    a team's fulfilment queue."""
    query = select(RequestRecord)
    if approvals_only:
        answered = select(cast(ApprovalDecision.subject_id, Integer)).where(
            ApprovalDecision.subject_type == "request", ApprovalDecision.approver == actor.name
        )
        # Approvers are stored as "a,b,c": match the name as a whole item of that list.
        name = actor.name
        query = query.where(
            RequestRecord.state == "awaiting_approval",
            or_(
                RequestRecord.approvers == name,
                RequestRecord.approvers.startswith(f"{name},", autoescape=True),
                RequestRecord.approvers.endswith(f",{name}", autoescape=True),
                RequestRecord.approvers.contains(f",{name},", autoescape=True),
            ),
            RequestRecord.id.not_in(answered),
        )
        title = "Requests waiting for your approval"
    elif team is not None:
        if not actor.is_agent:
            raise PermissionDenied("Only service-desk agents can list a team's requests.")
        name = team.strip().lower()
        if name not in ctx.policy.teams:
            raise InvalidInput(f"There is no team '{team[:40]}'.")
        query = query.where(RequestRecord.fulfil_team == name)
        if not include_closed:
            query = query.where(RequestRecord.state.in_(("approved", "in_progress")))
        title = f"Requests for team {name} to fulfil"
    else:
        query = query.where(RequestRecord.requester == actor.name)
        if not include_closed:
            query = query.where(RequestRecord.state.in_(REQUEST.open_states))
        title = "Your requests" if include_closed else "Your open requests"
    rows = list(ctx.session.scalars(query.order_by(RequestRecord.id.desc()).limit(limit + 1)))
    return RequestList(title, rows[:limit], len(rows))
