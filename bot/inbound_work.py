"""Durable inbound work: every acknowledged interaction is a row before it is acknowledged.

The life of a row:

1. `ReceiptWriter.accept` inserts it (pending, leased to this process) before the platform
   gets its acknowledgement; the platform's delivery identity is unique, so a delivery that comes
   twice (a client retrying after a timeout) is stored once and the second is dropped.
2. `take` renews the lease before work that waited long starts, and `renew` keeps it while
   the work runs; if someone else took the row over meanwhile, `take` says so and we leave
   it. `attempts` counts takeovers.
3. `ReceiptWriter.finish` marks it done (or failed) and clears the reply token; only the
   process holding the row finishes it.
4. A row whose lease ran out belongs to a process that died (or stopped): `claim_abandoned`
   hands it to another process, which does the work and answers the person.
5. `purge` deletes finished rows after `RETENTION`: platforms retry within minutes, so a
   day of identities is more than de-duplication needs.

Functions here are blocking (SQL); the pipeline runs them off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.write_batches import settle, take_batch
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

    def fresh(self, now: datetime) -> bool:
        """Still well inside the lease it was stored with: nobody can have taken it over."""
        return now - self.received_at < LEASE / 2


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
            .values(lease_until=clock.now() + LEASE)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def renew(database, clock: Clock, work_ids: list[int], owner: str) -> None:
    """Extend the leases of work still running in this process."""
    _lease_until(database, work_ids, owner, clock.now() + LEASE)


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


@dataclass
class _Pending:
    """A request to the writer: a row to store, or a row to finish, and who waits for it."""

    kind: str  # "accept" or "finish"
    values: dict[str, Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future


class ReceiptWriter:
    """Stores and finishes interactions in batches, on a thread of its own.

    Whatever arrives while a batch is being written goes into the next one: under a burst
    a hundred acknowledgements share one transaction (one turn of SQLite's write lock, one
    commit), and an acknowledgement never waits behind desk work for a thread.
    """

    BATCH = 200

    def __init__(self, database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def accept(self, **values: Any) -> Work | None:
        """Store one interaction (see `accept`); None if its delivery is stored already."""
        return await self._submit("accept", values)

    async def finish(self, work_id: int, owner: str, state: str) -> None:
        """Mark stored work finished (see `finish`)."""
        await self._submit("finish", {"id": work_id, "owner": owner, "state": state})

    async def _submit(self, kind: str, values: dict[str, Any]) -> Any:
        self._start()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put(_Pending(kind, values, loop, future))
        return await future

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="receipts", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stop the thread once what is queued is written."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while (batch := take_batch(self._queue, self.BATCH)) is not None:
            try:
                results = self._write(batch)
            except BaseException as exc:  # every waiter hears of it
                for item in batch:
                    settle(item.loop, item.future, error=exc)
                continue
            for item, result in zip(batch, results, strict=True):
                settle(item.loop, item.future, result=result)

    def _write(self, batch: list[_Pending]) -> list[Any]:
        now = self.clock.now()
        accepts = [item for item in batch if item.kind == "accept"]
        finishes = [item for item in batch if item.kind == "finish"]
        stored: dict[tuple[str, str], int] = {}
        with self.database.transaction(urgent=True) as session:
            if accepts:
                stored = self._insert(session, [a.values for a in accepts], now)
            for item in finishes:
                v = item.values
                session.execute(
                    update(InboundWork)
                    .where(
                        InboundWork.id == v["id"],
                        InboundWork.owner == v["owner"],
                        InboundWork.state == "pending",
                    )
                    .values(state=v["state"], reply_token=None, finished_at=now)
                    .execution_options(synchronize_session=False)
                )
        results: list[Any] = []
        for item in batch:
            if item.kind == "finish":
                results.append(None)
                continue
            v = item.values
            work_id = stored.pop((v["platform"], v["delivery"][:160]), None)
            results.append(
                None
                if work_id is None
                else Work(
                    work_id,
                    v["platform"],
                    v["delivery"][:160],
                    v["job"],
                    v["payload"],
                    v["reply_token"],
                    now,
                    0,
                )
            )
        return results

    def _insert(self, session, rows: list[dict[str, Any]], now: datetime) -> dict:
        """Insert the rows whose delivery is new; {(platform, delivery): id} of those."""
        values = [
            {
                "platform": r["platform"],
                "delivery": r["delivery"][:160],
                "job": r["job"],
                "payload": json.dumps(r["payload"], separators=(",", ":")),
                "reply_token": r["reply_token"],
                "state": "pending",
                "attempts": 0,
                "owner": r["owner"],
                "lease_until": now + LEASE,
                "received_at": now,
            }
            for r in rows
        ]
        dialect = session.get_bind().dialect.name
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        table = InboundWork.__table__  # a Core insert: the ORM's bulk machinery costs more
        statement = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["platform", "delivery"])
            .returning(table.c.id, table.c.platform, table.c.delivery)
        )
        stored: dict[tuple[str, str], int] = {}
        for row_id, platform, delivery in session.execute(statement, values):
            stored.setdefault((platform, delivery), row_id)
        return stored
