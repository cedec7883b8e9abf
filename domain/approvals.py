"""Approvals, shared by every process that asks before it acts (requests, access).

The rules (domain/approval_rules.py) say who is asked — never the requester: nobody
approves their own request, whichever path the answer takes. `decide` records one answer
and says where the subject stands.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from domain.approval_rules import NO_APPROVAL, ApprovalRule, Approvers, approvers_for
from domain.context import Actor, DeskContext
from domain.errors import InvalidTransition, PermissionDenied
from domain.records import ApprovalDecision

__all__ = [
    "NO_APPROVAL",
    "ApprovalRule",
    "Approvers",
    "Tally",
    "approvers_for",
    "decide",
    "decisions",
    "waiting_on",
]


@dataclass(frozen=True)
class Tally:
    """Where an approval stands after an answer."""

    outcome: str  # approved, denied or pending
    approvals: int
    required: int


def decide(
    ctx: DeskContext,
    subject,
    *,
    requester: str,
    approvers: Approvers,
    actor: Actor,
    decision: str,
    reason: str = "",
) -> Tally:
    """Record `actor`'s answer on `subject` (locked by the caller) and tally the answers.

    One deny denies; `approvers.required` approvals approve. The requester may never
    answer; nobody answers twice.
    """
    if decision not in ("approve", "deny"):
        raise ValueError(decision)
    if actor.name == requester:
        raise PermissionDenied(
            f"You cannot {decision} {subject.key}: nobody approves their own request."
        )
    if actor.name not in approvers.people:
        raise PermissionDenied(
            f"You are not an approver of {subject.key}; its approvers are "
            f"{', '.join(approvers.people) or 'nobody'}."
        )
    earlier = decisions(ctx, subject)
    if actor.name in earlier:
        raise InvalidTransition(f"You already answered on {subject.key} ({earlier[actor.name]}d).")
    row = ApprovalDecision(
        subject_type=subject.subject_type,
        subject_id=str(subject.id),
        approver=actor.name,
        decision=decision,
        reason=reason,
        at=ctx.clock.now(),
    )
    # The caller holds the subject's row lock, so no second answer of this approver can
    # be on its way; the unique key stays as the last guard (a failed commit, not a
    # savepoint round trip on every answer).
    ctx.session.add(row)
    earlier[actor.name] = decision
    approvals = sum(1 for d in earlier.values() if d == "approve")
    if decision == "deny":
        return Tally("denied", approvals, approvers.required)
    outcome = "approved" if approvals >= approvers.required else "pending"
    return Tally(outcome, approvals, approvers.required)


def decisions(ctx: DeskContext, subject) -> dict[str, str]:
    """Who has answered on a subject so far: approver → approve or deny."""
    rows = ctx.session.execute(
        select(ApprovalDecision.approver, ApprovalDecision.decision)
        .where(
            ApprovalDecision.subject_type == subject.subject_type,
            ApprovalDecision.subject_id == str(subject.id),
        )
        .order_by(ApprovalDecision.id)
    )
    return {approver: decision for approver, decision in rows}


def waiting_on(ctx: DeskContext, subject, approvers: Approvers) -> list[str]:
    """The approvers who have not answered yet."""
    answered = decisions(ctx, subject)
    return [p for p in approvers.people if p not in answered]
