"""Reading grants: one grant with its steps, a person's own, a resource's current ones."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from domain import approvals
from domain.access.lifecycle import find_resource, get_grant
from domain.access.records import AccessEvent, AccessGrant
from domain.access.states import ENDED
from domain.access_resources import Resource
from domain.context import Actor, DeskContext
from domain.errors import PermissionDenied

LIST_LIMIT = 50


@dataclass(frozen=True)
class GrantDetail:
    grant: AccessGrant
    decisions: dict[str, str]
    waiting_on: list[str]
    timeline: list[AccessEvent]


@dataclass(frozen=True)
class GrantList:
    title: str
    grants: list[AccessGrant]
    total: int


def resources_for(ctx: DeskContext) -> list[Resource]:
    """Every configured resource, in the configuration's order."""
    return list(ctx.policy.access.resources.values())


def may_see(ctx: DeskContext, actor: Actor, grant: AccessGrant) -> bool:
    """The holder, the resource's owners, agents and admins."""
    resource = ctx.policy.access.resources.get(grant.resource)
    return (
        actor.is_agent
        or actor.name == grant.person
        or (resource is not None and actor.name in resource.owners)
    )


def show_grant(ctx: DeskContext, actor: Actor, key: str) -> GrantDetail:
    """One grant with its approvals and steps."""
    grant = get_grant(ctx, key)
    if not may_see(ctx, actor, grant):
        raise PermissionDenied(
            f"You cannot see {grant.key}: only its holder, the owners of its resource and "
            "agents can."
        )
    timeline = list(
        ctx.session.scalars(
            select(AccessEvent).where(AccessEvent.grant_id == grant.id).order_by(AccessEvent.id)
        )
    )
    return GrantDetail(
        grant,
        approvals.decisions(ctx, grant),
        approvals.waiting_on(ctx, grant, grant.asked) if grant.state == "pending" else [],
        timeline,
    )


def my_grants(ctx: DeskContext, actor: Actor, include_ended: bool = False) -> GrantList:
    """The person's own requests and access."""
    query = select(AccessGrant).where(AccessGrant.person == actor.name)
    if not include_ended:
        query = query.where(AccessGrant.state.not_in(ENDED))
    grants = list(ctx.session.scalars(query.order_by(AccessGrant.id.desc()).limit(LIST_LIMIT)))
    return GrantList("Your access", grants, len(grants))


def list_grants(
    ctx: DeskContext,
    actor: Actor,
    resource_name: str | None = None,
    *,
    approvals_only: bool = False,
    include_ended: bool = False,
) -> GrantList:
    """Current grants of a resource (or all resources the actor owns; agents see all), or
    the requests waiting for the actor's approval."""
    query = select(AccessGrant)
    if approvals_only:
        query = query.where(AccessGrant.state == "pending")
        grants = [
            g
            for g in ctx.session.scalars(query.order_by(AccessGrant.id))
            if actor.name in g.asked.people and actor.name not in approvals.decisions(ctx, g)
        ]
        return GrantList("Waiting for your approval", grants[:LIST_LIMIT], len(grants))
    if resource_name:
        resource = find_resource(ctx, resource_name)
        if actor.name not in resource.owners and not actor.is_agent:
            raise PermissionDenied(
                f"Only the owners of {resource.name} and agents can list its access."
            )
        query = query.where(AccessGrant.resource == resource.name)
        title = f"Access to {resource.name}"
    elif actor.is_agent:
        title = "Access to every resource"
    else:
        owned = [r.name for r in resources_for(ctx) if actor.name in r.owners]
        if not owned:
            raise PermissionDenied("You own no resource: /access mine shows your own access.")
        query = query.where(AccessGrant.resource.in_(owned))
        title = "Access to the resources you own"
    if not include_ended:
        query = query.where(AccessGrant.state.not_in(ENDED))
    grants = list(ctx.session.scalars(query.order_by(AccessGrant.id.desc()).limit(LIST_LIMIT)))
    return GrantList(title, grants, len(grants))
