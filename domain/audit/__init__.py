"""The tamper-evident audit trail: every decision on requests, access and password resets
as an append-only record chained to the one before by an HMAC under a key from the
environment (docs/audit.md).

    from domain import audit
    audit.record(ctx, actor, action, subject, details)   # in the decision's transaction
    audit.verify(session, key, expect_head=(seq, mac))    # the first broken record, if any

A kernel package: any process may record; it imports no process.
"""

from domain.audit.chain import (
    GENESIS,
    AuditKeyMissing,
    canonical_details,
    head,
    record,
    record_many,
)
from domain.audit.head import ensure_daily_post
from domain.audit.records import AuditHead, AuditRecord
from domain.audit.verify import VerifyResult, verify

__all__ = [
    "GENESIS",
    "AuditHead",
    "AuditKeyMissing",
    "AuditRecord",
    "VerifyResult",
    "canonical_details",
    "ensure_daily_post",
    "head",
    "record",
    "record_many",
    "verify",
]
