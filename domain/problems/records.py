"""Problem records: problems and their timeline, the incidents linked to them, known errors,
and the suggestions made when incidents recur."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from domain.incidents.records import IncidentRecord
from domain.records import Base, UtcDateTime


class ProblemRecord(Base):
    """A problem: the unknown (then known) cause of one or more incidents."""

    __tablename__ = "problems"
    __table_args__ = (
        Index("ix_problems_state_service", "state", "service", "category"),
        Index("ix_problems_owner_state", "owner_team", "state"),
    )
    subject_type = "problem"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    service: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(4))
    owner_team: Mapped[str | None] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    root_cause: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    timeline: Mapped[list[ProblemEvent]] = relationship(
        order_by="ProblemEvent.id", cascade="all, delete-orphan"
    )
    links: Mapped[list[ProblemLink]] = relationship(
        back_populates="problem", order_by="ProblemLink.incident_id"
    )
    known_errors: Mapped[list[KnownErrorRecord]] = relationship(back_populates="problem")

    @property
    def key(self) -> str:
        return f"PRB-{self.id}"


class ProblemEvent(Base):
    """One thing that happened to a problem: who, when, what."""

    __tablename__ = "problem_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")


class ProblemLink(Base):
    """An incident caused by a problem. An incident has at most one problem, so the
    incident is the key; `workaround_of` is the known error whose workaround it was offered."""

    __tablename__ = "problem_links"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    linked_by: Mapped[str] = mapped_column(String(64))
    workaround_of: Mapped[int | None] = mapped_column(ForeignKey("known_errors.id"))
    # What the reporter said of the workaround: None (not asked or not yet), fixed, broken.
    workaround_answer: Mapped[str | None] = mapped_column(String(8))

    problem: Mapped[ProblemRecord] = relationship(back_populates="links", lazy="joined")
    # Read by the incident's snapshot (its card says which problem it belongs to).
    incident: Mapped[IncidentRecord] = relationship(
        backref=backref("problem_link", uselist=False, lazy="select")
    )


class KnownErrorRecord(Base):
    """A known error: a problem's symptoms, root cause and workaround, searchable by anyone.

    Full-text search indexes it: on SQLite the FTS5 table `known_errors_fts` (porter
    tokenizer, kept by triggers), on PostgreSQL a GIN index over `english` tsvectors; both
    are made by the migration (migrations/versions/0005_problems.py), not by the models.
    """

    __tablename__ = "known_errors"
    __table_args__ = (Index("ix_known_errors_service", "service", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    symptoms: Mapped[str] = mapped_column(Text)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    workaround: Mapped[str] = mapped_column(Text)
    service: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(64))
    # Offered at intake while its problem is a known error; kept (searchable) after the fix.
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    problem: Mapped[ProblemRecord] = relationship(back_populates="known_errors", lazy="joined")

    @property
    def key(self) -> str:
        return f"KE-{self.id}"


class SuggestionRecord(Base):
    """Incidents recurring on one service and category, offered to a team as a problem."""

    __tablename__ = "problem_suggestions"
    __table_args__ = (Index("ix_problem_suggestions_open", "service", "category", "state"),)
    subject_type = "suggestion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(64))
    owner_team: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # suggested, adopted, dismissed
    # The incidents of the cluster, "7,9,12" in the order they came.
    incident_ids: Mapped[str] = mapped_column(Text, default="")
    first_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"))
    decided_by: Mapped[str | None] = mapped_column(String(64))

    @property
    def key(self) -> str:
        return f"SUG-{self.id}"

    @property
    def incidents(self) -> list[int]:
        return [int(i) for i in self.incident_ids.split(",") if i]
