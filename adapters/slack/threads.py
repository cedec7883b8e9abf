"""DM threads that follow an incident: the conversation where an employee reported it.

A thread is remembered as an already-"sent" outbox row of kind `slack_dm_thread` whose
external reference is "D…:ts" — the same place card references live (bot.message_refs),
so no table of our own is needed. Sent rows are never claimed for delivery again.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from domain.clock import Clock
from domain.records import OutboxMessage

KIND = "slack_dm_thread"


def remember_dm_thread(database, clock: Clock, *, incident_id: int, person: str, ref: str) -> None:
    """From now on, DMs to `person` about this incident go into the thread `ref` ("D…:ts")."""
    now = clock.now()
    with database.transaction() as session:
        session.add(
            OutboxMessage(
                created_at=now,
                platform="slack",
                kind=KIND,
                destination_kind="dm",
                destination=person,
                incident_id=incident_id,
                context=json.dumps({}),
                status="sent",
                attempts=0,
                next_attempt_at=now,
                sent_at=now,
                external_ref=ref,
            )
        )


def dm_thread(database, *, incident_id: int, person: str) -> str | None:
    """The DM thread ("D…:ts") where `person` talks about this incident, if there is one."""
    with database.transaction() as session:
        return session.scalar(
            select(OutboxMessage.external_ref)
            .where(
                OutboxMessage.platform == "slack",
                OutboxMessage.kind == KIND,
                OutboxMessage.incident_id == incident_id,
                OutboxMessage.destination == person,
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )


def incident_of_dm_thread(database, *, ref: str, person: str | None = None) -> int | None:
    """The incident a DM thread belongs to, if one was opened from it (by `person`, if given)."""
    query = select(OutboxMessage.incident_id).where(
        OutboxMessage.platform == "slack",
        OutboxMessage.destination_kind == "dm",
        OutboxMessage.kind == KIND,
        OutboxMessage.external_ref == ref,
    )
    if person is not None:
        query = query.where(OutboxMessage.destination == person)
    with database.transaction() as session:
        return session.scalar(query.order_by(OutboxMessage.id.desc()).limit(1))
