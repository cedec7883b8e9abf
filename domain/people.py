"""The people directory: configured people, and people met on a chat platform."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from domain.context import Actor, DeskContext
from domain.errors import NotFound
from domain.records import PersonRecord, PlatformAccount

# Processes that store desk names register how to carry them over when a person is renamed.
RENAMERS: list[Callable[[DeskContext, str, str], None]] = []


def actor_for(person: PersonRecord) -> Actor:
    """The acting identity of a stored person."""
    return Actor(person.name, person.role_set, person.display_name)


def get_person(ctx: DeskContext, name: str) -> PersonRecord:
    """Find a person by their desk name, or say who is unknown."""
    person = ctx.session.scalar(select(PersonRecord).where(PersonRecord.name == name))
    if person is None:
        raise NotFound(f"I don't know anyone called '{name}'.")
    return person


def person_exists(ctx: DeskContext, name: str) -> bool:
    """Whether the desk knows someone by this name (configured, or met on a platform)."""
    if name in ctx.policy.people:
        return True
    return ctx.session.scalar(select(PersonRecord.id).where(PersonRecord.name == name)) is not None


def find_by_platform_id(ctx: DeskContext, platform: str, user_id: str) -> PersonRecord | None:
    """The person a platform user id is mapped to, if any."""
    return ctx.session.scalar(
        select(PersonRecord)
        .join(PlatformAccount, PlatformAccount.person_id == PersonRecord.id)
        .where(PlatformAccount.platform == platform, PlatformAccount.user_id == user_id)
    )


def account_of(ctx: DeskContext, person: PersonRecord, platform: str) -> str | None:
    """The person's user id on a platform, if they have an account there."""
    return ctx.session.scalar(
        select(PlatformAccount.user_id).where(
            PlatformAccount.person_id == person.id, PlatformAccount.platform == platform
        )
    )


def set_account(ctx: DeskContext, person: PersonRecord, platform: str, user_id: str | None) -> bool:
    """Give the person this user id on a platform (None: none); True if anything changed."""
    current = ctx.session.scalar(
        select(PlatformAccount).where(
            PlatformAccount.person_id == person.id, PlatformAccount.platform == platform
        )
    )
    if current is not None and current.user_id == user_id:
        return False
    if current is not None:
        ctx.session.delete(current)
        ctx.session.flush()
    if user_id is not None:
        ctx.session.add(PlatformAccount(person_id=person.id, platform=platform, user_id=user_id))
        ctx.session.flush()
    return True


def sync_configured_people(ctx: DeskContext) -> int:
    """Make the stored directory agree with the configuration; return how many changed.

    The configuration is the authority on names, roles and platform ids: a chat user who
    took a configured name first is moved aside (they cannot inherit its roles), an id the
    config gives someone is taken from whoever held it, and a person no longer configured
    drops to the default role.
    """
    changed = 0
    configured = ctx.policy.people
    for profile in configured.values():
        for platform, value in profile.accounts.items():
            holder = find_by_platform_id(ctx, platform, value)
            if holder is not None and holder.name != profile.name:
                set_account(ctx, holder, platform, None)
                changed += 1
    ctx.session.flush()
    stored = {p.name: p for p in ctx.session.scalars(select(PersonRecord))}
    for profile in configured.values():
        person = stored.get(profile.name)
        if person is not None and not person.from_config:
            _rename(ctx, person, _free_name(ctx, f"{profile.name}-chat"))
            person = None
        if person is None:
            person = PersonRecord(name=profile.name, created_at=ctx.clock.now())
            ctx.session.add(person)
        values = {
            "display_name": profile.display_name,
            "email": profile.email,
            "roles": ",".join(profile.roles),
            "from_config": True,
        }
        for field_name, value in values.items():
            if getattr(person, field_name) != value:
                setattr(person, field_name, value)
                changed += 1
        ctx.session.flush()
        # Keep a platform id learnt at run time unless the config names one.
        for platform, value in profile.accounts.items():
            changed += set_account(ctx, person, platform, value)
    for person in stored.values():
        if person.from_config and person.name not in configured:
            person.roles, person.from_config = ctx.policy.default_role, False
            changed += 1
    ctx.session.flush()
    return changed


def person_for_platform_user(
    ctx: DeskContext,
    *,
    platform: str,
    user_id: str,
    display_name: str | None = None,
    email: str | None = None,
) -> PersonRecord:
    """Map a chat user to a person: by platform id, else by email, else a new employee.

    The mapping is stored so the next message from the same user is a single lookup. An
    email only links a person who has no account on that platform yet, so two chat
    accounts never merge into one person.
    """
    person = find_by_platform_id(ctx, platform, user_id)
    if person is None and email:
        found = ctx.session.scalar(
            select(PersonRecord).where(PersonRecord.email == email.strip().lower())
        )
        if found is not None and account_of(ctx, found, platform) is None:
            set_account(ctx, found, platform, user_id)
            person = found
    if person is None:
        person = PersonRecord(
            name=_free_name(ctx, display_name or email or f"{platform}-{user_id}"),
            display_name=(display_name or user_id)[:200],
            email=email.strip().lower() if email else None,
            roles=ctx.policy.default_role,
            from_config=False,
            created_at=ctx.clock.now(),
        )
        ctx.session.add(person)
        ctx.session.flush()
        set_account(ctx, person, platform, user_id)
    return person


def _rename(ctx: DeskContext, person: PersonRecord, new_name: str) -> None:
    """Give a stored person another desk name, and carry what every process stored along."""
    old = person.name
    for rename in RENAMERS:
        rename(ctx, old, new_name)
    person.name = new_name
    ctx.session.flush()


def _free_name(ctx: DeskContext, wanted: str) -> str:
    """A desk name derived from a platform name, made unique with a number if taken."""
    base = "".join(c for c in wanted.split("@")[0].lower() if c.isalnum() or c in "-_.")[:48]
    base = base or "user"
    name, n = base, 1
    while ctx.session.scalar(select(PersonRecord.id).where(PersonRecord.name == name)):
        n += 1
        name = f"{base}{n}"
    return name
