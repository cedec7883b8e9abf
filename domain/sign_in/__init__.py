"""Signing in to the web dashboard: one-time links by DM, then browser sessions
(docs/dashboard.md). No passwords; no secret stored in clear or written to the outbox.

Importing the package registers its notification kind ("dashboard_link", a DM whose link
is minted as it is delivered). A kernel-like package: it imports no process.
"""

from domain import notifications
from domain.sign_in.links import (
    LINK_LIFE,
    SESSION_LIFE,
    SignInRefused,
    mint_link,
    peek_link,
    redeem,
    send_link,
)
from domain.sign_in.records import SignInLink, WebSession
from domain.sign_in.sessions import (
    IDLE_LIFE,
    form_token,
    form_token_matches,
    session_actor,
    session_person,
    sign_out,
)

# By DM only, and offering no buttons: the link itself is the way on.
KINDS: dict[str, tuple[notifications.Offer, ...]] = {"dashboard_link": ()}

notifications.register_kinds("sign_in", KINDS)

__all__ = [
    "IDLE_LIFE",
    "KINDS",
    "LINK_LIFE",
    "SESSION_LIFE",
    "SignInLink",
    "SignInRefused",
    "WebSession",
    "form_token",
    "form_token_matches",
    "mint_link",
    "peek_link",
    "redeem",
    "send_link",
    "session_actor",
    "session_person",
    "sign_out",
]
