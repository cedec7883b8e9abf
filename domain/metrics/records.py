"""The report's stored pieces: the digest's periodic job, and the indexes the report reads by.

The indexes sit on other processes' tables but are declared here, beside the queries that
need them: the report selects incidents by when they opened, were first answered and were
resolved (with the measure it then counts and ranks, so the index alone answers), and
requests, grants and surveys by the instants that place them in a period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.access.records import AccessGrant
from domain.incidents.records import IncidentRecord, TimelineEntry
from domain.records import Base, UtcDateTime
from domain.requests.records import RequestRecord
from domain.surveys.records import SurveyRecord


class MetricsJob(Base):
    """A periodic job of measuring (the weekly digest) as a timer subject."""

    __tablename__ = "metrics_jobs"
    __table_args__ = (UniqueConstraint("job"),)
    subject_type = "metrics_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(16))  # digest
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16), default="scheduled")

    @property
    def key(self) -> str:
        return f"metrics job {self.job}"


_incidents = IncidentRecord.__table__
_timeline = TimelineEntry.__table__
# The windows of a report: incidents opened, first answered, resolved between two instants;
# the last two with their measure, so that counting and ranking a window reads the index only.
Index("ix_incidents_opened_at", _incidents.c.opened_at)
Index(
    "ix_incidents_first_response_at",
    _incidents.c.first_response_at,
    _incidents.c.response_seconds,
)
# Resolved ones with what the reopen and first-contact figures ask of them.
Index(
    "ix_incidents_resolved_at",
    _incidents.c.resolved_at,
    _incidents.c.resolution_seconds,
    _incidents.c.reopen_count,
    _incidents.c.team_changes,
    _incidents.c.escalation_level,
)
# Everything the per-priority figures (opened, SLA verdicts, escalations) read, in the order
# they are grouped by: over all time a walk of this index, with no sort and no row read.
Index(
    "ix_incidents_priority_opened",
    _incidents.c.priority,
    _incidents.c.opened_at,
    _incidents.c.state,
    _incidents.c.respond_breached,
    _incidents.c.resolve_breached,
    _incidents.c.response_seconds,
    _incidents.c.resolution_seconds,
    _incidents.c.escalation_level,
    _incidents.c.team_changes,
)
# Breaches are timeline entries of one kind among many (and so were reopens and
# reassignments, which migration 0016 counted from them once).
Index("ix_timeline_entries_kind_incident", _timeline.c.kind, _timeline.c.incident_id)
# Requests, grants and surveys of a period.
_requests = RequestRecord.__table__
_grants = AccessGrant.__table__
_surveys = SurveyRecord.__table__
Index("ix_requests_opened_at", _requests.c.opened_at)
Index("ix_requests_state_closed", _requests.c.state, _requests.c.closed_at)
# Approval times: the index holds what the approval figure reads, so it needs no row.
Index("ix_requests_approved_at", _requests.c.approved_at, _requests.c.approval_seconds)
Index("ix_requests_approval", _requests.c.approval_seconds, _requests.c.approved_at)
Index("ix_access_grants_approved_at", _grants.c.approved_at)
Index("ix_access_grants_state_ended", _grants.c.state, _grants.c.ended_at)
Index("ix_surveys_asked_at", _surveys.c.asked_at)
