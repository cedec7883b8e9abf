"""Who is asking: a chat user as the adapter saw them, turned into a desk actor; and the
directory look-ups adapters need (a person's platform id for a mention), without SQL of
their own."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import select

from domain.context import Actor, DeskContext
from domain.errors import NotFound
from domain.people import actor_for, find_by_platform_id, get_person, person_for_platform_user
from domain.records import PersonRecord, PlatformAccount

CONSOLE = "console"
# Platforms that reach every person and channel by desk name: no accounts or addresses.
BY_NAME = frozenset({CONSOLE})

# <@U123ABC> (Slack, maybe with |name), <@123456> or <@!123456> (Discord)
MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class PlatformIdentity:
    """The asker as a platform knows them. On the console `user_id` is the desk name."""

    platform: str
    user_id: str
    display_name: str | None = None
    email: str | None = None
    platform_roles: tuple[str, ...] = ()


def resolve_actor(
    ctx: DeskContext, identity: PlatformIdentity, role_mapping: dict[str, dict[str, str]]
) -> Actor:
    """The desk actor for a platform user, creating and remembering them on first contact."""
    if identity.platform in BY_NAME:
        return actor_for(get_person(ctx, identity.user_id))
    person = person_for_platform_user(
        ctx,
        platform=identity.platform,
        user_id=identity.user_id,
        display_name=identity.display_name,
        email=identity.email,
    )
    actor = actor_for(person)
    # Roles a platform grants (a mapped Discord role) hold only while the user has them,
    # so they are added for this request and never stored.
    mapping = role_mapping.get(identity.platform, {})
    granted = {mapping[r] for r in identity.platform_roles if r in mapping}
    return replace(actor, roles=actor.roles | granted) if granted else actor


def resolve_person_name(ctx: DeskContext, platform: str, reference: str) -> str:
    """A person or team reference as typed ('bob', '@bob', '<@U123>') → a desk name."""
    reference = reference.strip()
    match = MENTION.match(reference)
    if match and platform not in BY_NAME:
        person = find_by_platform_id(ctx, platform, match.group(1))
        if person is None:
            raise NotFound(
                "I don't know the person you mentioned yet; ask them to message me once."
            )
        return person.name
    return reference.lstrip("@").lower()


def platform_ids(database, platform: str, names: Iterable[str]) -> dict[str, str]:
    """Desk name → user id on `platform`, for those of `names` who have an account there."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    with database.transaction() as session:
        rows = session.execute(
            select(PersonRecord.name, PlatformAccount.user_id)
            .join(PlatformAccount, PlatformAccount.person_id == PersonRecord.id)
            .where(PersonRecord.name.in_(wanted), PlatformAccount.platform == platform)
        )
        return {name: user_id for name, user_id in rows}


def has_account(database, platform: str, user_id: str) -> bool:
    """Whether a platform user is already mapped to a desk person."""
    with database.transaction() as session:
        found = session.scalar(
            select(PlatformAccount.id).where(
                PlatformAccount.platform == platform, PlatformAccount.user_id == user_id
            )
        )
        return found is not None


def people_names(database) -> list[str]:
    """Every desk name, sorted (the console's :who)."""
    with database.transaction() as session:
        return list(session.scalars(select(PersonRecord.name).order_by(PersonRecord.name)))
