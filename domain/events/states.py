"""An event's states and actions, declared once: the use cases enforce them; cards, buttons
and help render them."""

from __future__ import annotations

from domain.notifications import Offer
from domain.states import Action, StateMachine, agents

LIVE = frozenset({"firing", "acknowledged"})
# An incident's own states in which events still attach to it (not resolved, closed…).
INCIDENT_OPEN = frozenset({"new", "assigned", "in_progress", "on_hold"})

EVENT = StateMachine(
    subject_type="event",
    labels={
        "firing": "Firing",
        "acknowledged": "Acknowledged",
        "resolved": "Resolved",
    },
    open_states=("firing", "acknowledged"),
    tones={"firing": "waiting", "acknowledged": "active", "resolved": "final"},
    actions=(
        Action(
            "ack",
            "Acknowledge",
            "acknowledged",
            frozenset({"firing"}),
            agents,
            "agents can acknowledge events",
            on_card=True,
            primary=True,
        ),
        Action(
            "silence",
            "Silence",
            "silenced",
            LIVE,
            agents,
            "agents can silence events",
        ),
    ),
)

KINDS: dict[str, tuple[Offer, ...]] = {
    # The incident's card redrawn with the alert counts, nothing posted in its thread.
    "incident_alerts": (),
    # A group that keeps changing state: said once in the team's channel, then again when
    # it settles.
    "event_flapping": (),
    "event_settled": (),
}
