"""Desk names stored on requests, carried along when a person is renamed."""

from __future__ import annotations

from sqlalchemy import select, update

from domain.context import DeskContext
from domain.records import ApprovalDecision
from domain.requests.records import RequestEvent, RequestRecord


def rename_person(ctx: DeskContext, old: str, new: str) -> None:
    """Requests a person made, holds, approves or answered follow the new name."""
    for column in (RequestRecord.requester, RequestRecord.assignee, RequestRecord.approval_lead):
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
    # Approvers are a list in one column ("carol,grace"): the rows naming `old` are few.
    for request in ctx.session.scalars(
        select(RequestRecord).where(RequestRecord.approvers.contains(old, autoescape=True))
    ):
        names = request.approvers.split(",")
        if old in names:
            request.approvers = ",".join(new if n == old else n for n in names)
