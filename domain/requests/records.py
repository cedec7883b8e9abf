"""Request records: a catalogue request (`REQ-n`) with its answers, approvers and timeline."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.approvals import Approvers
from domain.records import Base, UtcDateTime


class RequestRecord(Base):
    """A request for something from the service catalogue."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_requester_state", "requester", "state"),
        Index("ix_requests_team_state", "fulfil_team", "state"),
    )
    subject_type = "request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    requester: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    # The form's answers, {"field": "value"}, in the item's order.
    answers: Mapped[str] = mapped_column(Text, default="{}")
    # Who was asked to approve ("carol,grace"), how many must agree, and who is asked next.
    approvers: Mapped[str] = mapped_column(Text, default="")
    approvals_required: Mapped[int] = mapped_column(Integer, default=0)
    approval_lead: Mapped[str | None] = mapped_column(String(64))
    fulfil_team: Mapped[str | None] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(Text)  # the denial reason, the fulfiller's note
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())  # the request's SLA
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Seconds from the request to its approval, kept as it is approved (None when it needed
    # none): reports add these up instead of reading two instants per request.
    approval_seconds: Mapped[float | None] = mapped_column(Float)
    task_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalated: Mapped[bool] = mapped_column(default=False)
    breached: Mapped[bool] = mapped_column(default=False)

    timeline: Mapped[list[RequestEvent]] = relationship(
        order_by="RequestEvent.id", cascade="all, delete-orphan"
    )

    @property
    def key(self) -> str:
        return f"REQ-{self.id}"

    @property
    def values(self) -> dict[str, str]:
        return json.loads(self.answers or "{}")

    @property
    def asked(self) -> Approvers:
        """The approvers of this request, as they were asked."""
        people = tuple(p for p in self.approvers.split(",") if p)
        return Approvers(people, self.approvals_required, self.approval_lead)


class RequestEvent(Base):
    """One step of a request: who, when, what."""

    __tablename__ = "request_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")


class PasswordReset(Base):
    """One password-reset flow: a one-time link (by DM), a one-time code (to the recovery
    address), a new password set in the directory. Secrets are stored hashed only: the
    link's token as SHA-256 (it is long and random), the code with scrypt and a salt (it is
    six digits), the browser that opened the link as SHA-256 of its cookie."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_person_started", "person", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person: Mapped[str] = mapped_column(String(64))
    # started → code_sent → verified → done; or void (too many wrong codes, code typed in
    # chat, replaced by a newer flow) or expired.
    state: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    browser_hash: Mapped[str | None] = mapped_column(String(64))
    code_hash: Mapped[str | None] = mapped_column(String(200))
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0)
    started_via: Mapped[str] = mapped_column(String(16))  # command, catalog, dm
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    subject_type = "password_reset"

    @property
    def key(self) -> str:
        return f"reset {self.id}"


class PasswordResetEvent(Base):
    """Every attempt on a reset flow: who, when, what happened (never a secret)."""

    __tablename__ = "password_reset_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reset_id: Mapped[int] = mapped_column(ForeignKey("password_resets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(Text, default="")
