"""A page's states and actions, declared once: the use cases enforce them; the DM's
buttons, help and forms render them."""

from __future__ import annotations

from domain.context import Actor
from domain.notifications import Offer
from domain.states import Action, StateMachine

PAGING = frozenset({"paging"})


def paged_person(actor: Actor, page) -> bool:
    """Someone the page has notified (a channel step makes every team member one)."""
    if page is None:
        return True  # asked without a page (help, forms): the use case decides
    return actor.name in page.reached_people


PAGE = StateMachine(
    subject_type="page",
    command="oncall",
    labels={
        "paging": "Paging",
        "acknowledged": "Acknowledged",
        "ended": "Ended",
    },
    open_states=("paging",),
    tones={"paging": "waiting", "acknowledged": "active", "ended": "final"},
    actions=(
        Action(
            "ack",
            "Acknowledge",
            "acknowledged",
            PAGING,
            paged_person,
            "someone this page reached can acknowledge it",
            on_card=True,
            primary=True,
        ),
        Action(
            "escalate",
            "Escalate now",
            "escalated",
            PAGING,
            paged_person,
            "someone this page reached can escalate it",
            on_card=True,
        ),
    ),
)

KINDS: dict[str, tuple[Offer, ...]] = {
    # The page itself, by DM to whoever a step names (and to the team's channel).
    "page": (Offer("ack", "Acknowledge"), Offer("escalate", "Escalate now")),
    "page_channel": (Offer("ack", "Acknowledge"),),
    # To everyone a page reached: someone acknowledged it, or it stopped.
    "page_answered": (),
    "page_stopped": (),
    # Nobody acknowledged after every step and repeat: the lead and the team's channel.
    "page_unanswered": (),
    # Hand-over: the incoming person's DM, and a line in the team's channel.
    "oncall_handover": (),
    "oncall_handover_note": (),
    # Overrides: the person now covering, and the person covered.
    "oncall_override": (),
    # The calendar feed's address, by DM (its token is made as it is delivered).
    "oncall_feed": (),
}
