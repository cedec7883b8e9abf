"""On-call records: overrides made from chat, pages and where each stands in its team's
escalation policy, and each schedule's last known on-call person (for hand-overs).

The rotations themselves are configuration (`domain.oncall_settings`), computed by
`domain.schedules`; only what people change from chat, and what is under way, is stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.records import Base, UtcDateTime


class OncallOverride(Base):
    """Someone covers a team's schedule from `starts_at` to `ends_at` (OVR-n)."""

    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_oncall_overrides_schedule", "team", "schedule", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    schedule: Mapped[str] = mapped_column(String(64))
    person: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancelled_by: Mapped[str | None] = mapped_column(String(64))

    @property
    def key(self) -> str:
        return f"OVR-{self.id}"


class Page(Base):
    """A team paged about a subject (PAGE-n), stepping through its escalation policy until
    someone acknowledges, the subject is dealt with, or the policy runs out.

    One active page per (team, subject): a P1 declared major is not paged twice.
    """

    __tablename__ = "pages"
    subject_type = "page"
    __table_args__ = (
        Index(
            "uq_pages_active",
            "team",
            "about_type",
            "about_id",
            unique=True,
            sqlite_where=text("state = 'paging'"),
            postgresql_where=text("state = 'paging'"),
        ),
        Index("ix_pages_about", "about_type", "about_id", "state"),
        Index("ix_pages_team", "team", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    about_type: Mapped[str] = mapped_column(String(32))  # the paged subject: "incident"
    about_id: Mapped[str] = mapped_column(String(64))
    about_key: Mapped[str] = mapped_column(String(32))  # INC-42, for people
    title: Mapped[str] = mapped_column(Text)  # the subject's title when paged
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # paging, acknowledged, ended
    step: Mapped[int] = mapped_column(Integer, default=0)  # the next step to run
    round: Mapped[int] = mapped_column(Integer, default=0)  # repeats of the policy so far
    paged: Mapped[str] = mapped_column(Text, default="")  # people paged by DM, comma-separated
    # Who may answer: everyone paged, and every member once the team's channel was paged.
    reached: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    end_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def key(self) -> str:
        return f"PAGE-{self.id}"

    @property
    def paged_people(self) -> list[str]:
        """Everyone this page has sent a DM, in order."""
        return [p for p in self.paged.split(",") if p]

    @property
    def reached_people(self) -> list[str]:
        """Everyone who may acknowledge or escalate it."""
        return [p for p in self.reached.split(",") if p]


class OncallRotation(Base):
    """Who was last on call in one team's schedule: the subject of its hand-over timer."""

    __tablename__ = "oncall_rotations"
    subject_type = "oncall_rotation"
    __table_args__ = (UniqueConstraint("team", "schedule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    schedule: Mapped[str] = mapped_column(String(64))
    person: Mapped[str | None] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16), default="running")
