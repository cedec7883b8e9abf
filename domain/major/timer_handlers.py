"""A major incident's timers: the update cadence, the room's archive, action items due."""

from __future__ import annotations

from sqlalchemy import select

from domain import timers
from domain.context import DeskContext
from domain.incidents.records import IncidentRecord
from domain.major import action_items, lifecycle, updates
from domain.major.records import MajorAction, MajorIncident
from domain.records import Timer


def load_majors(ctx: DeskContext, ids: list[str]) -> dict:
    """Major incidents with their incidents, both locked without waiting: a handler posts
    to the room and writes the incident's timeline, and a command holding either one makes
    it busy (fired on a later pass), never waited on."""
    found = timers.lock_subjects(ctx, MajorIncident, ids)
    live = [int(i) for i, major in found.items() if major is not timers.GONE]
    if live:
        held = set(
            ctx.session.scalars(
                select(IncidentRecord.id)
                .where(IncidentRecord.id.in_(live))
                .with_for_update(skip_locked=True)
            )
        )
        for number in live:
            if number not in held:
                del found[str(number)]  # its incident is busy
    return found


def load_actions(ctx: DeskContext, ids: list[str]) -> dict:
    return timers.lock_subjects(ctx, MajorAction, ids)


@timers.timer_handler(lifecycle.CADENCE)
def fire_cadence(ctx: DeskContext, timer: Timer, major: MajorIncident) -> None:
    """The commander has posted no update for an interval."""
    updates.cadence_due(ctx, major)


@timers.timer_handler(lifecycle.ARCHIVE)
def fire_archive(ctx: DeskContext, timer: Timer, major: MajorIncident) -> None:
    """The resolved incident's room is archived."""
    lifecycle.archive(ctx, major)


@timers.timer_handler(action_items.DUE)
def fire_action_due(ctx: DeskContext, timer: Timer, item: MajorAction) -> None:
    """An action item falls due."""
    action_items.remind(ctx, item)
