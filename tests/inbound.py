"""Looking at and ageing stored inbound work, for the durability tests of every platform."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from domain.records import InboundWork


def stored_work(runtime) -> list[InboundWork]:
    """Every inbound_work row, oldest first."""
    with runtime.database.transaction() as session:
        return list(session.scalars(select(InboundWork).order_by(InboundWork.id)))


def expire_leases(runtime, **also: Any) -> None:
    """What waiting out the lease would do (and any other column change in `also`)."""
    past = runtime.clock.now() - timedelta(seconds=1)
    with runtime.database.transaction() as session:
        session.execute(update(InboundWork).values(lease_until=past, **also))
