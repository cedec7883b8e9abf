"""What a major incident says, and where: its war room (each post also on the incident's
timeline), the pinned status card, the stakeholders and the declarations channel."""

from __future__ import annotations

import re
from typing import Any

from domain.context import Actor, DeskContext
from domain.incidents.lifecycle import record_event
from domain.incidents.records import IncidentRecord
from domain.major.records import MajorIncident
from domain.notifications import notify_channel, notify_room

ROOM = "room"
STATUS_CARD = "status"
NAME_LIMIT = 80  # Slack's limit for a channel name (Discord allows 100)


def room_name(prefix: str, number: int, title: str) -> str:
    """A channel name both platforms accept and that cannot be another incident's:
    "inc-42-vpn-down" — lowercase letters, digits and hyphens, at most 80 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    head = f"{prefix}-{number}"
    name = f"{head}-{slug}" if slug else head
    return name[:NAME_LIMIT].rstrip("-")


def say_in_room(
    ctx: DeskContext,
    major: MajorIncident,
    incident: IncidentRecord,
    actor: Actor,
    kind: str,
    line: str,
    *,
    room_op: dict[str, Any] | None = None,
    on_timeline: bool = True,
    **context: Any,
) -> None:
    """Post to the war room, and put the same line on the incident's timeline (unless the
    incident's own use case already did: `on_timeline=False`)."""
    notify_room(ctx, ROOM, kind, subject=major, room_op=room_op, line=line, **context)
    if on_timeline:
        record_event(ctx, incident, actor, kind, line)


def refresh_card(ctx: DeskContext, major: MajorIncident) -> None:
    """Show the major incident as it is now on the pinned status card, edited in place."""
    ctx.session.flush()  # the card reads the roles as they are now
    # creates_ref too: a card someone deleted is posted (and pinned) anew, and the new one
    # is the card from then on.
    notify_room(
        ctx,
        ROOM,
        "major_status",
        subject=major,
        creates_ref=STATUS_CARD,
        updates_ref=STATUS_CARD,
        room_op=EDIT,
    )


def tell_stakeholders(ctx: DeskContext, major: MajorIncident, **context: Any) -> None:
    """The short summary of an update for the stakeholders channel, if there is one."""
    channel = ctx.policy.major.stakeholders
    if channel:
        notify_channel(ctx, channel, "major_update_summary", subject=major, **context)


EDIT = {"op": "edit"}
PIN = {"op": "pin"}
