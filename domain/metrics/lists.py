"""The lists a digest shows beside its figures: the longest-open incidents, the SLA
breaches of the period and its lowest satisfaction comments — plain dicts, ready to post."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from domain.context import DeskContext
from domain.incidents.states import OPEN
from domain.metrics.activity import S, survey_scope
from domain.metrics.figures import I, T, in_scope, within
from domain.metrics.scope import Scope


def longest_open(ctx: DeskContext, scope: Scope, n: int = 3) -> list[dict[str, Any]]:
    """The `n` incidents of the scope open longest now, oldest first."""
    rows = ctx.session.execute(
        select(
            I.c.id,
            I.c.title,
            I.c.priority,
            I.c.state,
            I.c.assignment_group,
            I.c.assignee,
            I.c.opened_at,
        )
        .where(*in_scope(scope), I.c.state.in_(OPEN))
        .order_by(I.c.opened_at, I.c.id)
        .limit(n)
    ).all()
    return [
        {
            "key": f"INC-{row.id}",
            "title": row.title,
            "priority": row.priority,
            "state": row.state,
            "team": row.assignment_group,
            "assignee": row.assignee,
            "opened_at": row.opened_at.isoformat(),
            "age_s": round((scope.now - row.opened_at).total_seconds(), 3),
        }
        for row in rows
    ]


def breaches(ctx: DeskContext, scope: Scope, limit: int = 10) -> list[dict[str, Any]]:
    """SLA breaches that happened in the window (latest first, at most `limit`)."""
    rows = ctx.session.execute(
        select(I.c.id, I.c.title, I.c.priority, I.c.assignment_group, T.c.at, T.c.text)
        .select_from(T.join(I, I.c.id == T.c.incident_id))
        .where(
            T.c.kind == "sla_breach", *in_scope(scope), *within(T.c.at, scope.since, scope.until)
        )
        .order_by(T.c.at.desc(), T.c.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "key": f"INC-{row.id}",
            "title": row.title,
            "priority": row.priority,
            "team": row.assignment_group,
            # The breach's timeline entry names its clock ("SLA breached: time to respond; …").
            "clock": "respond" if "time to respond" in row.text else "resolve",
            "at": row.at.isoformat(),
        }
        for row in rows
    ]


def low_csat(ctx: DeskContext, scope: Scope, n: int = 3) -> list[dict[str, Any]]:
    """The `n` lowest-scored answers with a comment given in the window (lowest first);
    the ticket and team, never who answered."""
    rows = ctx.session.execute(
        select(S.c.ticket_key, S.c.team, S.c.score, S.c.comment, S.c.answered_at)
        .where(
            *survey_scope(scope),
            S.c.score.is_not(None),
            func.length(func.coalesce(S.c.comment, "")) > 0,
            *within(S.c.answered_at, scope.since, scope.until),
        )
        .order_by(S.c.score, S.c.answered_at, S.c.id)
        .limit(n)
    ).all()
    return [
        {
            "ticket": row.ticket_key,
            "team": row.team,
            "score": row.score,
            "comment": row.comment,
            "at": row.answered_at.isoformat(),
        }
        for row in rows
    ]
