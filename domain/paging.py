"""Paging, as the processes see it: one call, `page(ctx, team, subject, reason)`.

Incident management pages for new P1/P2 incidents and SLA breaches, major incident
management for declarations, event management for incidents its alerts open. Who is
woken, and how, is the on-call process's business: it registers itself in `PAGERS` when
imported, so the kernel never imports it. With no pager (or a team with no escalation
policy) a page does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.context import DeskContext

# (ctx, team, subject, reason) -> None
PAGERS: list[Callable[[DeskContext, str, Any, str], None]] = []


def page(ctx: DeskContext, team: str | None, subject: Any, reason: str) -> None:
    """Page `team`'s on-call about `subject`; a second page while one is active is a no-op."""
    if not team:
        return
    for pager in PAGERS:
        pager(ctx, team, subject, reason)
