"""Major incident records: the major incident (an incident with a war room), its roles,
status updates, timeline marks from chat, action items and its review.

A major incident keeps its incident's number: `MajorIncident.id` is the incident's id, so
INC-42 names both. Nothing is deleted: a person leaving a role ends it (`until`), a mark
removed from the timeline is kept as removed, a closed action item stays listed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.records import Base, UtcDateTime


class MajorIncident(Base):
    """An incident run as a major incident: a war room, roles, status on a cadence."""

    __tablename__ = "major_incidents"
    __table_args__ = (Index("ix_major_incidents_state", "state"),)
    subject_type = "major"

    id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    priority: Mapped[str] = mapped_column(String(4))
    service: Mapped[str | None] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(64))
    # running → resolved → archived (the room read-only); the incident has its own states.
    state: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # investigating … resolved
    impact: Mapped[str] = mapped_column(Text, default="")
    room_name: Mapped[str] = mapped_column(String(80))
    declared_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())  # the incident's
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_update_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_update_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    mitigated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # 0: on cadence; 1: the commander was reminded; 2: the comms lead and escalation told.
    cadence_level: Mapped[int] = mapped_column(Integer, default=0)
    review: Mapped[str | None] = mapped_column(Text)  # the last post-incident review, Markdown
    review_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    review_by: Mapped[str | None] = mapped_column(String(64))

    @property
    def key(self) -> str:
        return f"INC-{self.id}"


class MajorRole(Base):
    """Someone holding a role in a major incident, from `since` until `until` (or now)."""

    __tablename__ = "major_roles"
    __table_args__ = (Index("ix_major_roles_major", "major_id", "until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("major_incidents.id"))
    role: Mapped[str] = mapped_column(String(16))  # commander, communications, scribe, responder
    person: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    given_by: Mapped[str] = mapped_column(String(64))


class MajorUpdate(Base):
    """A status update: posted to the war room and the stakeholders, kept for the review."""

    __tablename__ = "major_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("major_incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    impact: Mapped[str] = mapped_column(Text, default="")
    # Only public updates may ever be shown outside (a status page).
    public: Mapped[bool] = mapped_column(Boolean, default=False)


class MajorMark(Base):
    """A line on the timeline: a chat message marked from the war room, or a note."""

    __tablename__ = "major_marks"
    __table_args__ = (UniqueConstraint("major_id", "source", name="uq_major_marks_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("major_incidents.id"))
    # Where it came from: "<platform>:<room>:<message>" for a chat message, "note:<n>" else;
    # marking the same message again finds this row.
    source: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime())  # when it was said
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class MajorAction(Base):
    """An action item from a major incident: owned, due, reminded, closed from chat."""

    __tablename__ = "major_actions"
    __table_args__ = (Index("ix_major_actions_owner_state", "owner", "state"),)
    subject_type = "major_action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("major_incidents.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(64))
    due: Mapped[datetime | None] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16))  # to_do, completed
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    done_by: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def key(self) -> str:
        return f"ACT-{self.id}"
