"""Satisfaction surveys: one per closed incident or fulfilled request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.records import Base, UtcDateTime


class SurveyRecord(Base):
    """The one question asked when a ticket is done, and the answer, kept for the metrics
    per ticket, agent and team."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("ticket_type", "ticket_id"),
        Index("ix_surveys_team_answered", "team", "answered_at"),
        Index("ix_surveys_agent_answered", "agent", "answered_at"),
    )
    subject_type = "survey"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_type: Mapped[str] = mapped_column(String(32))  # incident or request
    ticket_id: Mapped[str] = mapped_column(String(64))
    ticket_key: Mapped[str] = mapped_column(String(32))  # INC-3, REQ-7
    title: Mapped[str] = mapped_column(String(200))
    person: Mapped[str] = mapped_column(String(64))  # who is asked: the reporter, requester
    agent: Mapped[str | None] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # asked, answered
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def key(self) -> str:
        return f"SRV-{self.id}"
