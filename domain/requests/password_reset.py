"""Password reset, as a service desk must do it: the person is known by their chat
identity; a one-time link reaches them by DM only, a one-time code reaches their recovery
address, and the new password is typed on deskbot's own page and set in the directory.

Refusals that recorded something (`keeps_changes`) are committed with it: a wrong code
counts even though the page says it was wrong. A leaked link alone is useless (the code goes elsewhere, and the link is bound to the
browser that opened it first); a code typed in chat voids the flow. Nothing secret is
stored in clear, and nothing secret enters the outbox: the link's token is minted when the
DM is delivered (`mint_token`), the code when the page is opened (`open_link`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from domain import audit
from domain.context import SYSTEM, Actor, DeskContext
from domain.directory import DirectoryUnavailable, PasswordRefused
from domain.errors import DeskError, InvalidInput, InvalidTransition, PermissionDenied
from domain.notifications import notify_channel, notify_person
from domain.requests.records import PasswordReset, PasswordResetEvent

LINK_LIFE = timedelta(minutes=15)
FLOWS_PER_DAY = 3
WRONG_CODES = 5
CODE_DIGITS = 6
LIVE = ("started", "code_sent", "verified")
CODE_IN_TEXT = re.compile(r"(?<!\d)\d{6}(?!\d)")


class ResetRefused(DeskError):
    """The page cannot go on with this flow; the sentence says why and what to do. What
    was recorded on the way (the attempt, the flow ended) is kept."""

    keeps_changes = True


class WrongCode(InvalidInput):
    """A wrong code: counted, and the count kept."""

    keeps_changes = True


class TooManyResets(PermissionDenied):
    """The day's limit of flows is reached; the service desk was told (and that is kept)."""

    keeps_changes = True


