"""Reading pages: the active ones of a team, or of the whole desk."""

from __future__ import annotations

from sqlalchemy import select

from domain.context import Actor, DeskContext
from domain.errors import PermissionDenied
from domain.oncall.records import Page


def active_pages(
    ctx: DeskContext, actor: Actor, team: str | None = None, limit: int = 50
) -> list[Page]:
    """Pages still stepping through their policy, oldest first (agents: a page names its
    incident's title, which employees may not see)."""
    if not actor.is_agent:
        raise PermissionDenied("Only service-desk agents can list pages.")
    query = select(Page).where(Page.state == "paging")
    if team is not None:
        query = query.where(Page.team == team)
    return list(ctx.session.scalars(query.order_by(Page.id).limit(limit)))
