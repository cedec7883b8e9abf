"""Delivering outbox rows to chat platforms: claimed once, retried with backoff, in order.

A use case writes its notifications as outbox rows in its own transaction; this module
sends them afterwards. A row is leased ("sending") before the network call so two workers
never send it twice, and a destination's rows go out strictly in the order they were written.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased

from bot.identity import BY_NAME
from bot.message_refs import find_ref, store_ref
from bot.templates import RenderError, render
from domain.clock import Clock
from domain.notifications import process_of
from domain.policy import DeskPolicy
from domain.records import OutboxMessage, PersonRecord, PlatformAccount

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 50
MAX_BACKOFF = 300.0
ROOM_WAIT = timedelta(minutes=10)  # how long a post waits for its subject's room to exist
ACTIVE = ("pending", "sending")


class RetryLater(Exception):
    """The platform could not take the message now (rate limit, outage); try again."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """The message can never be delivered (unknown channel, bot removed…)."""


@dataclass(frozen=True)
class OutboundMessage:
    """One notification on its way to one platform address."""

    id: int
    platform: str
    kind: str
    destination_kind: str  # "channel", "dm" or "room"
    destination: str  # logical channel name, person name, or the room's reference role
    address: str  # channel id / user id on the platform (console: the name itself)
    subject_type: str | None
    subject_id: str | None
    context: dict[str, Any]
    attempts: int
    creates_ref: str | None = None  # the sent message becomes the subject's reference
    updates_ref: str | None = None  # the subject's message to edit in place

    @property
    def incident_id(self) -> int | None:
        """The incident this message is about, if its subject is one."""
        return int(self.subject_id) if self.subject_type == "incident" else None

    def text(self, mention: Callable[[str], str] | None = None) -> str:
        """The message rendered with the plain-text template."""
        return render(self.kind, "text", mention=mention, **self.context)


class Sender(Protocol):
    """What an adapter provides to deliver one message; returns a reference to it."""

    async def send(self, message: OutboundMessage) -> str | None: ...


class OutboxDelivery:
    """Claims due rows for one platform, hands them to its sender, records the outcome."""

    def __init__(
        self,
        *,
        database,
        policy: DeskPolicy,
        clock: Clock,
        platform: str,
        sender: Sender,
        batch_size: int = 20,
    ) -> None:
        self.database = database
        self.policy = policy
        self.clock = clock
        self.platform = platform
        self.sender = sender
        self.batch_size = batch_size
        self.by_name = platform in BY_NAME
        self.failed_at_claim = 0  # rows the last claim failed without an attempt

    def claim(self) -> list[OutboundMessage]:
        """Lease the oldest due row of each destination that has nothing older in flight."""
        now = self.clock.now()
        older = aliased(OutboxMessage)
        blocked = exists().where(
            and_(
                older.platform == OutboxMessage.platform,
                older.destination_kind == OutboxMessage.destination_kind,
                older.destination == OutboxMessage.destination,
                older.status.in_(ACTIVE),
                older.id < OutboxMessage.id,
            )
        )
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.platform == self.platform,
                OutboxMessage.status.in_(ACTIVE),
                OutboxMessage.next_attempt_at <= now,
                ~blocked,
            )
            .order_by(OutboxMessage.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        claimed: list[OutboundMessage] = []
        self.failed_at_claim = 0
        with self.database.transaction() as session:
            for row in session.scalars(query):
                if process_of(row.kind) is None:
                    # No process renders it: retrying cannot help, and it would hold the line.
                    row.status, row.last_error = "failed", f"unknown notification kind {row.kind}"
                    log.error("outbox %s: unknown notification kind %s; failed", row.id, row.kind)
                    self.failed_at_claim += 1
                    continue
                address = self._address(session, row)
                if (
                    address is None
                    and row.destination_kind == "room"
                    and now - row.created_at < ROOM_WAIT
                ):
                    # The room is being made (a channel created at run time): wait for it.
                    row.last_error = "the subject's room does not exist yet"
                    row.next_attempt_at = now + timedelta(seconds=5)
                    continue
                if address is None:
                    row.status, row.last_error = "failed", "no address on this platform"
                    self.failed_at_claim += 1
                    continue
                row.status, row.attempts = "sending", row.attempts + 1
                row.next_attempt_at = now + LEASE
                claimed.append(
                    OutboundMessage(
                        id=row.id,
                        platform=row.platform,
                        kind=row.kind,
                        destination_kind=row.destination_kind,
                        destination=row.destination,
                        address=address,
                        subject_type=row.subject_type,
                        subject_id=row.subject_id,
                        context=json.loads(row.context),
                        attempts=row.attempts,
                        creates_ref=row.creates_ref,
                        updates_ref=row.updates_ref,
                    )
                )
        return claimed

    def _address(self, session, row: OutboxMessage) -> str | None:
        if row.destination_kind == "room":
            if row.subject_type is None or row.subject_id is None:
                return None
            ref = find_ref(
                session,
                subject_type=row.subject_type,
                subject_id=row.subject_id,
                platform=self.platform,
                role=row.destination,
            )
            return ref.split(":", 1)[0] if ref else None
        if self.by_name:
            return row.destination
        if row.destination_kind == "channel":
            channel = self.policy.channels.get(row.destination)
            return channel.addresses.get(self.platform) if channel else None
        return session.scalar(
            select(PlatformAccount.user_id)
            .join(PersonRecord, PersonRecord.id == PlatformAccount.person_id)
            .where(PersonRecord.name == row.destination, PlatformAccount.platform == self.platform)
        )

    def record(
        self, message: OutboundMessage, *, ref: str | None = None, error: Exception | None = None
    ) -> None:
        """Write the outcome of one attempt."""
        now = self.clock.now()
        with self.database.transaction() as session:
            row = session.get(OutboxMessage, message.id, with_for_update=True)
            # A late answer from an attempt whose lease another worker took over is stale.
            if row is None or row.status not in ACTIVE or row.attempts != message.attempts:
                return
            if error is None:
                row.status, row.sent_at, row.external_ref, row.last_error = "sent", now, ref, None
                if ref and row.creates_ref and row.subject_type and row.subject_id:
                    store_ref(
                        session,
                        self.clock,
                        subject_type=row.subject_type,
                        subject_id=row.subject_id,
                        platform=row.platform,
                        role=row.creates_ref,
                        ref=ref,
                    )
            elif isinstance(error, PermanentFailure | RenderError) or row.attempts >= MAX_ATTEMPTS:
                row.status, row.last_error = "failed", _describe(error)
                log.error(
                    "outbox %s to %s %s failed for good: %s",
                    row.id,
                    row.platform,
                    row.destination_kind,
                    _describe(error),
                )
            else:
                after = getattr(error, "retry_after", None)
                delay = after if after is not None else min(2.0**row.attempts, MAX_BACKOFF)
                row.status, row.last_error = "pending", _describe(error)
                row.next_attempt_at = now + timedelta(seconds=delay)

    async def deliver_once(self) -> int:
        """Send every claimable row once; returns how many rows it dealt with (attempted,
        or failed for good without an attempt), so callers loop while there is work."""
        messages = await asyncio.to_thread(self.claim)
        if messages:
            await asyncio.gather(*(self._deliver(m) for m in messages))
        return len(messages) + self.failed_at_claim

    async def _deliver(self, message: OutboundMessage) -> None:
        try:
            ref = await self.sender.send(message)
        except Exception as exc:  # every failure is recorded; unknown ones are retried
            if not isinstance(exc, RetryLater | PermanentFailure | RenderError):
                log.warning("outbox %s to %s: %s", message.id, self.platform, _describe(exc))
            await asyncio.to_thread(self.record, message, error=exc)
            return
        await asyncio.to_thread(self.record, message, ref=ref)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]
