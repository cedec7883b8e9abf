"""Steps every access use case takes: the grant's timeline, telling its holder, telling the
security channel."""

from __future__ import annotations

from datetime import datetime

from domain.access.records import AccessEvent, AccessGrant
from domain.context import Actor, DeskContext
from domain.notifications import notify_channel, notify_person


def record_event(ctx: DeskContext, grant: AccessGrant, actor: Actor, kind: str, text: str) -> None:
    """Add a step to the grant's timeline and mark it updated."""
    now = ctx.clock.now()
    grant.updated_at = now
    ctx.record(AccessEvent, grant_id=grant.id, at=now, actor=actor.name, kind=kind, text=text)


def tell_holder(ctx: DeskContext, grant: AccessGrant, step: str) -> None:
    """Tell the person of a step, in their DM thread about the grant."""
    notify_person(ctx, grant.person, "access_news", subject=grant, step=step)


def announce(ctx: DeskContext, grant: AccessGrant, event: str) -> None:
    """Say it in the security channel."""
    channel = ctx.policy.security_channel
    if channel:
        notify_channel(ctx, channel, "access_security", subject=grant, event=event)


def when(at: datetime | None) -> str:
    """A moment as people read it in chat."""
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "—"


def colon(text: str | None) -> str:
    return f": {text}" if text else ""
