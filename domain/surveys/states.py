"""A survey's states and actions: five scores (buttons 1–5) and a comment."""

from __future__ import annotations

from domain.notifications import Offer
from domain.states import Action, StateMachine, anyone

SCORES = (1, 2, 3, 4, 5)
ALL = frozenset({"asked", "answered"})

SURVEY = StateMachine(
    subject_type="survey",
    labels={"asked": "Waiting for your answer", "answered": "Answered"},
    open_states=("asked",),
    tones={"asked": "waiting", "answered": "final"},
    actions=(
        *(Action(f"score-{n}", str(n), "scored", frozenset({"asked"}), anyone) for n in SCORES),
        Action(
            "comment",
            "Add a comment",
            "commented on",
            ALL,
            anyone,
            needs_text=True,
            prompt="Anything you want to tell us? (optional)",
            form_title="Comment on {key}",
        ),
        Action("show", "Show", "shown", ALL, anyone),
    ),
)

KINDS: dict[str, tuple[Offer, ...]] = {
    "survey_asked": tuple(Offer(f"score-{n}", str(n)) for n in SCORES),
    "survey_thanks": (Offer("comment", "Add a comment"),),
}
