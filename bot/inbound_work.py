"""Durable inbound work: every acknowledged interaction is a row before it is acknowledged.

The life of a row:

1. `accept` inserts it (pending, leased to this process) before the platform gets its
   acknowledgement; the platform's delivery identity is unique, so a delivery that comes
   twice (a client retrying after a timeout) is stored once and the second is dropped.
2. `take` renews the lease just before the work starts, and `renew` keeps it while the work
   runs; if someone else took the row over meanwhile, `take` says so and we leave it.
3. `finish` marks it done (or failed) and clears the reply token.
4. A row whose lease ran out belongs to a process that died (or stopped): `claim_abandoned`
   hands it to another process, which does the work and answers the person.
5. `purge` deletes finished rows after `RETENTION`: platforms retry within minutes, so a
   day of identities is more than de-duplication needs.

Functions here are blocking (SQL); the pipeline runs them off the event loop.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from domain.clock import Clock
from domain.records import InboundWork

# Long enough that a busy process keeps its rows (the lease is renewed while work runs);
# short enough that a dead replica's rows are answered within a minute.
LEASE = timedelta(seconds=30)
# A row whose work has started this many times is given up (and logged), not retried forever.
MAX_ATTEMPTS = 5
RETENTION = timedelta(days=1)


def process_owner() -> str:
    """A name for this process's leases: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Work:
    """One stored interaction, as a job sees it."""

    id: int
    platform: str
    delivery: str
    job: str
    payload: dict[str, Any]
    reply_token: str | None
    received_at: datetime
    attempts: int
    # True when another process's work is taken over (the first try may have half-run).
    replay: bool = False


def accept(
    database,
    clock: Clock,
    *,
    platform: str,
    delivery: str,
    job: str,
    payload: dict[str, Any],
    reply_token: str | None,
    owner: str,
) -> Work | None:
    """Store an interaction before acknowledging it; None if that delivery is stored already."""
    now = clock.now()
    row = InboundWork(
        platform=platform,
        delivery=delivery[:160],
        job=job,
        payload=json.dumps(payload, separators=(",", ":")),
        reply_token=reply_token,
        state="pending",
        attempts=0,
        owner=owner,
        lease_until=now + LEASE,
        received_at=now,
    )
    try:
        with database.transaction() as session:
            session.add(row)
            session.flush()
            work_id = row.id
    except IntegrityError:
        return None
    return Work(work_id, platform, row.delivery, job, payload, reply_token, now, 0)


def take(database, clock: Clock, work_id: int, owner: str) -> bool:
    """Start the work: True if this process still holds the row (and now for a new lease)."""
    with database.transaction() as session:
        result = session.execute(
            update(InboundWork)
            .where(
                InboundWork.id == work_id,
                InboundWork.owner == owner,
                InboundWork.state == "pending",
            )
            .values(lease_until=clock.now() + LEASE, attempts=InboundWork.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def renew(database, clock: Clock, work_ids: list[int], owner: str) -> None:
    """Extend the leases of work still running in this process."""
    _lease_until(database, work_ids, owner, clock.now() + LEASE)


def finish(database, clock: Clock, work_id: int, owner: str, state: str = "done") -> None:
    """The work is over: keep the identity (for de-duplication), drop the reply token.

    Only the process holding the row finishes it: one that lost its lease meanwhile (and
    was replaced) leaves the row to its new owner.
    """
    with database.transaction() as session:
        session.execute(
            update(InboundWork)
            .where(
                InboundWork.id == work_id,
                InboundWork.owner == owner,
                InboundWork.state == "pending",
            )
            .values(state=state, reply_token=None, finished_at=clock.now())
            .execution_options(synchronize_session=False)
        )


def forget(database, clock: Clock, work_id: int) -> None:
    """Close a row whose work did nothing, freeing its delivery identity for a new try."""
    with database.transaction() as session:
        session.execute(
            update(InboundWork)
            .where(InboundWork.id == work_id)
            .values(
                delivery=func.substr(InboundWork.delivery, 1, 120) + f"#forgotten:{work_id}",
                state="forgotten",
                reply_token=None,
                finished_at=clock.now(),
            )
            .execution_options(synchronize_session=False)
        )


def hand_back(database, clock: Clock, work_ids: list[int], owner: str) -> None:
    """Release this process's leases at once (it is stopping): another process takes over."""
    _lease_until(database, work_ids, owner, clock.now())


def _lease_until(database, work_ids: list[int], owner: str, until: datetime) -> None:
    if not work_ids:
        return
    with database.transaction() as session:
        session.execute(
            update(InboundWork)
            .where(
                InboundWork.id.in_(work_ids),
                InboundWork.owner == owner,
                InboundWork.state == "pending",
            )
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )


def claim_abandoned(
    database, clock: Clock, *, platform: str, owner: str, limit: int = 20
) -> tuple[list[Work], list[Work]]:
    """Take over rows whose lease ran out: (work to do again, work given up as failed)."""
    now = clock.now()
    with database.transaction() as session:
        rows = list(
            session.scalars(
                select(InboundWork)
                .where(
                    InboundWork.state == "pending",
                    InboundWork.lease_until < now,
                    InboundWork.platform == platform,
                )
                .order_by(InboundWork.lease_until, InboundWork.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        taken, given_up = [], []
        for row in rows:
            work = Work(
                row.id,
                row.platform,
                row.delivery,
                row.job,
                json.loads(row.payload),
                row.reply_token,
                row.received_at,
                row.attempts + 1,
                replay=True,
            )
            if row.attempts >= MAX_ATTEMPTS:
                row.state, row.reply_token, row.finished_at = "failed", None, now
                given_up.append(work)
            else:
                row.owner, row.lease_until, row.attempts = owner, now + LEASE, row.attempts + 1
                taken.append(work)
        return taken, given_up


def purge(database, clock: Clock, retention: timedelta = RETENTION) -> int:
    """Delete finished rows older than `retention`; returns how many."""
    with database.transaction() as session:
        result = session.execute(
            delete(InboundWork)
            .where(InboundWork.finished_at < clock.now() - retention)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0
