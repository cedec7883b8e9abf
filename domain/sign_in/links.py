"""Signing in to the dashboard without a password: `/desk dashboard` DMs a one-time link
to the person asking; opening it shows a button, and pressing the button (a POST) spends
the link and opens a browser session for that person.

No secret rests in the database or the outbox: the link is written without a token, the
token is minted as its DM is delivered (`mint_link`; a redelivery replaces it) and only its
SHA-256 is kept, until the link is used. Showing the page (a GET) spends nothing, so a chat
platform's link preview cannot use the link up.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from domain import audit
from domain.context import Actor, DeskContext
from domain.errors import DeskError
from domain.notifications import notify_person
from domain.sign_in.records import SignInLink, WebSession

LINK_LIFE = timedelta(minutes=10)
# A DM delivered later than this after it was asked for (a long chat outage) says "ask
# again" instead of carrying a link: the person has likely moved on.
DELIVERY_WINDOW = timedelta(hours=1)
SESSION_LIFE = timedelta(hours=12)
KEEP_FINISHED = timedelta(days=1)  # spent links and ended sessions, for a day's questions
ASK_AGAIN = "Ask me for a new one with /desk dashboard in chat."


class SignInRefused(DeskError):
    """The link cannot sign anyone in; the sentence says why and what to do. What was
    recorded on the way (an expired link forgotten) is kept."""

    keeps_changes = True


def send_link(ctx: DeskContext, actor: Actor, platform: str | None = None) -> SignInLink:
    """DM the person asking a one-time sign-in link (minted at delivery), on the platform
    they asked from only. Their earlier links stop working: one live link per person."""
    now = ctx.clock.now()
    ctx.session.execute(
        update(SignInLink)
        .where(SignInLink.person == actor.name, SignInLink.used_at.is_(None))
        .values(token_hash=None, expires_at=now)
    )
    _forget_old(ctx, actor.name)
    link = SignInLink(person=actor.name, created_at=now)
    ctx.session.add(link)
    ctx.session.flush()
    if not notify_person(ctx, actor.name, "dashboard_link", platform=platform, sign_in=link.id):
        # Nobody to send it to (no DM on this platform): say so rather than claim a DM.
        raise DeskError(
            "I cannot reach you by DM here, so I cannot send a sign-in link. "
            "Ask from a chat where I can DM you."
        )
    return link


def mint_link(ctx: DeskContext, link_id: int) -> str | None:
    """A fresh token for a link, as its DM is delivered (a redelivery replaces it; the ten
    minutes start now). None when the link was used, replaced by a newer one or asked for
    too long ago: the DM then says to ask again instead of carrying a dead link."""
    link = ctx.session.get(SignInLink, link_id, with_for_update=True)
    now = ctx.clock.now()
    if link is None or link.used_at is not None or now - link.created_at > DELIVERY_WINDOW:
        return None
    newest = ctx.session.scalar(
        select(func.max(SignInLink.id)).where(SignInLink.person == link.person)
    )
    if newest != link.id:
        return None
    token = secrets.token_urlsafe(32)
    link.token_hash, link.expires_at = sha256(token), now + LINK_LIFE
    return token


def peek_link(ctx: DeskContext, token: str) -> str:
    """The person a link would sign in, without spending it (the page a GET shows)."""
    return _live_link(ctx, token).person


def redeem(ctx: DeskContext, token: str) -> str:
    """Spend the link and open a session for the person it was sent to: the session's
    token (for the cookie; only its hash is stored)."""
    link = _live_link(ctx, token)
    now = ctx.clock.now()
    link.used_at, link.token_hash = now, None
    session_token = secrets.token_urlsafe(32)
    session = WebSession(
        person=link.person,
        token_hash=sha256(session_token),
        created_at=now,
        expires_at=now + SESSION_LIFE,
        last_seen=now,
    )
    ctx.session.add(session)
    ctx.session.flush()
    audit.record(
        ctx,
        link.person,
        "sign_in.signed_in",
        f"person {link.person}",
        {"link": link.id, "session": session.id},
    )
    return session_token


def _live_link(ctx: DeskContext, token: str) -> SignInLink:
    link = None
    if token and len(token) <= 100:
        link = ctx.session.scalar(
            select(SignInLink).where(SignInLink.token_hash == sha256(token)).with_for_update()
        )
    if link is None or link.used_at is not None:
        raise SignInRefused(
            "This sign-in link is not valid: it was used already, replaced by a newer one, "
            f"or mistyped. {ASK_AGAIN}"
        )
    if link.expires_at is None or ctx.clock.now() >= link.expires_at:
        link.token_hash = None  # an expired link keeps no secret, even hashed
        raise SignInRefused(
            f"This sign-in link has expired (links last {_minutes(LINK_LIFE)} minutes). {ASK_AGAIN}"
        )
    return link


def _forget_old(ctx: DeskContext, person: str) -> None:
    """Housekeeping as the person asks again: their links and sessions long finished."""
    before = ctx.clock.now() - KEEP_FINISHED
    ctx.session.execute(
        delete(SignInLink).where(SignInLink.person == person, SignInLink.created_at < before)
    )
    ctx.session.execute(
        delete(WebSession).where(WebSession.person == person, WebSession.expires_at < before)
    )


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def sha256(text: str) -> str:
    """How tokens are kept: long random tokens need no salt or slow hash."""
    return hashlib.sha256(text.encode()).hexdigest()
