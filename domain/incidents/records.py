"""Incident records: the incident and its timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.records import Base, UtcDateTime


class IncidentRecord(Base):
    """An incident: an unplanned interruption or reduction in quality of a service."""

    __tablename__ = "incidents"
    __table_args__ = (
        # A team's queue: open incidents of a group, most urgent first (priority "P1" < "P2"
        # sorts as text), read in index order and cut at the page size.
        Index("ix_incidents_group_state", "assignment_group", "state", "priority", "id"),
        Index("ix_incidents_assignee_state", "assignee", "state"),
        Index("ix_incidents_reporter_state", "reporter", "state"),
        # Recent incidents of one service and category (recurring ones suggest a problem).
        Index("ix_incidents_service_opened", "service", "category", "opened_at"),
        # Reports take a percentile as the k-th smallest measure of a period: these are
        # walked in order of the measure, the instant that places it in a period alongside.
        Index("ix_incidents_response", "response_seconds", "first_response_at"),
        Index("ix_incidents_resolution", "resolution_seconds", "resolved_at"),
    )
    subject_type = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    reporter: Mapped[str] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(64))
    impact: Mapped[str] = mapped_column(String(8))
    urgency: Mapped[str] = mapped_column(String(8))
    priority: Mapped[str] = mapped_column(String(4))
    assignment_group: Mapped[str | None] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # SLA clocks stop while on hold or resolved; the paused time is added to every deadline.
    paused_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    respond_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    respond_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolve_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    resolve_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # The incident's measures, kept as it goes so that reports add up numbers instead of
    # reading instants and timelines (definitions: docs/metrics.md). Seconds, to the
    # millisecond: opening to first response; opening to the current resolution less the
    # time paused (None while unresolved); reopens; "Assigned to team" entries.
    response_seconds: Mapped[float | None] = mapped_column(Float)
    resolution_seconds: Mapped[float | None] = mapped_column(Float)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    team_changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    timeline: Mapped[list[TimelineEntry]] = relationship(
        back_populates="incident", order_by="TimelineEntry.id", cascade="all, delete-orphan"
    )

    @property
    def key(self) -> str:
        return f"INC-{self.id}"

    @property
    def breached(self) -> bool:
        return self.respond_breached or self.resolve_breached


class TimelineEntry(Base):
    """One thing that happened to an incident: who, when, what."""

    __tablename__ = "timeline_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")

    incident: Mapped[IncidentRecord] = relationship(back_populates="timeline")
