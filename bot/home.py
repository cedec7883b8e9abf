"""A person's own view of the desk (Slack's App Home), platform-neutral."""

from __future__ import annotations

from dataclasses import dataclass

from domain import incidents
from domain.context import Actor, DeskContext
from domain.notifications import snapshot


@dataclass(frozen=True)
class HomeView:
    """Snapshots (with the actions each state allows) for one person's home."""

    actor: Actor
    reported: list[dict]  # their open incidents
    assigned: list[dict]  # open incidents assigned to them (agents)
    queue_title: str | None  # their team's queue (agents)
    queue: list[dict]


def build_home(ctx: DeskContext, actor: Actor) -> HomeView:
    """The person's open incidents; for agents also what is assigned to them and their queue."""
    employee = Actor(actor.name, frozenset({"employee"}), actor.display_name)
    reported = incidents.list_incidents(ctx, employee).incidents
    assigned, queue_title, queue = [], None, []
    if actor.is_agent:
        assigned = incidents.list_incidents(ctx, actor, mine=True).incidents
        team_queue = incidents.list_incidents(ctx, actor)
        queue_title, queue = team_queue.title, team_queue.incidents
    return HomeView(
        actor,
        [snapshot(i) for i in reported],
        [snapshot(i) for i in assigned],
        queue_title,
        [snapshot(i) for i in queue],
    )
