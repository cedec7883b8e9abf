"""Delivering outbox rows to chat platforms: claimed once, retried with backoff, in order.

A use case writes its notifications as outbox rows in its own transaction; this module
sends them afterwards. Each destination (a channel, a person's DM, a subject's room) is a
lane: its rows go out strictly in the order they were written, one lane's run at a time.

A claim costs the same with ten rows waiting or a hundred thousand: it walks the lanes that
have active rows through a partial index on active rows only (one index probe per lane),
and reads the first few rows of each. Rows are leased ("sending") for a short `LEASE`
before the network call, and the lease is renewed while a send is in flight, so a worker
that dies holds its lane for seconds, not a minute, and two workers never send a row twice
while both live.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select, text, update

from bot.identity import BY_NAME
from bot.late_files import Attachment, needs_files, with_files
from bot.late_secrets import LateSecrets
from bot.message_refs import store_ref
from bot.room_addresses import NO_ROOM_YET, RoomAddresses
from bot.templates import RenderError, render
from domain.clock import Clock
from domain.notifications import process_of, room_role
from domain.policy import DeskPolicy
from domain.records import OUTBOX_ACTIVE, OutboxMessage, PersonRecord, PlatformAccount

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=10)
RENEW_EVERY = 3.0  # seconds between lease renewals of rows being sent
RUN = 20  # rows of one lane claimed (and sent in order) at once
MAX_LANES = 200  # lanes looked at per claim
LANES_PER_CLAIM = 20  # lanes a continuous worker takes at once (two workers share a burst)
GATHER_WAKES = 0.05  # seconds a woken worker waits for more commits before claiming
STOP_WAIT = 5.0  # seconds a stopping worker lets the messages being sent finish
# A flooded channel: more rows waiting than a sender that paces itself gets out in about
# ten seconds. Then the new-incident cards waiting in it are gathered into one digest.
DIGEST_MIN = 3  # cards worth gathering
DIGEST_MAX = 50  # cards in one digest
MAX_ATTEMPTS = 50
MAX_BACKOFF = 300.0
ROOM_WAIT = timedelta(minutes=10)  # how long a post waits for its subject's room to exist
# A message elsewhere that links to the room (an announcement) waits less: it holds up its
# own channel meanwhile, and goes without the link (naming the room) after this.
LINK_WAIT = timedelta(seconds=30)
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
    # More than a post, in a subject's room (domain.notifications.ROOM_OPS): {"op": "open",
    # "name", "topic", "purpose", "members", "member_ids", "unreachable", "within_address"
    # (where to make it: a Discord category), "beside_address" (the channel whose thread
    # stands in when the bot may not make channels), "private"}, {"op": "pin"},
    # {"op": "edit"}, {"op": "invite", "members", "member_ids", "unreachable"},
    # {"op": "archive"}, {"op": "file", "filename", "content"}. "member_ids" are the
    # members' ids on this platform (names on the console); "unreachable" the members
    # without one. For "open" the address is "" until the room exists, else the room's.
    room_op: dict[str, Any] | None = None
    # Files drawn at delivery from the context's numbers (bot/late_files.py: a chart).
    files: tuple[Attachment, ...] = ()

    @property
    def room_role(self) -> str | None:
        """For a post to a subject's room: the reference role of that room ("room")."""
        return room_role(self.destination) if self.destination_kind == "room" else None

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
        run_size: int = RUN,
        lanes_apart: bool = True,
        late: LateSecrets | None = None,
    ) -> None:
        self.database = database
        # Completes messages whose secret is minted at delivery (bot/late_secrets.py).
        self.late = late
        self.policy = policy
        self.clock = clock
        self.platform = platform
        self.sender = sender
        # A terminal shows every destination in one stream: one row per lane and claim keeps
        # that stream in the order things happened. (A paced run outlasts one lease: it is
        # renewed while the run goes on, and the run stops if renewing falls behind.)
        self.run_size = run_size
        # Lanes delivered side by side, each at its own pace (`keep_delivering`); a terminal,
        # one stream, delivers everything in one pass at a time instead.
        self.lanes_apart = lanes_apart
        self._renewed_at = 0.0  # time.monotonic() of the last renewal of every lease held
        self._stopping = False
        # Senders that pace themselves (Slack: one message a second per channel) say how
        # many waiting rows make a channel flooded; None: never gather cards.
        self.digest_at: int | None = getattr(sender, "digest_at", None)
        self.by_name = platform in BY_NAME
        self.rooms = RoomAddresses(policy, platform, self.by_name)
        self.failed_at_claim = 0  # rows the last claim failed without an attempt
        self._last_lane: tuple[str, str] | None = None
        self._in_flight: set[int] = set()
        self._wake: asyncio.Event | None = None

    def claim(
        self, skip: Collection[tuple[str, str]] = (), lanes: int = MAX_LANES
    ) -> list[OutboundMessage]:
        """Lease the due head rows of each lane with nothing in flight, a run per lane.

        A lane's run is its oldest active rows, in order, up to the first that is not due
        (a row backing off holds the rows behind it). A lane whose head another worker holds
        is skipped, so its order cannot be broken; so are the lanes in `skip` (this process
        is between two runs of them). At most `lanes` lanes get a run.
        """
        now = self.clock.now()
        claimed: list[OutboundMessage] = []
        self.failed_at_claim = 0
        taken = 0
        with self.database.transaction() as session:
            for lane in self._lanes(session):
                if lane in skip or taken >= lanes:
                    continue
                run = self._claim_run(session, lane, now)
                claimed += run
                taken += 1 if run else 0
        return sorted(claimed, key=lambda message: message.id)

    def _lanes(self, session) -> list[tuple[str, str]]:
        """The destinations with active rows: one probe of the active-rows index each."""
        lanes: list[tuple[str, str]] = []
        after: tuple[str, str] | None = None
        while len(lanes) < MAX_LANES:
            found = self._next_lane(session, after)
            if found is None:
                break
            lanes.append(found)
            after = found
        # Start where the last claim stopped, so MAX_LANES never starves the lanes after it.
        if len(lanes) == MAX_LANES and self._last_lane in lanes:
            cut = lanes.index(self._last_lane) + 1
            lanes = lanes[cut:] + lanes[:cut]
        if lanes:
            self._last_lane = lanes[-1]
        return lanes

    def _next_lane(self, session, after: tuple[str, str] | None) -> tuple[str, str] | None:
        """The first lane after `after`, in (destination kind, destination) order.

        Spelled as "same kind, later destination", then "a later kind": SQLite walks every
        row of a lane for the row-value form `(kind, destination) > (?, ?)`.
        """
        base = select(OutboxMessage.destination_kind, OutboxMessage.destination).where(
            OutboxMessage.platform == self.platform, text(OUTBOX_ACTIVE)
        )
        order = (OutboxMessage.destination_kind, OutboxMessage.destination)
        if after is None:
            probes = [base]
        else:
            kind, destination = after
            probes = [
                base.where(
                    OutboxMessage.destination_kind == kind, OutboxMessage.destination > destination
                ),
                base.where(OutboxMessage.destination_kind > kind),
            ]
        for probe in probes:
            found = session.execute(probe.order_by(*order).limit(1)).first()
            if found is not None:
                return (found[0], found[1])
        return None

    def _claim_run(self, session, lane: tuple[str, str], now) -> list[OutboundMessage]:
        in_lane = (
            OutboxMessage.platform == self.platform,
            OutboxMessage.destination_kind == lane[0],
            OutboxMessage.destination == lane[1],
            text(OUTBOX_ACTIVE),
        )
        if lane[0] == "channel" and self.digest_at is not None:
            self._gather_cards(session, in_lane, now)
        heads = list(
            session.scalars(
                select(OutboxMessage.id)
                .where(*in_lane)
                .order_by(OutboxMessage.id)
                .limit(self.run_size)
            )
        )
        if not heads:
            return []
        # The head first: whoever locks it owns the lane for this claim. Locking the whole
        # run at once with SKIP LOCKED let two workers claiming together split it between
        # them (one kept rows 1-3, the other locked 4-20 and could use none of them), and
        # the rest of the lane then idled until the next claim.
        head = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id == heads[0])
            .with_for_update(skip_locked=True)
        ).first()
        if head is None:
            return []
        locked = {head.id: head} | {
            row.id: row
            for row in session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(heads[1:]))
                .with_for_update(skip_locked=True)
            )
        }
        claimed: list[OutboundMessage] = []
        for row_id in heads:
            row = locked.get(row_id)
            if row is None or row.status not in ACTIVE:
                break  # another worker holds it (or just sent it): the rest wait behind it
            if row.next_attempt_at > now:
                break  # backing off, or in flight on a live lease: the lane waits
            message = self._lease(session, row, now)
            if message is None:
                continue  # failed for good without an attempt: the next row may go
            if message is _WAIT:
                break
            claimed.append(message)
        return claimed

    def _gather_cards(self, session, in_lane: tuple, now) -> None:
        """In a flooded channel, turn the waiting new-incident cards into one digest.

        The digest takes the place of the oldest of those cards, so nothing about an
        incident can arrive before it; the others are marked `digested`. Incidents are
        listed most urgent first, then oldest first. A card in a digest is not a card
        (nothing is edited in place later); later changes are posted as they come.
        """
        waiting = session.scalars(
            select(OutboxMessage.id)
            .where(*in_lane)
            .order_by(OutboxMessage.id)
            .limit(self.digest_at + 1)
        ).all()
        if len(waiting) <= self.digest_at:
            return
        cards = list(
            session.scalars(
                select(OutboxMessage)
                .where(
                    *in_lane,
                    OutboxMessage.status == "pending",
                    OutboxMessage.kind == "incident_opened",
                    OutboxMessage.creates_ref.is_not(None),
                )
                .order_by(OutboxMessage.id)
                .limit(DIGEST_MAX)
                .with_for_update(skip_locked=True)
            )
        )
        if len(cards) < DIGEST_MIN:
            return
        incidents = [json.loads(card.context)["incident"] for card in cards]
        incidents.sort(key=lambda incident: str(incident.get("priority", "P9")))  # stable
        carrier, gathered = cards[0], cards[1:]
        carrier.kind, carrier.creates_ref = "incident_digest", None
        carrier.subject_type = carrier.subject_id = None
        carrier.context = json.dumps({"incidents": incidents}, default=str)
        carrier.next_attempt_at = min(carrier.next_attempt_at, now)
        for card in gathered:
            card.status, card.external_ref = "digested", f"digest:{carrier.id}"
        log.info("outbox: %d new-incident cards gathered into digest %s", len(cards), carrier.id)

    def _lease(self, session, row: OutboxMessage, now):
        if process_of(row.kind) is None:
            # No process renders it: retrying cannot help, and it would hold the line.
            row.status, row.last_error = "failed", f"unknown notification kind {row.kind}"
            log.error("outbox %s: unknown notification kind %s; failed", row.id, row.kind)
            self.failed_at_claim += 1
            return None
        context = json.loads(row.context)
        room_op = context.pop("room_op", None)
        if room_op is not None and room_op.get("op") == "open":
            # The room's own making: "" until it exists (a retry finds the half-made one).
            address = self._address(session, row) or ""
        else:
            address = self._address(session, row)
        if address is None and row.destination_kind == "room" and now - row.created_at < ROOM_WAIT:
            return self._wait_for_room(row, now)
        if address is None:
            row.status, row.last_error = "failed", "no address on this platform"
            self.failed_at_claim += 1
            return None
        if context.get("needs_room"):
            # A message that links to the subject's room (the declarer's "your room is
            # ready"): it waits for the room like a room post.
            room = self.rooms.room(session, row.subject_type, row.subject_id)
            if room is None and now - row.created_at < LINK_WAIT:
                return self._wait_for_room(row, now)
            context["room_link"] = self.rooms.link(room) if room else None
        if room_op is not None:
            room_op = self.rooms.complete(session, room_op)
        row.status, row.attempts = "sending", row.attempts + 1
        row.next_attempt_at = now + LEASE
        return OutboundMessage(
            id=row.id,
            platform=row.platform,
            kind=row.kind,
            destination_kind=row.destination_kind,
            destination=row.destination,
            address=address,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            context=context,
            attempts=row.attempts,
            creates_ref=row.creates_ref,
            updates_ref=row.updates_ref,
            room_op=room_op,
        )

    @staticmethod
    def _wait_for_room(row: OutboxMessage, now) -> object:
        # The room is being made (a channel created at run time): wait for it.
        row.last_error = NO_ROOM_YET
        row.next_attempt_at = now + timedelta(seconds=5)
        return _WAIT

    def _address(self, session, row: OutboxMessage) -> str | None:
        if row.destination_kind == "room":
            return self.rooms.room(
                session, row.subject_type, row.subject_id, room_role(row.destination)
            )
        if self.by_name:
            return row.destination
        if row.destination_kind == "channel":
            return self.rooms.channel(row.destination)
        return session.scalar(
            select(PlatformAccount.user_id)
            .join(PersonRecord, PersonRecord.id == PlatformAccount.person_id)
            .where(PersonRecord.name == row.destination, PlatformAccount.platform == self.platform)
        )

    def record(
        self, message: OutboundMessage, *, ref: str | None = None, error: Exception | None = None
    ) -> None:
        """Write the outcome of one attempt."""
        if error is None:
            self._record_sent(message, ref)
            return
        now = self.clock.now()
        with self.database.transaction() as session:
            row = session.get(OutboxMessage, message.id, with_for_update=True)
            # A late answer from an attempt whose lease another worker took over is stale.
            if row is None or row.status not in ACTIVE or row.attempts != message.attempts:
                return
            if isinstance(error, PermanentFailure | RenderError) or row.attempts >= MAX_ATTEMPTS:
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

    def _record_sent(self, message: OutboundMessage, ref: str | None) -> None:
        # The common case, once per delivered message: one UPDATE … RETURNING, where a
        # read-then-write through the ORM cost more than the send itself.
        table = OutboxMessage.__table__
        with self.database.transaction() as session:
            sent = session.execute(
                table.update()
                .where(
                    table.c.id == message.id,
                    table.c.status.in_(ACTIVE),
                    # A late answer from an attempt whose lease another worker took over.
                    table.c.attempts == message.attempts,
                )
                .values(status="sent", sent_at=self.clock.now(), external_ref=ref, last_error=None)
                .returning(
                    table.c.creates_ref,
                    table.c.subject_type,
                    table.c.subject_id,
                    table.c.destination_kind,
                    table.c.destination,
                )
            ).first()
            if sent is not None and ref and sent.creates_ref and sent.subject_type:
                store_ref(
                    session,
                    self.clock,
                    subject_type=sent.subject_type,
                    subject_id=sent.subject_id,
                    platform=self.platform,
                    role=sent.creates_ref,
                    # A DM creates that person's thread, not the subject's card.
                    person=sent.destination if sent.destination_kind == "dm" else "",
                    ref=ref,
                )
                if sent.destination_kind == "room":
                    self.rooms.wake_waiters(
                        session, self.clock.now(), sent.subject_type, sent.subject_id
                    )

    async def deliver_once(self) -> int:
        """Send every claimable row once, each lane's run in order; returns how many rows it
        dealt with (attempted, or failed for good without an attempt), so callers loop while
        there is work. (The worker uses `keep_delivering`; this is one pass of it.)"""
        messages = await asyncio.to_thread(self.claim)
        runs = _runs(messages)
        renewing = asyncio.ensure_future(self._renew_leases()) if messages else None
        try:
            attempted = await asyncio.gather(
                *(self._deliver_run(run, time.monotonic()) for run in runs.values())
            )
        finally:
            if renewing is not None:
                renewing.cancel()
        return sum(attempted) + self.failed_at_claim

    async def keep_delivering(self, stop: asyncio.Event, wake: asyncio.Event, poll: float) -> None:
        """Deliver until `stop`, each lane in a task of its own.

        A lane goes on to its next run as soon as one ends, so a channel paced at one
        message a second never holds up another channel, a timer, or the claim of a lane
        that was idle. A claim takes a few lanes at a time, so two workers share a burst.
        """
        self._stopping = False
        self._wake = wake  # set when a room is made: what waited for it can go
        going: dict[tuple[str, str], asyncio.Task[int]] = {}
        renewing = asyncio.ensure_future(self._renew_leases())
        try:
            while not stop.is_set():
                try:
                    claimed = await asyncio.to_thread(self.claim, set(going), LANES_PER_CLAIM)
                except Exception:  # the database may be away: the next pass tries again
                    log.warning("outbox: claim failed; retrying", exc_info=True)
                    claimed = []
                for lane, run in _runs(claimed).items():
                    task = asyncio.ensure_future(self._keep_lane(lane, run))
                    going[lane] = task
                    task.add_done_callback(lambda _, lane=lane: going.pop(lane, None))
                if claimed:
                    continue  # more lanes may be due than one claim takes
                await wait_for_work(wake, stop, poll)
        finally:
            self._stopping = True  # each lane stops after the message it is sending
            if going:
                _, late = await asyncio.wait(list(going.values()), timeout=STOP_WAIT)
                for task in late:
                    task.cancel()
            renewing.cancel()

    async def _keep_lane(self, lane: tuple[str, str], run: list[OutboundMessage]) -> int:
        """Send a lane's runs one after another while it has due rows; returns how many."""
        dealt = 0
        while run and not self._stopping:
            done = await self._deliver_run(run, time.monotonic())
            dealt += done
            made_room = any(_opens_room(m) for m in run[:done])
            if done < len(run) or (len(run) < self.run_size and not made_room):
                break  # stopped, or the lane has nothing more due (a new room's posts are)
            try:
                run = await asyncio.to_thread(self.claim_lane, lane)
            except Exception:  # the database may be away: the next claim takes the lane
                log.warning("outbox: could not claim more of a lane", exc_info=True)
                break
        return dealt

    def claim_lane(self, lane: tuple[str, str]) -> list[OutboundMessage]:
        """Lease the next run of one lane."""
        self.failed_at_claim = 0
        with self.database.transaction() as session:
            return self._claim_run(session, lane, self.clock.now())

    async def _deliver_run(self, run: list[OutboundMessage], leased_at: float) -> int:
        """Send one lane's run in order; after a failure, the rest go back to wait behind it.

        If the leases could not be renewed for most of their length (the database is away,
        the process starved), the run stops: another worker may own those rows by now. So
        it does when the worker is stopping: the rest are given back at once.
        """
        self._in_flight.update(m.id for m in run)
        try:
            for done, message in enumerate(run, start=1):
                # Past 70% of a lease not renewed, another worker may take the rows soon.
                if (
                    time.monotonic() - max(leased_at, self._renewed_at)
                    > LEASE.total_seconds() * 0.7
                ):
                    log.warning("outbox: leases not renewed in time; leaving the rest of a run")
                    return done - 1
                if self._stopping:
                    await asyncio.to_thread(self.release, run[done - 1 :])
                    return done - 1
                if not await self._deliver(message):
                    await asyncio.to_thread(self.release, run[done:])
                    return done
            return len(run)
        finally:
            self._in_flight.difference_update(m.id for m in run)

    async def _deliver(self, message: OutboundMessage) -> bool:
        """Send one message and record the outcome; False if it was not sent."""
        started = time.monotonic()
        try:
            if self.late is not None and self.late.needs(message.kind):
                message = await asyncio.to_thread(self.late.complete, message)
            if needs_files(message):
                message = await asyncio.to_thread(with_files, message)
            ref = await self.sender.send(message)
        except Exception as exc:  # every failure is recorded; unknown ones are retried
            if not isinstance(exc, RetryLater | PermanentFailure | RenderError):
                log.warning("outbox %s to %s: %s", message.id, self.platform, _describe(exc))
            await asyncio.to_thread(self.record, message, error=exc)
            for_good = isinstance(exc, PermanentFailure | RenderError)
            ended = for_good or message.attempts >= MAX_ATTEMPTS
            self._log_delivery(message, "failed" if ended else "retry", started)
            return for_good  # failed for good: go on
        await asyncio.to_thread(self.record, message, ref=ref)
        self._log_delivery(message, "sent", started)
        if _opens_room(message) and self._wake is not None:
            self._wake.set()  # other lanes' posts that waited for the room (a DM with its link)
        return True

    def _log_delivery(self, message: OutboundMessage, outcome: str, started: float) -> None:
        # One line per attempt, with fields a log collector can count (bot/logs.py).
        ms = round((time.monotonic() - started) * 1000, 1)
        log.info(
            "outbox %s %s to %s: %s in %s ms",
            message.id,
            message.kind,
            self.platform,
            outcome,
            ms,
            extra={
                "outbox_id": message.id,
                "kind": message.kind,
                "platform": self.platform,
                "outcome": outcome,
                "ms": ms,
            },
        )

    async def close(self) -> None:
        """Let the sender close what it holds open (HTTP sessions), if it holds any."""
        close = getattr(self.sender, "close", None)
        if close is not None:
            await close()

    def release(self, messages: list[OutboundMessage]) -> None:
        """Give back leased rows that were not attempted (they wait behind a failed one)."""
        if not messages:
            return
        with self.database.transaction() as session:
            for message in messages:
                session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == message.id,
                        OutboxMessage.status == "sending",
                        OutboxMessage.attempts == message.attempts,
                    )
                    .values(
                        status="pending",
                        attempts=message.attempts - 1,
                        next_attempt_at=self.clock.now(),
                    )
                    .execution_options(synchronize_session=False)
                )

    async def _renew_leases(self) -> None:
        """While sends are in flight, keep their rows leased to this worker."""
        while True:
            await asyncio.sleep(RENEW_EVERY)
            ids = sorted(self._in_flight)
            if ids:
                try:
                    await asyncio.to_thread(self.renew, ids)
                except Exception:  # the database may be down; the next renewal tries again
                    log.warning("outbox: could not renew leases", exc_info=True)

    def renew(self, ids: list[int]) -> None:
        """Extend the lease of rows this worker is sending."""
        renewed_at = time.monotonic()
        with self.database.transaction() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "sending")
                .values(next_attempt_at=self.clock.now() + LEASE)
                .execution_options(synchronize_session=False)
            )
        self._renewed_at = renewed_at  # measured from before the update: the safe side


_WAIT = object()  # a row that must wait (its room is not there yet): the lane waits too


def _opens_room(message: OutboundMessage) -> bool:
    return message.room_op is not None and message.room_op.get("op") == "open"


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _runs(messages: list[OutboundMessage]) -> dict[tuple[str, str], list[OutboundMessage]]:
    """Claimed rows by lane, each lane's in order."""
    runs: dict[tuple[str, str], list[OutboundMessage]] = {}
    for message in messages:
        runs.setdefault((message.destination_kind, message.destination), []).append(message)
    return runs


async def wait_for_work(wake: asyncio.Event, stop: asyncio.Event, poll: float) -> None:
    """Idle until a commit wakes the loop, `stop` is set, or `poll` seconds pass.

    Woken by a commit, wait `GATHER_WAKES` more: the commits of a burst gather into one
    pass rather than a pass (and, on SQLite, a turn at the write lock) each.
    """
    wake.clear()
    waits = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waits, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
    if wake.is_set() and not stop.is_set():
        await asyncio.sleep(GATHER_WAKES)
