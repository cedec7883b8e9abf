"""Reconciliation: compare the grants with the directory's groups and report drift —
members nobody granted (in groups deskbot manages exclusively), ended grants whose member
is still there, held grants the directory lacks. With repair, access that ended is
removed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from domain import audit
from domain.access.records import AccessGrant
from domain.access.states import HELD
from domain.access_resources import Resource
from domain.context import Actor, DeskContext
from domain.directory import DirectoryUnavailable
from domain.errors import DeskError, PermissionDenied
from domain.notifications import notify_channel

ENDED_WITH_ACCESS = ("revoked", "expired", "renewed")


@dataclass(frozen=True)
class Drift:
    """One difference between the grants and the directory."""

    resource: str
    group: str
    person: str
    kind: str  # not_granted, ended, missing
    grant: str | None = None  # the grant it is about (ACC-n), if any

    def describe(self) -> str:
        if self.kind == "not_granted":
            return f"{self.person} is in {self.group} ({self.resource}) and nobody granted it"
        if self.kind == "ended":
            return f"{self.person} is still in {self.group} though {self.grant} has ended"
        return f"{self.grant} is held but {self.person} is not in {self.group}"


@dataclass
class Reconciliation:
    """What one run found, and what it repaired."""

    resources: list[str] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    repaired: list[Drift] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # groups the directory could not read


def reconcile(
    ctx: DeskContext, actor: Actor, resource_name: str | None = None, *, repair: bool = False
) -> Reconciliation:
    """Compare grants and directory groups for one resource or all, repairing if asked."""
    resources = ctx.policy.access.resources
    chosen = [resources[resource_name]] if resource_name else list(resources.values())
    if not actor.is_admin:
        # Owners reconcile the resources they own; admins any.
        chosen = [r for r in chosen if actor.name in r.owners]
        if not chosen:
            raise PermissionDenied("Only admins, or a resource's owners, can reconcile its access.")
    if ctx.directory is None:
        raise DirectoryUnavailable("No directory is configured.")
    result = Reconciliation(resources=[r.name for r in chosen])
    for resource in chosen:
        for group in dict.fromkeys(resource.roles.values()):
            try:
                _group(ctx, resource, group, result, repair)
            except DeskError as exc:  # unreachable, or no such group yet: the others go on
                result.failed.append(f"{group}: {exc.message}")
    if result.drift or result.repaired:
        audit.record(
            ctx,
            actor.name,
            "access.reconcile",
            ",".join(result.resources),
            {
                "drift": [d.describe() for d in result.drift],
                "repaired": [d.describe() for d in result.repaired],
            },
        )
    return result


def report(ctx: DeskContext, result: Reconciliation) -> None:
    """Tell the security channel what a run found (nothing when all agree)."""
    channel = ctx.policy.security_channel
    if not channel or not (result.drift or result.repaired or result.failed):
        return
    lines = [f"Drift: {d.describe()}" for d in result.drift]
    lines += [f"Repaired: {d.describe()}" for d in result.repaired]
    lines += [f"Could not read {f}" for f in result.failed]
    notify_channel(ctx, channel, "access_report", title="Access reconciliation", lines=lines)


def _group(
    ctx: DeskContext, resource: Resource, group: str, result: Reconciliation, repair: bool
) -> None:
    assert ctx.directory is not None
    members = set(ctx.directory.members(group))
    held = {
        g.person: g
        for g in ctx.session.scalars(
            select(AccessGrant).where(
                AccessGrant.group_name == group, AccessGrant.state.in_((*HELD, "ending"))
            )
        )
    }
    for person in sorted(members - held.keys()):
        last = _last_ended(ctx, group, person)
        if last is None:
            if resource.exclusive:
                result.drift.append(Drift(resource.name, group, person, "not_granted"))
            continue
        found = Drift(resource.name, group, person, "ended", f"ACC-{last}")
        if repair:
            try:
                ctx.directory.remove_from_group(person, group)
            except DeskError as exc:
                result.failed.append(f"{group}: could not remove {person}: {exc.message}")
                result.drift.append(found)
                continue
            result.repaired.append(found)
        else:
            result.drift.append(found)
    for person, grant in sorted(held.items()):
        if grant.state == "granted" and person not in members:
            result.drift.append(Drift(resource.name, group, person, "missing", grant.key))


def _last_ended(ctx: DeskContext, group: str, person: str) -> int | None:
    """The person's last ended grant of the group — unless they were a member before it,
    whose membership its end left in place (that is no drift)."""
    last = ctx.session.execute(
        select(AccessGrant.id, AccessGrant.was_member)
        .where(
            AccessGrant.group_name == group,
            AccessGrant.person == person,
            AccessGrant.state.in_(ENDED_WITH_ACCESS),
        )
        .order_by(AccessGrant.id.desc())
        .limit(1)
    ).first()
    return None if last is None or last.was_member else last.id
