"""Where a platform put a subject's messages: its card, a person's DM thread, its room.

Senders and adapters write references here (the outbox writes the one a delivery
`creates_ref`), and read them to edit a card in place, keep a DM conversation in its thread,
or find the channel a subject got at run time. References are "channel:message" strings
as each platform understands them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import notifications
from domain.clock import Clock
from domain.records import MessageRef

CARD = "card"
DM_THREAD = notifications.DM_THREAD
ROOM = "room"


def find_ref(
    session: Session,
    *,
    subject_type: str,
    subject_id: str | int,
    platform: str,
    role: str,
    person: str = "",
) -> str | None:
    """The reference in an open session, if there is one."""
    return session.scalar(
        select(MessageRef.ref).where(
            MessageRef.subject_type == subject_type,
            MessageRef.subject_id == str(subject_id),
            MessageRef.platform == platform,
            MessageRef.role == role,
            MessageRef.person == person,
        )
    )


def store_ref(
    session: Session,
    clock: Clock,
    *,
    subject_type: str,
    subject_id: str | int,
    platform: str,
    role: str,
    ref: str,
    person: str = "",
) -> None:
    """Remember (or move) a reference in an open session."""
    found = session.scalar(
        select(MessageRef).where(
            MessageRef.subject_type == subject_type,
            MessageRef.subject_id == str(subject_id),
            MessageRef.platform == platform,
            MessageRef.role == role,
            MessageRef.person == person,
        )
    )
    if found is not None:
        found.ref = ref
        return
    session.add(
        MessageRef(
            subject_type=subject_type,
            subject_id=str(subject_id),
            platform=platform,
            role=role,
            person=person,
            ref=ref,
            created_at=clock.now(),
        )
    )


def ref_of(database, **key) -> str | None:
    """A subject's reference (keywords as `find_ref`), in a transaction of its own."""
    with database.transaction() as session:
        return find_ref(session, **key)


def remember(database, clock: Clock, **key) -> None:
    """Remember a reference (keywords as `store_ref`), in a transaction of its own."""
    with database.transaction() as session:
        store_ref(session, clock, **key)


def subject_of(
    database, *, platform: str, role: str, ref: str, person: str | None = None
) -> tuple[str, str] | None:
    """(subject_type, subject_id) whose reference `ref` is (held by `person`, if given)."""
    query = select(MessageRef.subject_type, MessageRef.subject_id).where(
        MessageRef.platform == platform, MessageRef.role == role, MessageRef.ref == ref
    )
    if person is not None:
        query = query.where(MessageRef.person == person)
    with database.transaction() as session:
        row = session.execute(query.order_by(MessageRef.id.desc()).limit(1)).first()
        return (row[0], row[1]) if row else None


def card_ref(database, platform: str, incident_id: int) -> str | None:
    """The reference (e.g. "C123:1700000000.000100") of an incident's card on a platform."""
    return ref_of(
        database, subject_type="incident", subject_id=incident_id, platform=platform, role=CARD
    )
