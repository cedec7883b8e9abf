"""Major incident management as configuration: where war rooms are made and announced,
who joins every room, which priorities are declared on their own, how often the commander
must post an update, and when a resolved room is archived. Plain values, read without a
database — outside domain/major/, so reading the configuration does not import the process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

DEFAULT_CADENCE = {"P1": timedelta(minutes=30), "P2": timedelta(hours=1)}
OTHER_CADENCE = timedelta(hours=2)  # priorities the config does not name


@dataclass(frozen=True)
class MajorSettings:
    """The `major:` section of deskbot.yaml."""

    channel: str | None = None  # logical channel: declarations; its threads stand in for rooms
    stakeholders: str | None = None  # logical channel: a short summary of every update
    rooms_in: str | None = None  # logical channel whose address is where rooms are made
    responders: tuple[str, ...] = ()  # people invited to every war room
    auto_declare: tuple[str, ...] = ()  # priorities declared major when an incident opens
    cadence: dict[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_CADENCE))
    archive_after: timedelta = timedelta(days=1)
    private: bool = False  # rooms only their members can see
    room_prefix: str = "inc"

    def cadence_for(self, priority: str) -> timedelta:
        """How long the commander may go without an update at `priority`."""
        return self.cadence.get(priority, OTHER_CADENCE)
