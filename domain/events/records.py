"""Event management records: the inbox of accepted signals, events, their groups, silences,
maintenance windows and heartbeats.

An event is one thing a monitoring source reports, identified by the source's own key
(Alertmanager's fingerprint, PagerDuty's dedup_key, a generic key): repeats update it. A
group is what one incident stands for (Alertmanager's groupKey, or a label set).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from domain.incidents.records import IncidentRecord
from domain.records import Base, UtcDateTime


class EventInbox(Base):
    """Signals accepted over HTTP and not yet processed: one row per request.

    Written before the sender gets its answer, deleted by the processing that handles
    them in the same transaction, so accepted work survives a crash and is done once.
    """

    __tablename__ = "event_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[str] = mapped_column(String(64))
    signals: Mapped[str] = mapped_column(Text)  # a JSON list of signals (domain.events.signals)
    count: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EventGroup(Base):
    """Events that stand for one incident: firing counts, flapping, its incident."""

    __tablename__ = "event_groups"
    __table_args__ = (
        UniqueConstraint("integration", "group_key"),
        Index("ix_event_groups_incident", "incident_id"),
    )
    subject_type = "event_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[str] = mapped_column(String(64))
    group_key: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(200))  # the first event's summary
    service: Mapped[str | None] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # firing | quiet
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    firing: Mapped[int] = mapped_column(Integer, default=0)  # its events not resolved
    events: Mapped[int] = mapped_column(Integer, default=0)  # events ever, resolved included
    received: Mapped[int] = mapped_column(Integer, default=0)  # signals, repeats included
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    quiet_since: Mapped[datetime | None] = mapped_column(UtcDateTime())  # every event resolved
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    flap_changes: Mapped[int] = mapped_column(Integer, default=0)  # changes since flap_since
    flap_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the incident's card was last redrawn with the counts, or will next be.
    card_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # An incident stands for at most one group: the group that opened (or reopened) it.
    incident = relationship(
        IncidentRecord, backref=backref("event_group", uselist=False, lazy="select")
    )

    @property
    def key(self) -> str:
        return f"EVG-{self.id}"


class EventRecord(Base):
    """One event (EVT-n): the source's identity, its state, how often it came."""

    __tablename__ = "events"
    __table_args__ = (
        # One live event per source identity; after a resolve the same key starts a new one.
        Index(
            "uq_events_live_key",
            "integration",
            "dedup_key",
            unique=True,
            sqlite_where=text("state != 'resolved'"),
            postgresql_where=text("state != 'resolved'"),
        ),
        Index("ix_events_group", "group_id", "state"),
        Index("ix_events_last_seen", "last_seen"),
        Index("ix_events_incident", "incident_id"),
    )
    subject_type = "event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(
        String(16)
    )  # alertmanager | pagerduty | generic | heartbeat
    dedup_key: Mapped[str] = mapped_column(String(255))
    group_id: Mapped[int] = mapped_column(ForeignKey("event_groups.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    state: Mapped[str] = mapped_column(String(16))  # firing | acknowledged | resolved
    classification: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(32))  # as the source said it
    summary: Mapped[str] = mapped_column(String(500))
    service: Mapped[str | None] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(64))
    labels: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    url: Mapped[str | None] = mapped_column(String(500))
    # Why it raised nothing: maintenance | silenced (None: it was free to).
    suppressed: Mapped[str | None] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))

    @property
    def key(self) -> str:
        return f"EVT-{self.id}"


class EventSilence(Base):
    """One event key kept quiet until `until` (`/event silence`)."""

    __tablename__ = "event_silences"
    __table_args__ = (Index("ix_event_silences_key", "dedup_key", "until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[str] = mapped_column(String(64))
    dedup_key: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    until: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(64))


class MaintenanceWindow(Base):
    """A service in maintenance from `since` until `until` (`/event maintenance`): its
    events are stored, not raised. Recurring windows live in the config."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (Index("ix_maintenance_windows_service", "service", "until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    until: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(64))

    @property
    def key(self) -> str:
        return f"MW-{self.id}"


class HeartbeatRecord(Base):
    """A configured heartbeat: when it last checked in and when it is next due."""

    __tablename__ = "heartbeats"
    subject_type = "heartbeat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16))  # waiting | ok | missed
    last_seen: Mapped[datetime | None] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    missed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
