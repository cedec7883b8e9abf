"""The incident's states and actions, declared once: the use cases enforce them, and cards,
buttons, autocomplete and App Home render them."""

from __future__ import annotations

from domain.context import Actor
from domain.notifications import Offer
from domain.states import Action, StateMachine, agents, anyone

OPEN = frozenset({"new", "assigned", "in_progress", "on_hold"})
WORKABLE = frozenset({"new", "assigned", "in_progress"})
ALL = OPEN | {"resolved", "closed", "cancelled"}


def reporter_or_agent(actor: Actor, incident) -> bool:
    """The person who reported the incident, or any agent."""
    return actor.is_agent or incident is None or actor.name == incident.reporter


def reporter(actor: Actor, incident) -> bool:
    """Only the person who reported the incident (it is their word that counts)."""
    return incident is None or actor.name == incident.reporter


INCIDENT = StateMachine(
    subject_type="incident",
    labels={
        "new": "New",
        "assigned": "Assigned",
        "in_progress": "In progress",
        "on_hold": "On hold",
        "resolved": "Resolved",
        "closed": "Closed",
        "cancelled": "Cancelled",
    },
    open_states=("new", "assigned", "in_progress", "on_hold"),
    tones={
        "new": "waiting",
        "assigned": "waiting",
        "in_progress": "active",
        "on_hold": "paused",
        "resolved": "done",
        "closed": "final",
        "cancelled": "void",
    },
    # Order is the order of buttons on a card.
    actions=(
        Action(
            "claim",
            "Claim",
            "claimed",
            WORKABLE,
            agents,
            "service-desk agents can claim incidents",
            on_card=True,
            primary=True,
        ),
        Action(
            "resume",
            "Resume",
            "resumed",
            frozenset({"on_hold"}),
            agents,
            "service-desk agents can resume incidents",
            on_card=True,
            primary=True,
        ),
        Action(
            "resolve",
            "Resolve",
            "resolved",
            OPEN,
            agents,
            "service-desk agents can resolve incidents",
            needs_text=True,
            on_card=True,
            prompt="What fixed it?",
        ),
        Action(
            "hold",
            "Hold",
            "put on hold",
            frozenset({"assigned", "in_progress"}),
            agents,
            "service-desk agents can put incidents on hold",
            needs_text=True,
            on_card=True,
            prompt="Why is it on hold? (the reporter sees this)",
            form_title="Put {key} on hold",
        ),
        Action(
            "assign",
            "Assign",
            "assigned",
            WORKABLE,
            agents,
            "service-desk agents can assign incidents",
        ),
        Action(
            "update", "Update", "changed", OPEN, agents, "service-desk agents can update incidents"
        ),
        Action(
            "link",
            "Link to problem",
            "linked to a problem",
            ALL - {"cancelled"},
            agents,
            "service-desk agents can link incidents to problems",
            on_card=True,
            choose="problem",
        ),
        Action(
            "major",
            "Declare major incident",
            "declared a major incident",
            OPEN,
            agents,
            "service-desk agents can declare major incidents",
            on_card=True,
        ),
        Action("note", "Add a note", "noted", ALL - {"closed", "cancelled"}, anyone),
        Action(
            "close",
            "Close",
            "closed",
            frozenset({"resolved"}),
            reporter_or_agent,
            "the reporter of {key} or an agent can close it",
        ),
        Action(
            "reopen",
            "Reopen",
            "reopened",
            frozenset({"resolved"}),
            reporter_or_agent,
            "the reporter of {key} or an agent can reopen it",
            needs_text=True,
            prompt="What still fails?",
            text_required=False,
        ),
        Action(
            "cancel",
            "Cancel",
            "cancelled",
            OPEN,
            reporter_or_agent,
            "the reporter of {key} or an agent can cancel it",
        ),
        # The reporter's answer to a known error's workaround offered when they reported it.
        Action(
            "fixed",
            "Yes, fixed",
            "closed as fixed",
            OPEN,
            reporter,
            "the reporter of {key} can say the workaround fixed it",
        ),
        Action(
            "broken",
            "No, still broken",
            "answered",
            OPEN,
            reporter,
            "the reporter of {key} can say the workaround did not fix it",
        ),
        Action("show", "Show", "shown", ALL, anyone),
    ),
)

# What each notification offers its reader, when the incident's state still allows it.
KINDS: dict[str, tuple[Offer, ...]] = {
    "incident_opened": (),
    # New incidents' cards gathered into one post while their channel is flooded.
    "incident_digest": (),
    "incident_updated": (),
    "incident_assigned": (Offer("claim", "Claim"),),
    "incident_escalated": (Offer("claim", "Claim"),),
    "incident_rerouted": (Offer("claim", "Claim"),),
    "incident_resolved": (Offer("close", "Yes, it's fixed"), Offer("reopen", "No, reopen it")),
    "incident_claimed": (),
    "incident_taken_over": (),
    "incident_note": (),
    "incident_held": (),
    "incident_resumed": (),
    "incident_closed": (),
    "incident_reopened": (),
    "incident_cancelled": (),
    "incident_changed": (),
    "sla_warning": (),
    "sla_breached": (),
}
