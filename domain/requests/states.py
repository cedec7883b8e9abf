"""A request's states and actions, declared once: the use cases enforce them; cards,
buttons, autocomplete and forms render them."""

from __future__ import annotations

from domain.notifications import Offer
from domain.states import Action, StateMachine, agents, anyone

WORKING = frozenset({"approved", "in_progress"})
OPEN = WORKING | {"awaiting_approval"}
ALL = OPEN | {"fulfilled", "denied", "cancelled"}

REQUEST = StateMachine(
    subject_type="request",
    labels={
        "awaiting_approval": "Awaiting approval",
        "approved": "Approved, waiting for fulfilment",
        "in_progress": "Being fulfilled",
        "fulfilled": "Fulfilled",
        "denied": "Denied",
        "cancelled": "Cancelled",
    },
    open_states=("awaiting_approval", "approved", "in_progress"),
    tones={
        "awaiting_approval": "paused",
        "approved": "waiting",
        "in_progress": "active",
        "fulfilled": "final",
        "denied": "void",
        "cancelled": "void",
    },
    # Order is the order of buttons on a card. Approve and deny are offered to approvers
    # in their DM; who may answer is the approval rule's, checked by the use case.
    actions=(
        Action("approve", "Approve", "approved", frozenset({"awaiting_approval"}), anyone),
        Action(
            "deny",
            "Deny",
            "denied",
            frozenset({"awaiting_approval"}),
            anyone,
            needs_text=True,
            prompt="Why is it denied? (the requester reads this)",
            form_title="Deny {key}",
        ),
        Action(
            "claim",
            "Claim",
            "claimed",
            WORKING,
            agents,
            "service-desk agents can claim requests",
            on_card=True,
            primary=True,
        ),
        Action(
            "done",
            "Done",
            "fulfilled",
            WORKING,
            agents,
            "service-desk agents can fulfil requests",
            needs_text=True,
            on_card=True,
            text_required=False,
            prompt="Anything the requester should know? (optional)",
            form_title="Fulfil {key}",
        ),
        Action(
            "retry",
            "Retry in the directory",
            "retried",
            frozenset({"approved"}),
            agents,
            "service-desk agents can retry a request",
        ),
        Action(
            "comment",
            "Comment",
            "commented on",
            OPEN,
            anyone,
            needs_text=True,
            prompt="Your comment",
            form_title="Comment on {key}",
        ),
        Action(
            "cancel",
            "Cancel request",
            "cancelled",
            OPEN,
            anyone,
            needs_text=True,
            text_required=False,
            prompt="Why? (optional)",
            form_title="Cancel {key}",
        ),
        Action("show", "Show", "shown", ALL, anyone),
    ),
)

# What each notification offers its reader, when the request's state still allows it.
KINDS: dict[str, tuple[Offer, ...]] = {
    "request_submitted": (Offer("cancel", "Cancel request"),),
    "request_approval": (Offer("approve", "Approve"), Offer("deny", "Deny")),
    "request_reminder": (Offer("approve", "Approve"), Offer("deny", "Deny")),
    "request_escalated": (Offer("approve", "Approve"), Offer("deny", "Deny")),
    "request_news": (),  # a step, in the requester's DM thread
    "request_comment": (),
    "request_opened": (),  # the task card in the fulfilling team's channel
    "request_changed": (),  # the card edited, and the change said in its thread
    "request_waiting": (),  # the desk is told: approval stuck, directory down, SLA breached
    # Password reset (no subject: the flow is private to its person).
    "password_reset_link": (),  # by DM only; the link is minted as it is delivered
    "password_reset_done": (),
    "password_reset_void": (),
    "password_reset_blocked": (),  # to the service desk: a limit was reached
}
