"""The problem's states and actions, and those of a suggested problem, declared once: the
use cases enforce them; cards, buttons, autocomplete and forms render them."""

from __future__ import annotations

from domain.notifications import Offer
from domain.states import Action, StateMachine, agents, anyone

OPEN = frozenset({"new", "investigating", "known_error"})
ALL = OPEN | {"resolved", "closed", "cancelled"}


def _agents(name: str, label: str, verb: str, states, refusal: str, **more) -> Action:
    return Action(name, label, verb, frozenset(states), agents, refusal, **more)


PROBLEM = StateMachine(
    subject_type="problem",
    labels={
        "new": "New",
        "investigating": "Under investigation",
        "known_error": "Known error",
        "resolved": "Resolved",
        "closed": "Closed",
        "cancelled": "Cancelled",
    },
    open_states=("new", "investigating", "known_error"),
    tones={
        "new": "waiting",
        "investigating": "active",
        "known_error": "paused",
        "resolved": "done",
        "closed": "final",
        "cancelled": "void",
    },
    # Order is the order of buttons on a card.
    actions=(
        _agents(
            "claim",
            "Claim",
            "claimed",
            OPEN,
            "service-desk agents can claim problems",
            on_card=True,
            primary=True,
        ),
        _agents(
            "rca",
            "Root cause",
            "given a root cause",
            OPEN,
            "service-desk agents can record a root cause",
            needs_text=True,
            on_card=True,
            prompt="What is the root cause?",
            form_title="Root cause of {key}",
        ),
        _agents(
            "resolve",
            "Resolve",
            "resolved",
            OPEN,
            "service-desk agents can resolve problems",
            needs_text=True,
            on_card=True,
            prompt="What was the permanent fix? (reporters of linked incidents see this)",
        ),
        _agents(
            "known-error",
            "Known error",
            "made a known error",
            OPEN,
            "service-desk agents can record known errors",
        ),
        _agents(
            "resolve-incidents",
            "Resolve linked incidents",
            "used to resolve incidents",
            {"resolved"},
            "service-desk agents can resolve incidents",
        ),
        _agents("assign", "Assign", "assigned", OPEN, "service-desk agents can assign problems"),
        _agents("note", "Add a note", "noted", ALL - {"closed", "cancelled"}, "agents can note"),
        _agents("link", "Link incidents", "linked", OPEN, "service-desk agents can link incidents"),
        _agents(
            "unlink",
            "Unlink an incident",
            "unlinked",
            ALL - {"closed", "cancelled"},
            "service-desk agents can unlink incidents",
        ),
        _agents("close", "Close", "closed", {"resolved"}, "service-desk agents can close problems"),
        _agents("cancel", "Cancel", "cancelled", OPEN, "service-desk agents can cancel problems"),
        Action("show", "Show", "shown", ALL, anyone),
    ),
)

# A suggestion to open a problem for incidents that keep coming back; its actions are
# subcommands of /problem (/problem adopt SUG-3).
SUGGESTION = StateMachine(
    subject_type="suggestion",
    command="problem",
    labels={"suggested": "Suggested", "adopted": "Problem opened", "dismissed": "Dismissed"},
    open_states=("suggested",),
    tones={"suggested": "waiting", "adopted": "final", "dismissed": "void"},
    actions=(
        _agents(
            "adopt",
            "Open problem",
            "opened as a problem",
            {"suggested"},
            "service-desk agents can open problems",
            on_card=True,
            primary=True,
        ),
        _agents(
            "dismiss",
            "Not a problem",
            "dismissed",
            {"suggested"},
            "service-desk agents can dismiss suggestions",
            on_card=True,
        ),
    ),
)

# What each notification offers its reader, when the subject's state still allows it.
KINDS: dict[str, tuple[Offer, ...]] = {
    "problem_opened": (),
    "problem_updated": (),
    "problem_assigned": (Offer("claim", "Claim"),),
    "problem_resolved": (Offer("resolve-incidents", "Resolve linked incidents"),),
    "known_error_published": (),
    # To a reporter whose new incident looks like a known error (subject: the incident).
    "workaround_offered": (Offer("fixed", "Yes, fixed"), Offer("broken", "No, still broken")),
    "suggestion_opened": (),
    "suggestion_updated": (),
}
