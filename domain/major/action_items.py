"""Action items from a major incident (`ACT-n`): an owner, an optional due date, a reminder
the day they fall due, closed from chat, listed in the review."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from domain import timers
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.keys import parse_number
from domain.major.lifecycle import holder, incident_of, require_crew
from domain.major.records import MajorAction, MajorIncident
from domain.major.room import say_in_room
from domain.major.states import ACTION_ITEM
from domain.notifications import notify_person
from domain.people import person_exists
from domain.text import check_text

DUE = "major_action_due"
REMIND_BEFORE = timedelta(days=1)


def add_action(
    ctx: DeskContext,
    actor: Actor,
    major: MajorIncident,
    text: str,
    *,
    owner: str,
    due: datetime | None = None,
) -> MajorAction:
    """Record an action item for `owner`, who is told by DM (and reminded when it is due)."""
    require_crew(ctx, actor, major, "give its action items")
    text = check_text(text, "The action item")
    if not text:
        raise InvalidInput('Say what must be done: /major action "add a VPN alert" --owner @bob.')
    if not person_exists(ctx, owner):
        raise NotFound(f"There is nobody called @{owner} to own it.")
    now = ctx.clock.now()
    if due is not None and due <= now:
        raise InvalidInput("The due date has passed; give a later one (e.g. --due 2027-01-15).")
    item = MajorAction(
        major_id=major.id,
        text=text,
        owner=owner,
        due=due,
        state="to_do",
        created_by=actor.name,
        created_at=now,
    )
    ctx.session.add(item)
    ctx.session.flush()
    if due is not None:
        timers.schedule(ctx, item, DUE, max(due - REMIND_BEFORE, now))
    notify_person(ctx, owner, "major_action", subject=item, incident=major.key, by=actor.name)
    if major.state != "archived":
        say_in_room(
            ctx,
            major,
            incident_of(ctx, major),
            actor,
            "major_note",
            f"Action item {item.key} for @{owner}: {text}",
            text=f"{item.key} for @{owner}: {text}",
        )
    return item


def close_action(ctx: DeskContext, actor: Actor, key: str) -> MajorAction:
    """Mark an action item done: its owner, the incident's commander, or an agent."""
    number = parse_number(key, "ACT", "action item")
    item = ctx.session.scalar(select(MajorAction).where(MajorAction.id == number).with_for_update())
    if item is None:
        raise NotFound(f"There is no action item ACT-{number}.")
    major = ctx.session.get(MajorIncident, item.major_id)
    allowed = actor.name == item.owner or actor.is_agent
    if not allowed and major is not None and holder(ctx, major, "commander") != actor.name:
        raise PermissionDenied(
            f"Only @{item.owner}, the commander or a service-desk agent can close {item.key}."
        )
    ACTION_ITEM.require_state("done", item.state, item.key)
    item.state, item.done_by, item.done_at = "completed", actor.name, ctx.clock.now()
    timers.cancel(ctx, item, [DUE])
    return item


def items_of(ctx: DeskContext, major: MajorIncident) -> list[MajorAction]:
    """A major incident's action items, in the order they were made."""
    return list(
        ctx.session.scalars(
            select(MajorAction).where(MajorAction.major_id == major.id).order_by(MajorAction.id)
        )
    )


def open_items_of(ctx: DeskContext, owner: str) -> list[MajorAction]:
    """A person's open action items, oldest first."""
    return list(
        ctx.session.scalars(
            select(MajorAction)
            .where(MajorAction.owner == owner, MajorAction.state == "to_do")
            .order_by(MajorAction.id)
            .limit(50)
        )
    )


def remind(ctx: DeskContext, item: MajorAction) -> None:
    """The day an open item falls due, its owner is reminded."""
    if item.state != "to_do":
        return
    major = ctx.session.get(MajorIncident, item.major_id)
    notify_person(
        ctx, item.owner, "major_action_due", subject=item, incident=major.key if major else ""
    )
