"""A grant as templates see it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.access.records import AccessGrant
from domain.access.steps import when
from domain.clock import format_duration


def access_data(grant: AccessGrant) -> dict[str, Any]:
    """The grant's fields (the kernel adds the actions its state allows)."""
    return {
        "number": grant.id,
        "key": grant.key,
        "title": grant.title,
        "resource": grant.resource,
        "role": grant.role,
        "group": grant.group_name,
        "person": grant.person,
        "reason": grant.reason,
        "state": grant.state,
        "waiting_for_approval": grant.state == "pending",
        "ending": grant.ending,
        "duration": format_duration(timedelta(seconds=grant.duration_s)),
        "approvers": list(grant.asked.people),
        "approvals_required": grant.approvals_required,
        "break_glass": grant.break_glass,
        "renewal_of": f"ACC-{grant.renewal_of}" if grant.renewal_of else None,
        "requested_at": when(grant.requested_at),
        "expires_at": when(grant.expires_at) if grant.expires_at else None,
        "ended_at": when(grant.ended_at) if grant.ended_at else None,
        "ended_by": grant.ended_by,
        "end_reason": grant.end_reason,
    }
