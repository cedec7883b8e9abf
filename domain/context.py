"""What every use case works with: one open transaction, the rules, the time, the platforms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from domain.clock import Clock
from domain.policy import DeskPolicy


@dataclass(frozen=True)
class Actor:
    """The person doing something, with the roles that decide what they may do."""

    name: str
    roles: frozenset[str] = field(default_factory=lambda: frozenset({"employee"}))
    display_name: str | None = None

    @property
    def is_agent(self) -> bool:
        return bool(self.roles & {"agent", "admin"})

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


SYSTEM = Actor("deskbot", frozenset({"admin"}), "deskbot")


@dataclass
class DeskContext:
    """One unit of work: the caller commits or rolls back the session as a whole."""

    session: Session
    policy: DeskPolicy
    clock: Clock
    # Platforms whose outbox rows are written with each notification.
    platforms: tuple[str, ...] = ()
    # Of those, the ones that reach every person and channel by its desk name (a local
    # console): they need no account or channel address.
    by_name: frozenset[str] = frozenset()
    # Look-ups worth doing once per unit of work (a person's platform accounts…).
    cache: dict[str, Any] = field(default_factory=dict)
