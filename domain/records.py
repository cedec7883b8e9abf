"""The kernel's stored records, shared by every process: people and their platform accounts,
the outbox, timers, message references and inbound deliveries (SQLAlchemy 2.x models).

Each process keeps its own records in `domain/<process>/records.py` on the same `Base`;
`domain.schema` imports them all. Alembic revisions mirror the whole schema.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, even on SQLite which stores naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PersonRecord(Base):
    """A person the desk knows: from the configuration, or met on a chat platform."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    roles: Mapped[str] = mapped_column(String(200), default="employee")
    from_config: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class PlatformAccount(Base):
    """A person's user id on one chat platform: a new platform needs rows, not columns."""

    __tablename__ = "platform_accounts"
    __table_args__ = (
        UniqueConstraint("platform", "user_id"),
        UniqueConstraint("person_id", "platform"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))


# Literal, not bound: a partial index serves a query only when its condition is spelled out.
OUTBOX_ACTIVE = "status IN ('pending', 'sending')"


class OutboxMessage(Base):
    """A notification waiting to be (or already) delivered to one platform address.

    `destination_kind` is "channel" (a logical channel of the config), "dm" (a person) or
    "room" (a channel the subject got at run time, found through its message reference
    named by `destination`). `creates_ref` names the reference the sent message becomes
    (the subject's "card"); `updates_ref` names the message this delivery edits in place.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # Rows still to deliver, by destination ("lane") and age: what a claim walks. Sent
        # rows leave it, so its size is the backlog, never the history.
        Index(
            "ix_outbox_lane",
            "platform",
            "destination_kind",
            "destination",
            "id",
            sqlite_where=text(OUTBOX_ACTIVE),
            postgresql_where=text(OUTBOX_ACTIVE),
        ),
        # Deliveries that failed for good, per platform: the /metrics scrape counts them
        # without reading the sent history.
        Index(
            "ix_outbox_failed",
            "platform",
            sqlite_where=text("status = 'failed'"),
            postgresql_where=text("status = 'failed'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    platform: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(48))
    destination_kind: Mapped[str] = mapped_column(String(8))
    destination: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    creates_ref: Mapped[str | None] = mapped_column(String(32))
    updates_ref: Mapped[str | None] = mapped_column(String(32))
    context: Mapped[str] = mapped_column(Text)  # JSON
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    external_ref: Mapped[str | None] = mapped_column(String(200))


class Timer(Base):
    """Something that must happen to a subject later (an SLA warning, an expiry), as a row.

    The index ends in `id` so that claiming the oldest due timers among thousands due at
    the same instant reads them in index order instead of sorting the whole tie group.
    """

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_due", "state", "due_at", "id"),
        Index("ix_timers_subject", "subject_type", "subject_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16), default="pending")
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class MessageRef(Base):
    """Where a platform put a subject's message: its card, a person's DM thread, its room.

    `person` is "" unless the reference belongs to one person (a DM thread).
    """

    __tablename__ = "message_refs"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "platform", "role", "person"),
        Index("ix_message_refs_platform_ref", "platform", "ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(32))
    person: Mapped[str] = mapped_column(String(64), default="")
    ref: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class InboundEvent(Base):
    """An inbound delivery already handled, so a platform's retry is not acted on twice."""

    __tablename__ = "inbound_events"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # What the command answered, so a replay after a crash can still tell the person.
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)


class InboundWork(Base):
    """An acknowledged interaction, stored before its acknowledgement until it is done.

    A replica that dies after acknowledging leaves its rows pending; when their lease runs
    out another process takes them over. The platform's delivery identity is unique, so
    the same delivery twice is stored (and acted on) once. `reply_token` (a Slack
    response_url, a Discord interaction token) is cleared once the work is done.
    """

    __tablename__ = "inbound_work"
    __table_args__ = (
        UniqueConstraint("platform", "delivery"),
        Index(None, "state", "lease_until", "id"),
        Index(None, "finished_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    delivery: Mapped[str] = mapped_column(String(160))
    job: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # JSON; never a reply token or secret
    reply_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(
        String(16)
    )  # pending, done, failed, forgotten (did nothing; may come again)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    owner: Mapped[str] = mapped_column(String(80))
    lease_until: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ApprovalDecision(Base):
    """One approver's answer on a subject that needs approval (a request, an access grant).

    One row per approver and subject: answering twice is refused, and the unique key makes
    the refusal hold when two answers race.
    """

    __tablename__ = "approval_decisions"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "approver"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    approver: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(8))  # approve or deny
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime())
