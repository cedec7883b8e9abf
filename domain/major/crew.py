"""Who runs a major incident: the commander, the communications lead, the scribe and
any number of responders; joining and leaving the war room."""

from __future__ import annotations

from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.major.lifecycle import holder, incident_of, require_live, roles_now
from domain.major.records import MajorIncident, MajorRole
from domain.major.room import refresh_card, say_in_room
from domain.major.states import ROLE_LABELS, ROLES, SINGLE_ROLES
from domain.people import person_exists


def give_role(ctx: DeskContext, actor: Actor, major: MajorIncident, role: str, person: str) -> str:
    """Give `role` to `person`; a single role passes from its holder. Returns a sentence."""
    require_live(major, "role")
    role = {"comms": "communications", "communication": "communications"}.get(role, role)
    if role not in ROLES:
        raise InvalidInput(f"There is no role '{role[:40]}'; the roles are {', '.join(ROLES)}.")
    if not person_exists(ctx, person):
        raise NotFound(f"There is nobody called @{person}.")
    commander = holder(ctx, major, "commander")
    if role == "commander":
        # Command passes only from the commander (or an admin); with nobody in command,
        # an agent may take it.
        if not (
            actor.is_admin or actor.name == commander or (commander is None and actor.is_agent)
        ):
            raise PermissionDenied(
                f"Only the commander of {major.key} (@{commander}) or an admin can hand "
                "over command."
            )
    elif not (actor.is_agent or actor.name == commander):
        raise PermissionDenied(
            f"Only the commander of {major.key} or a service-desk agent can give roles."
        )
    if _holds(ctx, major, person, role):
        return f"@{person} is already {ROLE_LABELS[role].lower()} of {major.key}."
    now = ctx.clock.now()
    if role in SINGLE_ROLES:
        for held in roles_now(ctx, major):
            if held.role == role:
                held.until = now
    ctx.session.add(
        MajorRole(major_id=major.id, role=role, person=person, since=now, given_by=actor.name)
    )
    line = f"@{person} is now {ROLE_LABELS[role].lower()} (by @{actor.name})"
    _announce(ctx, actor, major, person, line)
    return f"@{person} is now {ROLE_LABELS[role].lower()} of {major.key}."


def join(ctx: DeskContext, actor: Actor, major: MajorIncident) -> str:
    """Join as a responder (and be invited to the room)."""
    require_live(major, "join")
    if any(r.person == actor.name for r in roles_now(ctx, major)):
        return f"You are already in {major.key}'s war room, #{major.room_name}."
    ctx.session.add(
        MajorRole(
            major_id=major.id,
            role="responder",
            person=actor.name,
            since=ctx.clock.now(),
            given_by=actor.name,
        )
    )
    _announce(ctx, actor, major, actor.name, f"@{actor.name} joined as a responder")
    return f"You joined {major.key} as a responder: #{major.room_name}."


def leave(ctx: DeskContext, actor: Actor, major: MajorIncident) -> str:
    """Give up one's roles; the commander hands over first."""
    require_live(major, "leave")
    held = [r for r in roles_now(ctx, major) if r.person == actor.name]
    if not held:
        raise InvalidInput(f"You have no role in {major.key}.")
    if any(r.role == "commander" for r in held):
        raise InvalidInput(
            f"You are in command of {major.key}: hand over first (/major role commander @someone)."
        )
    now = ctx.clock.now()
    for role in held:
        role.until = now
    incident = incident_of(ctx, major)
    say_in_room(ctx, major, incident, actor, "major_role", f"@{actor.name} left")
    refresh_card(ctx, major)
    return f"You left {major.key}."


def _holds(ctx: DeskContext, major: MajorIncident, person: str, role: str) -> bool:
    return any(r.person == person and r.role == role for r in roles_now(ctx, major))


def _announce(ctx: DeskContext, actor: Actor, major: MajorIncident, person: str, line: str) -> None:
    incident = incident_of(ctx, major)
    say_in_room(
        ctx,
        major,
        incident,
        actor,
        "major_role",
        line,
        room_op={"op": "invite", "members": [person]},
    )
    refresh_card(ctx, major)
