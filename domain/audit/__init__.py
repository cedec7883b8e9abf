"""The tamper-evident audit trail (filled in below)."""

from domain.audit.records import AuditHead, AuditRecord

__all__ = ["AuditHead", "AuditRecord"]
