"""A major incident's timers: the update cadence, the room's archive, action items due."""

from __future__ import annotations

from domain import timers
from domain.context import DeskContext
from domain.major import action_items, lifecycle, updates
from domain.major.records import MajorAction, MajorIncident
from domain.records import Timer


def load_majors(ctx: DeskContext, ids: list[str]) -> dict:
    return timers.lock_subjects(ctx, MajorIncident, ids)


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
