"""Checking the audit trail: every record's MAC recomputed, every link and seq followed,
in seq order and in batches (a million records never sit in memory at once)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy import literal_column, select

from domain.audit.chain import GENESIS, HEAD, HEAD_ID, RECORDS

BATCH = 20_000


@dataclass(frozen=True)
class VerifyResult:
    """What verify found: `count` records intact up to `head`, or the first broken one."""

    ok: bool
    count: int
    head: tuple[int, str] | None  # (seq, mac) of the last intact record
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def head_text(self) -> str:
        return f"{self.head[0]}:{self.head[1]}" if self.head else "none"


def _broken(count: int, head, seq: int, reason: str) -> VerifyResult:
    return VerifyResult(False, count, head, seq, reason)


def at_text(dialect: str):
    """The records' time as the ISO text their MACs cover (`chain.iso`), made by the
    database: parsing a million datetimes in Python would cost more than the HMACs."""
    if dialect == "postgresql":
        return literal_column(
            """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
        )
    # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's format, always with
    # microseconds).
    return literal_column("replace(at, ' ', 'T') || '+00:00'")


def _rows(session, query):
    """The query's rows as plain tuples, BATCH at a time, straight from the driver (a
    server-side cursor on PostgreSQL): no result objects for a million rows."""
    connection = session.connection() if hasattr(session, "get_bind") else session
    sql = str(query.compile(dialect=connection.dialect))  # no parameters: nothing to bind
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        cursor = driver.cursor(name="audit_verify")
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield from batch
    finally:
        cursor.close()


def _dialect(session) -> str:
    bind = session.get_bind() if hasattr(session, "get_bind") else session
    return bind.dialect.name


def verify(session, key: bytes, expect_head: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the chain in seq order; name the first broken record and why.

    A changed row fails its MAC; a deleted row leaves a gap in seq; a row put in from
    elsewhere fails its link (prev_mac). Records deleted at the end leave a shorter chain
    that is intact: that is caught against `expect_head` (a head posted earlier), or when
    the head row appends keep (audit_head) was not rewound to match. `session` may be a
    Session or a Connection.
    """
    stored = session.execute(select(HEAD.c.seq, HEAD.c.mac).where(HEAD.c.id == HEAD_ID)).first()
    query = select(
        RECORDS.c.seq,
        at_text(_dialect(session)),
        RECORDS.c.actor,
        RECORDS.c.action,
        RECORDS.c.subject,
        RECORDS.c.details,
        RECORDS.c.prev_mac,
        RECORDS.c.mac,
    ).order_by(RECORDS.c.seq)
    digest = hmac.digest
    expected_seq, prev_mac, count, last = 1, GENESIS, 0, None
    anchor_seq = expect_head[0] if expect_head is not None else 0
    result = _rows(session, query)
    try:
        for seq, at, actor, action, subject, details, link, mac in result:
            if seq != expected_seq:
                what = "the first records" if expected_seq == 1 else "a record"
                return _broken(
                    count,
                    last,
                    expected_seq,
                    f"missing: the chain jumps from seq {expected_seq - 1} to {seq} "
                    f"({what} deleted)",
                )
            if link != prev_mac:
                return _broken(
                    count,
                    last,
                    seq,
                    f"prev_mac does not match record {seq - 1}'s MAC (the chain was re-linked "
                    "or this record put in from elsewhere)",
                )
            data = (
                f"{seq}|{at}|{len(actor)}:{actor}|{len(action)}:{action}|"
                f"{len(subject)}:{subject}|{len(details)}:{details}|{link}"
            ).encode()  # chain.message, inline: this loop runs a million times
            if digest(key, data, "sha256").hex() != mac:
                return _broken(count, last, seq, "MAC mismatch: the record was changed")
            if seq == anchor_seq and mac != expect_head[1]:
                return _broken(
                    count,
                    last,
                    seq,
                    "its MAC differs from the expected head's: the chain was rewritten "
                    "from here on",
                )
            count += 1
            last = (seq, mac)
            prev_mac = mac
            expected_seq = seq + 1
    finally:
        result.close()
    if count < anchor_seq:
        return _broken(
            count,
            last,
            count + 1,
            f"missing: the chain ends at seq {count} but the expected head is "
            f"{anchor_seq} (the last records were deleted)",
        )
    if stored is not None and stored.seq > count:
        return _broken(
            count,
            last,
            count + 1,
            f"missing: the chain ends at seq {count} but the last append wrote seq "
            f"{stored.seq} (the last records were deleted)",
        )
    return VerifyResult(True, count, last)
