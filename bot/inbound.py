"""Remembering inbound deliveries, so a platform's retry is acted on once."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from domain.clock import Clock
from domain.records import InboundEvent


def first_delivery(database, clock: Clock, source: str, event_id: str) -> bool:
    """True the first time (source, event_id) is seen; False for every retry after it."""
    try:
        with database.transaction() as session:
            session.add(
                InboundEvent(source=source, event_id=event_id[:128], received_at=clock.now())
            )
        return True
    except IntegrityError:
        return False


def forget_delivery(database, source: str, event_id: str) -> None:
    """Undo `first_delivery` when the work it guarded failed, so a retry is acted on."""
    with database.transaction() as session:
        session.execute(
            delete(InboundEvent).where(
                InboundEvent.source == source, InboundEvent.event_id == event_id[:128]
            )
        )
