"""Where a platform put an incident's messages, so adapters can edit its card in place."""

from __future__ import annotations

from sqlalchemy import select

from domain.records import OutboxMessage


def card_ref(database, platform: str, incident_id: int) -> str | None:
    """The external reference (e.g. "C123:1700000000.000100") of the incident's card.

    The card is the delivered `incident_opened` post; senders store its reference when
    they deliver it. Rows for one channel go out in order, so it exists before any update.
    """
    with database.transaction() as session:
        return session.scalar(
            select(OutboxMessage.external_ref)
            .where(
                OutboxMessage.platform == platform,
                OutboxMessage.incident_id == incident_id,
                OutboxMessage.kind == "incident_opened",
                OutboxMessage.status == "sent",
            )
            .order_by(OutboxMessage.id)
            .limit(1)
        )
