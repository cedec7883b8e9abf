"""A grant's states and actions, declared once: the use cases enforce them; buttons,
autocomplete and forms render them."""

from __future__ import annotations

from domain.notifications import Offer
from domain.states import Action, StateMachine, anyone

HELD = frozenset({"granting", "granted"})  # access given, or being given
ENDED = frozenset({"revoked", "expired", "denied", "cancelled", "renewed"})
ALL = HELD | ENDED | {"pending", "ending"}

ACCESS = StateMachine(
    subject_type="access",
    labels={
        "pending": "Waiting for approval",
        "granting": "Approved; the directory is being updated",
        "granted": "Active",
        "ending": "Ending; the directory is being updated",
        "revoked": "Revoked",
        "expired": "Expired",
        "denied": "Denied",
        "cancelled": "Cancelled",
        "renewed": "Renewed",
    },
    open_states=("pending", "granting", "granted", "ending"),
    tones={
        "pending": "paused",
        "granting": "waiting",
        "granted": "active",
        "ending": "waiting",
        "revoked": "final",
        "expired": "final",
        "denied": "void",
        "cancelled": "void",
        "renewed": "final",
    },
    # Who may answer, revoke, renew or keep is the resource's (its owners, the holder),
    # checked by the use cases: these permissions only say the action exists for anyone.
    actions=(
        Action("approve", "Approve", "approved", frozenset({"pending"}), anyone, primary=True),
        Action(
            "deny",
            "Deny",
            "denied",
            frozenset({"pending"}),
            anyone,
            needs_text=True,
            prompt="Why is it denied? (the requester reads this)",
            form_title="Deny {key}",
        ),
        Action(
            "renew",
            "Renew",
            "renewed",
            frozenset({"granted"}),
            anyone,
            needs_text=True,
            text_required=False,
            prompt="Why do you still need it? (optional)",
            form_title="Renew {key}",
        ),
        Action("keep", "Keep", "kept", frozenset({"granted", "granting"}), anyone, primary=True),
        Action(
            "revoke",
            "Revoke",
            "revoked",
            HELD,
            anyone,
            needs_text=True,
            text_required=False,
            prompt="Why is it revoked? (optional; the holder reads this)",
            form_title="Revoke {key}",
        ),
        Action(
            "cancel",
            "Cancel request",
            "cancelled",
            frozenset({"pending"}),
            anyone,
            needs_text=True,
            text_required=False,
            prompt="Why? (optional)",
            form_title="Cancel {key}",
        ),
        Action("show", "Show", "shown", ALL, anyone),
    ),
)

# What each notification offers its reader, when the grant's state still allows it.
KINDS: dict[str, tuple[Offer, ...]] = {
    "access_requested": (Offer("cancel", "Cancel request"),),  # the requester's DM thread
    "access_approval": (Offer("approve", "Approve"), Offer("deny", "Deny")),
    "access_news": (),  # a step, in the holder's DM thread
    "access_expiring": (Offer("renew", "Renew"),),
    "access_review_item": (Offer("keep", "Keep"), Offer("revoke", "Revoke")),
    "access_review_reminder": (),
    "access_security": (),  # the security channel: break-glass, grants, ends, drift
    "access_waiting": (),  # the security channel: the directory keeps failing
    "access_report": (),  # the security channel: a review's outcome, a reconciliation's drift
}
