"""Access records: grants (`ACC-n`), their steps, reviews and the periodic jobs' schedule.

Grants are ended, never deleted: who asked, who approved, who revoked, why and when stay.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.approvals import Approvers
from domain.records import Base, UtcDateTime


class AccessGrant(Base):
    """One person's access to one role of a resource, from request to its end."""

    __tablename__ = "access_grants"
    __table_args__ = (
        Index("ix_access_grants_person_state", "person", "state"),
        Index("ix_access_grants_resource_state", "resource", "state"),
    )
    subject_type = "access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    group_name: Mapped[str] = mapped_column(String(128))
    person: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    # pending → granting (the directory is retried) → active → ending → revoked | expired;
    # or denied, cancelled, renewed (replaced by a renewal that was approved).
    state: Mapped[str] = mapped_column(String(16))
    ending: Mapped[str | None] = mapped_column(String(16))  # revoked or expired, while ending
    duration_s: Mapped[int] = mapped_column(Integer)
    approvers: Mapped[str] = mapped_column(Text, default="")
    approvals_required: Mapped[int] = mapped_column(Integer, default=0)
    break_glass: Mapped[bool] = mapped_column(default=False)
    # The person was in the group before this grant: its end leaves them there.
    was_member: Mapped[bool] = mapped_column(default=False)
    renewal_of: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(64))
    end_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @property
    def key(self) -> str:
        return f"ACC-{self.id}"

    @property
    def title(self) -> str:
        return f"{self.resource}:{self.role} for {self.person}"

    @property
    def asked(self) -> Approvers:
        people = tuple(p for p in self.approvers.split(",") if p)
        return Approvers(people, self.approvals_required, None)


class AccessEvent(Base):
    """One step of a grant: who, when, what."""

    __tablename__ = "access_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")


class AccessReview(Base):
    """An access review of one resource: its owners keep or revoke each current grant."""

    __tablename__ = "access_reviews"
    __table_args__ = (Index("ix_access_reviews_resource_state", "resource", "state"),)
    subject_type = "access_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # open, done
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def key(self) -> str:
        return f"review {self.id} of {self.resource}"


class AccessReviewItem(Base):
    """One grant in a review, and the owner's answer."""

    __tablename__ = "access_review_items"
    __table_args__ = (UniqueConstraint("review_id", "grant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("access_reviews.id"), index=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id"), index=True)
    decision: Mapped[str | None] = mapped_column(String(16))  # keep, revoke (None: waiting)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AccessJob(Base):
    """A periodic job (the reconciliation, a resource's scheduled review) as a timer subject."""

    __tablename__ = "access_jobs"
    __table_args__ = (UniqueConstraint("job", "resource"),)
    subject_type = "access_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(16))  # reconcile, review
    resource: Mapped[str] = mapped_column(String(64))  # "" for every resource
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
