"""The post-incident review, written from data: what the review template is given, the
metrics (time to declare, to first update, to mitigate, to resolve), and keeping the
rendered document with the incident."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from domain.clock import format_duration
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput
from domain.major.action_items import items_of
from domain.major.lifecycle import incident_of, require_crew
from domain.major.records import MajorIncident, MajorRole, MajorUpdate
from domain.major.room import say_in_room
from domain.major.states import ACTION_ITEM, ROLE_LABELS
from domain.major.timeline import lines
from domain.problems.records import ProblemLink, ProblemRecord

MAX_REVIEW = 1_000_000  # characters: far beyond any real review, short of a runaway


def metrics(major: MajorIncident) -> dict[str, timedelta | None]:
    """How long each step took, from the moment the incident was logged."""

    def since_open(moment: datetime | None) -> timedelta | None:
        return moment - major.opened_at if moment else None

    return {
        "to_declare": since_open(major.declared_at),
        "to_first_update": since_open(major.first_update_at),
        "to_mitigate": since_open(major.mitigated_at),
        "to_resolve": since_open(major.resolved_at),
    }


def review_data(ctx: DeskContext, major: MajorIncident) -> dict[str, Any]:
    """Everything the review template shows, as plain values."""
    incident = incident_of(ctx, major, for_update=False)
    roles = ctx.session.scalars(
        select(MajorRole).where(MajorRole.major_id == major.id).order_by(MajorRole.id)
    )
    updates = ctx.session.scalars(
        select(MajorUpdate).where(MajorUpdate.major_id == major.id).order_by(MajorUpdate.id)
    )
    problems = ctx.session.execute(
        select(ProblemRecord.id, ProblemRecord.title, ProblemRecord.state)
        .join(ProblemLink, ProblemLink.problem_id == ProblemRecord.id)
        .where(ProblemLink.incident_id == major.id)
    ).all()
    measured = metrics(major)
    return {
        "key": major.key,
        "title": major.title,
        "priority": major.priority,
        "service": major.service,
        "team": major.team,
        "status": major.status,
        "state": major.state,
        "impact": major.impact,
        "description": incident.description,
        "resolution": incident.resolution,
        "opened_at": major.opened_at,
        "declared_at": major.declared_at,
        "declared_by": major.declared_by,
        "mitigated_at": major.mitigated_at,
        "resolved_at": major.resolved_at,
        "duration": format_duration(major.resolved_at - major.opened_at)
        if major.resolved_at
        else None,
        "metrics": {k: format_duration(v) if v is not None else None for k, v in measured.items()},
        "roles": [
            {
                "role": ROLE_LABELS.get(r.role, r.role),
                "person": r.person,
                "since": r.since,
                "until": r.until,
            }
            for r in roles
        ],
        "updates": [
            {
                "at": u.at,
                "author": u.author,
                "status": u.status,
                "text": u.text,
                "impact": u.impact,
                "public": u.public,
            }
            for u in updates
        ],
        "timeline": [
            {"at": line.at, "who": line.who, "what": line.what, "text": line.text}
            for line in lines(ctx, major)
        ],
        "problems": [{"key": f"PRB-{p.id}", "title": p.title, "state": p.state} for p in problems],
        "actions": [
            {
                "key": a.key,
                "text": a.text,
                "owner": a.owner,
                "due": a.due,
                "state": ACTION_ITEM.label(a.state),
                "done": a.state not in ACTION_ITEM.open_states,
            }
            for a in items_of(ctx, major)
        ],
    }


def keep_review(
    ctx: DeskContext, actor: Actor, major: MajorIncident, document: str, *, post: bool = True
) -> str:
    """Keep the rendered review with the incident and post it to the war room as a file.

    Returns the file name. An archived room is not posted to: the review stays here, and
    `deskbot review export` writes it out.
    """
    require_crew(ctx, actor, major, "write its review")
    if len(document) > MAX_REVIEW:
        raise InvalidInput("The review is too long to keep.")
    major.review, major.review_at, major.review_by = document, ctx.clock.now(), actor.name
    filename = f"{major.key}-review.md"
    if post and major.state != "archived":
        say_in_room(
            ctx,
            major,
            incident_of(ctx, major),
            actor,
            "major_review",
            f"Post-incident review {filename} written by @{actor.name}",
            room_op={"op": "file", "filename": filename, "content": document},
            by=actor.name,
            filename=filename,
        )
    return filename
