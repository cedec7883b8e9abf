"""The other processes' figures in a report: requests, access and satisfaction.

A request has a fulfilling team, a grant a holder, a survey a team and a person; none has a
service, so a report of a service alone does not measure them (their figures are None and
`measured` is False).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from domain.access.records import AccessGrant
from domain.context import DeskContext
from domain.incidents.records import IncidentRecord
from domain.metrics.figures import within
from domain.metrics.scope import Scope
from domain.metrics.sql import rate, stat
from domain.requests.records import RequestRecord
from domain.surveys.records import SurveyRecord

R = RequestRecord.__table__
G = AccessGrant.__table__
S = SurveyRecord.__table__
I = IncidentRecord.__table__  # noqa: E741


def _service_only(scope: Scope) -> bool:
    return scope.service is not None and scope.teams is None


def _members(ctx: DeskContext, scope: Scope) -> list[str]:
    """Everyone in the scope's teams (members and leads)."""
    people: set[str] = set()
    for name in scope.teams or ():
        team = ctx.policy.teams[name]
        people |= set(team.members) | ({team.lead} if team.lead else set())
    return sorted(people)


def _count(condition: ColumnElement) -> ColumnElement:
    # COUNT of a CASE with no ELSE: the rows meeting the condition (zero when none).
    return func.count(case((condition, 1)))


def requests(ctx: DeskContext, scope: Scope) -> dict[str, Any]:
    """Requests submitted and fulfilled in the window, and how long approval took for those
    approved in it (requests that needed no approval left out)."""
    if _service_only(scope):
        return {"measured": False, "submitted": None, "fulfilled": None, "approval": None}
    mine: list[ColumnElement] = []
    if scope.person is not None:
        mine.append(R.c.requester == scope.person)
    elif scope.teams is not None:
        mine.append(R.c.fulfil_team.in_(scope.teams))
    submitted = ctx.session.scalar(
        select(func.count()).where(*mine, *within(R.c.opened_at, scope.since, scope.until, ctx))
    )
    fulfilled = ctx.session.scalar(
        select(func.count()).where(
            *mine, R.c.state == "fulfilled", *within(R.c.closed_at, scope.since, scope.until, ctx)
        )
    )
    # Approved in the window: the request kept its approval time as it was approved (none
    # for a request that needed no approval).
    approval = stat(
        ctx,
        R.c.approval_seconds,
        [*mine, *within(R.c.approved_at, scope.since, scope.until, ctx)],
        walk=scope.all_time,
    )
    return {
        "measured": True,
        "submitted": int(submitted or 0),
        "fulfilled": int(fulfilled or 0),
        "approval": approval.as_dict(),
    }


def access(ctx: DeskContext, scope: Scope) -> dict[str, Any]:
    """Grants given (approved, or taken by break-glass), revoked and expired in the window,
    of the people in scope: everyone, a team's members, or oneself."""
    if _service_only(scope):
        return {"measured": False, "granted": None, "revoked": None, "expired": None}
    mine: list[ColumnElement] = []
    if scope.person is not None:
        mine.append(G.c.person == scope.person)
    elif scope.teams is not None:
        mine.append(G.c.person.in_(_members(ctx, scope)))
    granted = ctx.session.scalar(
        select(func.count()).where(*mine, *within(G.c.approved_at, scope.since, scope.until, ctx))
    )
    ended = dict(
        ctx.session.execute(
            select(G.c.state, func.count())
            .where(
                *mine,
                G.c.state.in_(("revoked", "expired")),
                *within(G.c.ended_at, scope.since, scope.until, ctx),
            )
            .group_by(G.c.state)
        ).all()
    )
    return {
        "measured": True,
        "granted": int(granted or 0),
        "revoked": int(ended.get("revoked", 0)),
        "expired": int(ended.get("expired", 0)),
    }


def survey_scope(scope: Scope) -> list[ColumnElement]:
    """The surveys a scope covers: its teams', its service's incidents', or one person's."""
    mine: list[ColumnElement] = []
    if scope.person is not None:
        mine.append(S.c.person == scope.person)
    if scope.teams is not None:
        mine.append(S.c.team.in_(scope.teams))
    if scope.service is not None:
        of_service = select(cast(I.c.id, String)).where(I.c.service == scope.service)
        mine.append(and_(S.c.ticket_type == "incident", S.c.ticket_id.in_(of_service)))
    return mine


def csat(ctx: DeskContext, scope: Scope) -> dict[str, Any]:
    """Of the surveys asked in the window: how many were answered, and their average score."""
    answered = S.c.answered_at.is_not(None)
    row = ctx.session.execute(
        select(func.count(), _count(answered), func.avg(S.c.score)).where(
            *survey_scope(scope), *within(S.c.asked_at, scope.since, scope.until, ctx)
        )
    ).one()
    asked, answers = int(row[0]), int(row[1])
    average = round(float(row[2]), 2) if row[2] is not None else None
    return {
        "asked": asked,
        "answered": answers,
        "answer_rate": rate(answers, asked),
        "average": average,
    }
