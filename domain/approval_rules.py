"""Approval rules as configuration: who must agree before a subject goes ahead (nobody, the
requester's manager, named approvers, n of a team's members), and who those people are for
one requester — never the requester. Plain values: read by the config without a database;
`domain.approvals` records and tallies the answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from domain.errors import InvalidInput
from domain.policy import DeskPolicy

KINDS = ("none", "manager", "named", "group")


@dataclass(frozen=True)
class ApprovalRule:
    """Who must approve. `lead` is asked when the approvers stay silent too long."""

    kind: str = "none"
    approvers: tuple[str, ...] = ()  # named approvers
    group: str | None = None  # a team whose members approve
    required: int = 1  # how many approvals it takes (n of m)
    lead: str | None = None  # named approvers' lead; a group's is its team lead
    remind_after: timedelta = timedelta(days=1)
    escalate_after: timedelta = timedelta(days=2)

    def describe(self) -> str:
        """The rule in words: "2 of team messaging"."""
        if self.kind == "none":
            return "no approval"
        if self.kind == "manager":
            return "the requester's manager"
        if self.kind == "group":
            return f"{self.required} of team {self.group}"
        who = ", ".join(self.approvers)
        return (
            who
            if self.required == 1 and len(self.approvers) == 1
            else (f"{self.required} of {who}")
        )


@dataclass(frozen=True)
class Approvers:
    """The people asked to approve one subject, how many must agree, and who is next."""

    people: tuple[str, ...]
    required: int
    lead: str | None

    @property
    def needed(self) -> bool:
        return self.required > 0


NO_APPROVAL = Approvers((), 0, None)


def approvers_for(
    rule: ApprovalRule,
    requester: str,
    policy: DeskPolicy,
    manager_of: Callable[[str], str | None],
    what: str = "this",
    beneficiary: str | None = None,
) -> Approvers:
    """The approvers of one requester's subject under `rule`; InvalidInput when too few
    people other than the requester (and `beneficiary`, who gains from it) can approve it.

    Approvers are people of the configuration only: a name taken by a chat user (or read
    from a directory) gives no right to approve until the configuration vouches for it.
    """
    if rule.kind == "none":
        return NO_APPROVAL
    interested = {requester, beneficiary} - {None}
    if rule.kind == "manager":
        manager = manager_of(requester)
        if not manager or manager in interested:
            raise InvalidInput(
                f"{what} needs your manager's approval, and the desk has no manager on file "
                "for you. Ask the service desk to add one."
            )
        if manager not in policy.people:
            raise InvalidInput(
                f"{what} needs your manager's approval, and your manager ({manager}) is not "
                "set up in the desk's configuration yet. Ask the service desk."
            )
        lead = manager_of(manager)
        return Approvers(
            (manager,), 1, lead if lead in policy.people and lead not in interested else None
        )
    if rule.kind == "group":
        team = policy.teams[rule.group or ""]
        members = (*team.members, *((team.lead,) if team.lead else ()))
        people, lead = _unique(members), team.lead
    else:
        people, lead = _unique(rule.approvers), rule.lead
    others = tuple(p for p in people if p not in interested and p in policy.people)
    if len(others) < rule.required:
        raise InvalidInput(
            f"{what} needs {rule.describe()} to approve it, and you may not approve your own "
            "request: there are not enough other approvers. Ask the service desk."
        )
    return Approvers(others, rule.required, lead if lead not in interested else None)


def _unique(names) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if n))
