"""Access management's resources as configuration: the roles one can hold (each a
directory group), the owners who approve, how long access may last, and who may take it
without approval in an emergency (break-glass). Plain values, read without a database —
and outside domain/access/, so reading the configuration does not import the process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from domain.approval_rules import ApprovalRule


@dataclass(frozen=True)
class BreakGlass:
    """Who may grant themselves a role at once, for how long; announced every time."""

    teams: tuple[str, ...]
    roles: tuple[str, ...]
    max_duration: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class Resource:
    """A system people are given time-bound access to."""

    name: str
    description: str
    roles: dict[str, str]  # role → the directory group that gives it
    owners: tuple[str, ...]
    approvals: int = 1  # how many owners must agree (n of m)
    max_duration: timedelta = timedelta(days=7)
    default_duration: timedelta = timedelta(hours=8)
    reason_required: bool = True
    # Exclusive: deskbot alone manages the groups, so a member nobody granted is drift.
    exclusive: bool = False
    self_renew: bool = False  # renewing needs no new approval
    review_every: timedelta | None = None
    break_glass: BreakGlass | None = None

    @property
    def rule(self) -> ApprovalRule:
        """The owners' approval rule (an owner asking for themselves needs another owner)."""
        return ApprovalRule("named", approvers=self.owners, required=self.approvals)

    @property
    def default_role(self) -> str:
        return next(iter(self.roles))


@dataclass(frozen=True)
class AccessSettings:
    """The `access:` section: resources, and how often the directory is reconciled."""

    resources: dict[str, Resource] = field(default_factory=dict)
    reconcile_every: timedelta = timedelta(hours=1)
    repair: bool = False  # reconciliation removes expired access it finds still present
