"""A signed-in browser: who it is, for how long, and the token its forms carry.

The person's roles are read from the desk each time (a role taken away counts at once);
roles a chat platform grants for a moment (a mapped Discord role) do not reach the web.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import select

from domain import audit
from domain.context import Actor, DeskContext
from domain.errors import NotFound
from domain.people import actor_for, get_person
from domain.sign_in.links import sha256
from domain.sign_in.records import WebSession

IDLE_LIFE = timedelta(hours=2)  # a session unused this long is over
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often


def session_actor(ctx: DeskContext, token: str | None) -> Actor | None:
    """The person a session cookie signs in, or None: no such session (a forged cookie),
    signed out, expired, idle too long, or a person the desk no longer knows."""
    session = _live_session(ctx, token)
    if session is None:
        return None
    try:
        actor = actor_for(get_person(ctx, session.person))
    except NotFound:
        return None
    now = ctx.clock.now()
    if now - session.last_seen >= TOUCH_EVERY:
        session.last_seen = now
    return actor


def session_person(ctx: DeskContext, token: str | None) -> str | None:
    """The name of the person a session cookie signs in, or None."""
    actor = session_actor(ctx, token)
    return actor.name if actor else None


def sign_out(ctx: DeskContext, token: str | None) -> bool:
    """End the session (its hash is forgotten); False when there was none to end."""
    session = _live_session(ctx, token, for_update=True)
    if session is None:
        return False
    session.ended_at, session.token_hash = ctx.clock.now(), None
    audit.record(
        ctx,
        session.person,
        "sign_in.signed_out",
        f"person {session.person}",
        {"session": session.id},
    )
    return True


def form_token(session_token: str) -> str:
    """The token a signed-in page's forms carry (against cross-site requests): made from
    the session's own token, which only the browser's HttpOnly cookie holds, so nothing
    more is stored and another site cannot know it."""
    return hmac.new(session_token.encode(), b"deskbot dashboard form", hashlib.sha256).hexdigest()


def form_token_matches(session_token: str | None, given: str | None) -> bool:
    """Whether a posted form carries the token of the session that posts it."""
    if not session_token or not given:
        return False
    return hmac.compare_digest(form_token(session_token).encode(), given.encode())


def _live_session(
    ctx: DeskContext, token: str | None, for_update: bool = False
) -> WebSession | None:
    if not token or len(token) > 100:
        return None
    query = select(WebSession).where(WebSession.token_hash == sha256(token))
    session = ctx.session.scalar(query.with_for_update() if for_update else query)
    if session is None or session.ended_at is not None:
        return None
    now = ctx.clock.now()
    if now >= session.expires_at or now - session.last_seen >= IDLE_LIFE:
        return None
    return session
