"""The audit trail's stored records: the chained records and the one-row head that
serialises appends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.records import Base, UtcDateTime


class AuditRecord(Base):
    """One decision, chained to the one before by its MAC; never updated or deleted."""

    __tablename__ = "audit_records"

    # 1, 2, 3…: the primary key, so unique — the last guard against a forked chain.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last record (seq and MAC), one row: appends lock it FOR UPDATE, so two
    replicas take turns instead of both chaining onto the same record."""

    __tablename__ = "audit_head"
    subject_type = "audit"  # its daily post's timer is about it

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    mac: Mapped[str] = mapped_column(String(64))