class PolicyRefused(InvalidInput):
    """The directory's password policy refused the new password (and the attempt is kept)."""

    keeps_changes = True

    def __init__(self, message: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons


@dataclass(frozen=True)
class CodeToSend:
    """A code just made for a flow: the page mails it, nobody stores it."""

    code: str
    address: str


def start_reset(
    ctx: DeskContext, actor: Actor, via: str = "command", platform: str | None = None
) -> PasswordReset:
    """Start a reset for the person asking: DM them a one-time link (minted at delivery),
    on the platform they asked from only — each delivery mints its own token, and a second
    one would void the first."""
    now = ctx.clock.now()
    today = ctx.session.scalar(
        select(func.count(PasswordReset.id)).where(
            PasswordReset.person == actor.name, PasswordReset.started_at > now - timedelta(days=1)
        )
    )
    if today >= FLOWS_PER_DAY:
        audit.record(
            ctx,
            actor.name,
            "password_reset.limit_reached",
            f"person {actor.name}",
            {"person": actor.name, "flows_today": today},
        )
        notify_channel(
            ctx,
            ctx.policy.triage_channel,
            "password_reset_blocked",
            person=actor.name,
            reason=f"{FLOWS_PER_DAY} password resets in a day",
        )
        raise TooManyResets(
            f"You have started {FLOWS_PER_DAY} password resets today, the most allowed. "
            "The service desk has been told and will help you."
        )
    if ctx.directory is None:
        raise DirectoryUnavailable("No directory is configured, so passwords cannot be reset.")
    if actor.name not in ctx.policy.people:
        # A chat name is not an account: only the configuration ties one to the directory.
        raise PermissionDenied(
            "Your chat account is not linked to a directory account in the desk's "
            "configuration, so I cannot reset a password for it. Ask the service desk."
        )
    person = ctx.directory.find_person(actor.name)
    if person is None:
        raise InvalidInput(
            f"The {ctx.directory.name} has no account called {actor.name}, so there is no "
            "password to reset. Ask the service desk."
        )
    if not person.recovery_email:
        raise InvalidInput(
            "You have no recovery address on file, so I cannot send you a code. "
            "Ask the service desk to reset your password."
        )
    for earlier in ctx.session.scalars(
        select(PasswordReset)
        .where(PasswordReset.person == actor.name, PasswordReset.state.in_(LIVE))
        .with_for_update()
    ):
        _finish(ctx, earlier, "void", "replaced by a newer reset")
    reset = PasswordReset(
        person=actor.name,
        state="started",
        started_via=via,
        started_at=now,
        expires_at=now + LINK_LIFE,
        wrong_codes=0,
    )
    ctx.session.add(reset)
    ctx.session.flush()
    _event(ctx, reset, actor.name, "started", f"via {via}")
    notify_person(
        ctx,
        actor.name,
        "password_reset_link",
        platform=platform,
        reset=reset.id,
        address=mask(person.recovery_email),
    )
    return reset


def mint_token(ctx: DeskContext, reset_id: int) -> str | None:
    """A fresh token for the flow's link, as its DM is delivered (a redelivery replaces
    it); None when the flow is over, so the DM says so instead of carrying a dead link."""
    reset = ctx.session.get(PasswordReset, reset_id, with_for_update=True)
    if reset is None or reset.state != "started" or _expired(ctx, reset):
        return None
    token = secrets.token_urlsafe(32)
    reset.token_hash = _sha256(token)
    return token


def peek_link(ctx: DeskContext, token: str, browser: str) -> PasswordReset:
    """The flow behind a link as the page first shows it: nothing is bound or mailed, so a
    link preview (a chat platform's crawler opening it) changes nothing."""
    return _by_token(ctx, token, browser, peek=True)


def open_link(
    ctx: DeskContext, token: str, browser: str
) -> tuple[PasswordReset, CodeToSend | None]:
    """The link was opened: bind the flow to this browser, and make the code to mail (the
    first time, or again on `resend`)."""
    reset = _by_token(ctx, token, browser, bind=True)
    if reset.state != "started":
        return reset, None
    return reset, _new_code(ctx, reset)


def resend_code(ctx: DeskContext, token: str, browser: str) -> CodeToSend:
    """A new code for a flow still waiting for one (the old code stops working)."""
    reset = _by_token(ctx, token, browser)
    if reset.state != "code_sent":
        raise InvalidTransition("This reset is not waiting for a code.")
    return _new_code(ctx, reset)


def check_code(ctx: DeskContext, token: str, browser: str, code: str) -> PasswordReset:
    """The code typed on the page: right, the password may be set; wrong five times, the
    flow is void and the service desk told."""
    reset = _by_token(ctx, token, browser)
    if reset.state != "code_sent":
        raise InvalidTransition("This reset is not waiting for a code.")
    if reset.code_hash and _code_matches(code.strip(), reset.code_hash):
        reset.state, reset.code_hash = "verified", None
        _event(ctx, reset, reset.person, "code_ok")
        return reset
    reset.wrong_codes += 1
    _event(ctx, reset, reset.person, "wrong_code", f"{reset.wrong_codes} of {WRONG_CODES}")
    if reset.wrong_codes >= WRONG_CODES:
        _finish(ctx, reset, "void", f"{WRONG_CODES} wrong codes")
        notify_channel(
            ctx,
            ctx.policy.triage_channel,
            "password_reset_blocked",
            person=reset.person,
            reason=f"{WRONG_CODES} wrong codes on a password reset",
        )
        notify_person(
            ctx, reset.person, "password_reset_void", reason="a wrong code was typed five times"
        )
        raise ResetRefused(
            "That was the fifth wrong code, so this reset is cancelled. The service desk has "
            "been told; start again with /desk password or ask them."
        )
    left = WRONG_CODES - reset.wrong_codes
    raise WrongCode(f"That code is not right. {left} tries left.")


def set_new_password(
    ctx: DeskContext, token: str, browser: str, password: str, again: str
) -> PasswordReset:
    """Set the new password in the directory, once the code was right."""
    reset = _by_token(ctx, token, browser)
    if reset.state != "verified":
        raise InvalidTransition("Type the code from your email first.")
    if password != again:
        raise InvalidInput("The two passwords are not the same.")
    if ctx.directory is None:
        raise DirectoryUnavailable("No directory is configured.")
    try:
        ctx.directory.set_password(reset.person, password)
    except PasswordRefused as refused:
        _event(ctx, reset, reset.person, "refused", "; ".join(refused.reasons))
        raise PolicyRefused(refused.message, refused.reasons) from None
    _finish(ctx, reset, "done", "password changed")
    notify_person(ctx, reset.person, "password_reset_done", at=ctx.clock.now().isoformat())
    return reset


def screen_chat_message(ctx: DeskContext, person: str, text: str) -> str | None:
    """A chat message that carries a live reset code voids that flow: the sentence to tell
    the person, or None."""
    candidates = CODE_IN_TEXT.findall(text)[:3]
    if not candidates:
        return None
    for reset in ctx.session.scalars(
        select(PasswordReset)
        .where(PasswordReset.person == person, PasswordReset.state == "code_sent")
        .with_for_update()
    ):
        if reset.code_hash and any(_code_matches(c, reset.code_hash) for c in candidates):
            _finish(ctx, reset, "void", "the code was typed in chat")
            return (
                "Never type your reset code in chat: it belongs on the reset page only. I have "
                "cancelled that reset so nobody can use it. Start again with /desk password."
            )
    return None


def mask(address: str) -> str:
    """a.archer@example.net → a•••@example.net: enough to recognise, not to harvest."""
    name, _, domain = address.partition("@")
    return f"{name[:1]}•••@{domain}" if domain else "•••"


def _by_token(
    ctx: DeskContext, token: str, browser: str, bind: bool = False, peek: bool = False
) -> PasswordReset:
    reset = ctx.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == _sha256(token)).with_for_update()
    )
    if reset is None:
        raise ResetRefused(
            "This reset link is not valid: it was used, replaced by a newer one, or mistyped. "
            "Start again with /desk password."
        )
    if reset.state not in LIVE:
        raise ResetRefused("This reset is over. Start again with /desk password if you need to.")
    if _expired(ctx, reset):
        _finish(ctx, reset, "expired", "the link expired")
        raise ResetRefused(
            "This reset link has expired (links last 15 minutes). Start again with /desk password."
        )
    mark = _sha256(browser)
    if reset.browser_hash is None:
        if bind:
            reset.browser_hash = mark
            _event(ctx, reset, reset.person, "opened")
        elif not peek:
            raise ResetRefused("Open the link from your DM first.")
    elif reset.browser_hash != mark:
        _event(ctx, reset, SYSTEM.name, "other_browser")
        raise ResetRefused(
            "This reset link was opened in another browser, and only works there. If that was "
            "not you, start again with /desk password and tell the service desk."
        )
    return reset


