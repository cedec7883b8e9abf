"""A major incident's states and actions, declared once: the use cases enforce them; the
status card's buttons, autocomplete and forms render them."""

from __future__ import annotations

from domain.notifications import Offer
from domain.states import Action, StateMachine, agents, anyone

ROLES = ("commander", "communications", "scribe", "responder")
ROLE_LABELS = {
    "commander": "Commander",
    "communications": "Communications lead",
    "scribe": "Scribe",
    "responder": "Responder",
}
SINGLE_ROLES = ("commander", "communications", "scribe")  # one person at a time
STATUSES = ("investigating", "identified", "monitoring", "resolved")
ALL = frozenset({"running", "resolved", "archived"})
LIVE = frozenset({"running"})

MAJOR = StateMachine(
    subject_type="major",
    command="major",
    labels={
        "running": "Major incident in progress",
        "resolved": "Resolved; the war room will be archived",
        "archived": "Over; the war room is archived",
    },
    open_states=("running",),
    tones={"running": "active", "resolved": "done", "archived": "final"},
    # Who holds which role is the incident's own: the commander's rights are checked by
    # the use cases; these permissions say who may take the action at all.
    actions=(
        Action("join", "Join", "joined", LIVE, anyone, on_card=True),
        Action("leave", "Leave", "left", LIVE, anyone),
        Action(
            "update",
            "Post update",
            "updated",
            LIVE,
            anyone,
            needs_text=True,
            prompt="What is the status? (the stakeholders read this)",
            form_title="Status update for {key}",
            on_card=True,
            primary=True,
        ),
        Action("role", "Give a role", "given a role", LIVE, anyone),
        Action("note", "Add to timeline", "noted", LIVE | {"resolved"}, anyone),
        Action(
            "resolve",
            "Resolve",
            "resolved",
            LIVE,
            agents,
            "the commander or an agent can resolve {key}",
            needs_text=True,
            prompt="What fixed it?",
            form_title="Resolve {key}",
        ),
        Action("review", "Write the review", "reviewed", ALL, anyone),
        Action("action", "Add an action item", "given an action item", ALL, anyone),
    ),
)

ACTION_ITEM = StateMachine(
    subject_type="major_action",
    command="major",
    labels={"to_do": "To do", "completed": "Done"},
    open_states=("to_do",),
    tones={"to_do": "waiting", "completed": "final"},
    actions=(Action("done", "Done", "closed", frozenset({"to_do"}), anyone),),
)

KINDS: dict[str, tuple[Offer, ...]] = {
    "major_room_opened": (),  # the war room's first post
    "major_status": (),  # the pinned status card, edited on every change
    "major_declared": (),  # the major-incidents channel (and the team's), with the room
    "major_room_ready": (),  # the declarer's DM: the room's link
    "major_update": (),  # a status update in the war room
    "major_update_summary": (),  # the same, short, for the stakeholders channel
    "major_role": (),  # someone took or left a role (and was invited)
    "major_note": (),  # a line added to the timeline by command
    "major_cadence_reminder": (),  # the commander is late with an update
    "major_cadence_overdue": (),  # twice late: the comms lead and the escalation channel
    "major_resolved": (),  # the final update, and when the room will be archived
    "major_room_archived": (),  # the last post; the room is archived after it
    "major_review": (),  # the post-incident review, attached as a file
    "major_action": (Offer("done", "Done"),),  # the owner's DM: a new action item
    "major_action_due": (Offer("done", "Done"),),  # the owner's DM: it is due soon
}
