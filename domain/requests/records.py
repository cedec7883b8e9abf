"""Request records: a catalogue request (`REQ-n`) with its answers, approvers and timeline."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
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