def _new_code(ctx: DeskContext, reset: PasswordReset) -> CodeToSend:
    if ctx.directory is None:
        raise DirectoryUnavailable("No directory is configured.")
    person = ctx.directory.find_person(reset.person)
    if person is None or not person.recovery_email:
        raise ResetRefused("You have no recovery address on file any more. Ask the service desk.")
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    reset.code_hash, reset.state = _hash_code(code), "code_sent"
    _event(ctx, reset, SYSTEM.name, "code_sent", f"to {mask(person.recovery_email)}")
    return CodeToSend(code, person.recovery_email)


def _finish(ctx: DeskContext, reset: PasswordReset, state: str, why: str) -> None:
    reset.state, reset.finished_at = state, ctx.clock.now()
    reset.token_hash = reset.code_hash = None  # a finished flow keeps no secret, even hashed
    _event(ctx, reset, SYSTEM.name, state, why)


def _expired(ctx: DeskContext, reset: PasswordReset) -> bool:
    return ctx.clock.now() >= reset.expires_at


def _event(ctx: DeskContext, reset: PasswordReset, actor: str, kind: str, detail: str = "") -> None:
    """A step of the flow, in its timeline and the audit trail (never a secret: no token,
    code, password or hash reaches either)."""
    ctx.session.add(
        PasswordResetEvent(
            reset_id=reset.id, at=ctx.clock.now(), actor=actor, kind=kind, detail=detail
        )
    )
    audit.record(
        ctx,
        actor,
        f"password_reset.{kind}",
        f"reset {reset.id}",
        {"person": reset.person, "detail": detail},
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _hash_code(code: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(code.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"{salt.hex()}${digest.hex()}"


def _code_matches(code: str, stored: str) -> bool:
    salt, digest = stored.split("$")
    found = hashlib.scrypt(code.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    return hmac.compare_digest(found.hex(), digest)
