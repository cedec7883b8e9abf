"""What every use case works with: one open transaction, the rules, the time, the platforms."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from domain.clock import Clock
from domain.directory import Directory
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


class PendingRows:
    """Append-only rows (outbox messages, timeline entries) held back to insert together.

    A batch that writes thousands of them (timers falling due at one instant) inserts each
    table's rows in one executemany instead of flushing thousands of ORM objects. Whoever
    sets it on a context writes it before committing, or discards it with a rollback.
    """

    def __init__(self) -> None:
        self._rows: defaultdict[Table, list[dict[str, Any]]] = defaultdict(list)

    def add(self, table: Table, values: dict[str, Any]) -> None:
        self._rows[table].append(values)

    def write(self, session: Session) -> None:
        """Insert what is held, table by table, in the session's transaction."""
        for table, rows in self._rows.items():
            if rows:
                session.execute(insert(table), rows)
        self._rows.clear()

    def discard(self) -> None:
        self._rows.clear()


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
    # When set, append-only records are held here and inserted together (see PendingRows).
    pending_rows: PendingRows | None = None
    # The directory (LDAP or built-in) for this unit of work, where the runtime has one.
    directory: Directory | None = None
    # The audit trail's HMAC key (DESKBOT_AUDIT_KEY): every context the runtime makes has
    # it; an audited action without it is refused (domain.audit.AuditKeyMissing).
    audit_key: bytes | None = field(default=None, repr=False)

    def record(self, model: Any, **values: Any) -> None:
        """Store an append-only record nobody reads back in this unit of work."""
        if self.pending_rows is None:
            self.session.add(model(**values))
        else:
            self.pending_rows.add(model.__table__, values)
