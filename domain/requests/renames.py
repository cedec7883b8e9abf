"""Desk names stored on requests, carried along when a person is renamed."""

from __future__ import annotations

from sqlalchemy import update

from domain.context import DeskContext
from domain.records import ApprovalDecision
from domain.requests.records import RequestEvent, RequestRecord


def rename_person(ctx: DeskContext, old: str, new: str) -> None:
    """Requests a person made or holds, and their steps and answers, follow the new name."""
    # Approvers and leads come from the configuration, which a rename never moves aside.
    for column in (RequestRecord.requester, RequestRecord.assignee):
        ctx.session.execute(
            update(RequestRecord)
            .where(column == old)
            .values({column.key: new})
            .execution_options(synchronize_session=False)
        )
    for model, column in (
        (RequestEvent, RequestEvent.actor),
        (ApprovalDecision, ApprovalDecision.approver),
    ):
        ctx.session.execute(
            update(model)
            .where(
                column == old,
                *(
                    [ApprovalDecision.subject_type == "request"]
                    if model is ApprovalDecision
                    else []
                ),
            )
            .values({column.key: new})
            .execution_options(synchronize_session=False)
        )
