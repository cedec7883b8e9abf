"""Reading pages: the active ones of a team, or of the whole desk."""

from __future__ import annotations

from sqlalchemy import select

from domain.context import DeskContext
from domain.oncall.records import Page


def active_pages(ctx: DeskContext, team: str | None = None, limit: int = 50) -> list[Page]:
    """Pages still stepping through their policy, oldest first."""
    query = select(Page).where(Page.state == "paging")
    if team is not None:
        query = query.where(Page.team == team)
    return list(ctx.session.scalars(query.order_by(Page.id).limit(limit)))
