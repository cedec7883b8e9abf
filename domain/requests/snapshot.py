"""A request as templates see it."""

from __future__ import annotations

from typing import Any

from domain.clock import format_duration
from domain.requests.records import RequestRecord


def request_data(request: RequestRecord) -> dict[str, Any]:
    """The request's fields (the kernel adds the actions its state allows)."""
    return {
        "number": request.id,
        "key": request.key,
        "item": request.item,
        "title": request.title,
        "requester": request.requester,
        "answers": request.values,
        "approvers": list(request.asked.people),
        "approvals_required": request.approvals_required,
        "group": request.fulfil_team,
        "assignee": request.assignee,
        "state": request.state,
        "waiting_for_approval": request.state == "awaiting_approval",
        "outcome": request.outcome,
        "opened_at": request.opened_at.isoformat(),
        "due_at": request.due_at.isoformat(),
        "task_due_at": request.task_due_at.isoformat() if request.task_due_at else None,
        # The task's SLA as people say it ("1d"), from approval to its deadline.
        "task_sla": (
            format_duration(request.task_due_at - request.approved_at)
            if request.task_due_at and request.approved_at
            else None
        ),
    }
