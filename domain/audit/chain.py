"""Appending to the audit trail: one record per decision, in the caller's transaction.

Each record's MAC is an HMAC-SHA256, under a key only the running desk holds, over the
record's fields and the MAC of the record before it, so whoever can write the database
can neither change nor remove a record without breaking the chain (`verify`).
"""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from domain.audit.records import AuditHead, AuditRecord
from domain.context import DeskContext

GENESIS = "0" * 64  # the previous MAC of record 1
HEAD_ID = 1  # the one row of audit_head

RECORDS = AuditRecord.__table__
HEAD = AuditHead.__table__

# Words a detail's name must not contain: secrets never enter the trail.
SECRET_WORDS = ("password", "secret", "token", "code", "hash", "otp")


class AuditKeyMissing(RuntimeError):
    """An audited action ran on a context without the audit key: refused, never skipped."""


def canonical_details(details: dict[str, Any] | None) -> str:
    """The details as stored and MACed: JSON with sorted keys and no spaces."""
    return json.dumps(details or {}, sort_keys=True, separators=(",", ":"), default=str)


def iso(at: datetime) -> str:
    """A record's time as its MAC covers it: UTC, ISO 8601, microseconds."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def message(
    seq: int, at: str, actor: str, action: str, subject: str, details: str, prev_mac: str
) -> bytes:
    """The canonical encoding a MAC covers, UTF-8: `seq|at|` then actor, action, subject
    and details each as `length:text|`, then prev_mac. Every free-text field carries its
    length, so no field can bleed into the next (`at` and `prev_mac` have fixed shapes)."""
    return (
        f"{seq}|{at}|{len(actor)}:{actor}|{len(action)}:{action}|{len(subject)}:{subject}|"
        f"{len(details)}:{details}|{prev_mac}"
    ).encode()


def mac_of(key: bytes, data: bytes) -> str:
    """HMAC-SHA256 of `data` under `key`, in hex (one call into OpenSSL)."""
    return hmac.digest(key, data, "sha256").hex()


def _check_details(details: dict[str, Any] | None) -> None:
    for name in details or {}:
        lowered = str(name).lower()
        if any(word in lowered for word in SECRET_WORDS):
            raise ValueError(f"audit details must hold no secret; {name!r} looks like one")


def _lock_head(ctx: DeskContext) -> tuple[int, str, bool]:
    """The chain's head, locked until the caller commits: (seq, mac, created now)."""
    query = select(HEAD.c.seq, HEAD.c.mac).where(HEAD.c.id == HEAD_ID).with_for_update()
    row = ctx.session.execute(query).first()
    if row is not None:
        return row.seq, row.mac, False
    # The first record ever (or after a wipe): make the head, unless a replica just did.
    dialect = ctx.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    created = ctx.session.execute(
        module.insert(HEAD)
        .values(id=HEAD_ID, seq=0, mac=GENESIS)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(HEAD.c.id)  # a row only if this transaction made it (rowcount may be -1)
    ).first()
    row = ctx.session.execute(query).one()
    return row.seq, row.mac, created is not None


def record(
    ctx: DeskContext,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one record for a decision, in the caller's transaction (it commits with the
    decision, or neither is kept).

    Appends take turns on the head row (FOR UPDATE; SQLite has one writer anyway), so two
    replicas never chain onto the same record; the unique seq is the last guard.
    """
    record_many(ctx, [(actor, action, subject, details)])


def record_many(
    ctx: DeskContext, entries: list[tuple[str, str, str, dict[str, Any] | None]]
) -> None:
    """Append several records (actor, action, subject, details) in order, under one lock of
    the head and with one insert: a timer batch ending a thousand grants at once."""
    if not entries:
        return
    key = ctx.audit_key
    if not key:
        raise AuditKeyMissing(
            f"cannot audit {entries[0][1]} on {entries[0][2]}: this unit of work has no audit "
            "key (DESKBOT_AUDIT_KEY); the desk refuses rather than skip the audit trail"
        )
    for _, _, _, details in entries:
        _check_details(details)
    seq, mac, created = _lock_head(ctx)
    at = ctx.clock.now()
    stamp = iso(at)
    rows = []
    for actor, action, subject, details in entries:
        text = canonical_details(details)
        prev_mac, seq = mac, seq + 1
        mac = mac_of(key, message(seq, stamp, actor, action, subject, text, prev_mac))
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "subject": subject,
                "details": text,
                "prev_mac": prev_mac,
                "mac": mac,
            }
        )
    session = ctx.session
    session.execute(insert(RECORDS), rows)
    session.execute(update(HEAD).where(HEAD.c.id == HEAD_ID).values(seq=seq, mac=mac))
    if created:
        from domain.audit.head import schedule_first_post

        schedule_first_post(ctx)


def head(session) -> tuple[int, str] | None:
    """The chain's head as appends left it (seq, mac), or None before the first record."""
    row = session.execute(select(HEAD.c.seq, HEAD.c.mac).where(HEAD.c.id == HEAD_ID)).first()
    return (row.seq, row.mac) if row is not None and row.seq > 0 else None
