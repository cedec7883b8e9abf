"""The built-in directory: people, groups and passwords kept in deskbot's own database, for
the embedded default, the walkthrough and the console (no LDAP server needed).

It works in the caller's transaction (one is made per unit of work), so on SQLite it never
waits on its own writer. People are the desk's people; their managers and recovery
addresses come from the configuration; groups start as the configuration seeds them and
then change only through the desk.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import datetime

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from domain.clock import Clock
from domain.directory import DirectoryPerson, PasswordPolicy, PasswordRefused
from domain.errors import NotFound
from domain.policy import DeskPolicy
from domain.records import Base, PersonRecord, UtcDateTime


class DirectoryGroup(Base):
    """A group of the built-in directory."""

    __tablename__ = "directory_groups"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DirectoryMember(Base):
    """A person's membership of a built-in group."""

    __tablename__ = "directory_members"

    group_name: Mapped[str] = mapped_column(ForeignKey("directory_groups.name"), primary_key=True)
    member: Mapped[str] = mapped_column(String(64), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DirectoryPassword(Base):
    """A person's password in the built-in directory: a salted scrypt hash, never the text."""

    __tablename__ = "directory_passwords"

    person: Mapped[str] = mapped_column(String(64), primary_key=True)
    hash: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BuiltinDirectory:
    """The `Directory` port over deskbot's database, in one unit of work's session."""

    name = "built-in directory"

    def __init__(self, session: Session, policy: DeskPolicy, clock: Clock) -> None:
        self.session, self.policy, self.clock = session, policy, clock

    def find_person(self, name: str) -> DirectoryPerson | None:
        stored = self.session.scalar(select(PersonRecord).where(PersonRecord.name == name))
        profile = self.policy.people.get(name)
        if stored is None and profile is None:
            return None
        groups = self.session.scalars(
            select(DirectoryMember.group_name)
            .where(DirectoryMember.member == name)
            .order_by(DirectoryMember.group_name)
        )
        return DirectoryPerson(
            name=name,
            display_name=(profile.display_name if profile else stored.display_name),
            email=(profile.email if profile else stored.email),
            recovery_email=profile.recovery_email if profile else None,
            manager=profile.manager if profile else None,
            groups=tuple(groups),
        )

    def groups(self) -> list[str]:
        return list(self.session.scalars(select(DirectoryGroup.name).order_by(DirectoryGroup.name)))

    def members(self, group: str) -> list[str]:
        self._require_group(group)
        return list(
            self.session.scalars(
                select(DirectoryMember.member)
                .where(DirectoryMember.group_name == group)
                .order_by(DirectoryMember.member)
            )
        )

    def add_to_group(self, name: str, group: str) -> bool:
        self._require_group(group)
        try:
            with self.session.begin_nested():
                self.session.add(
                    DirectoryMember(group_name=group, member=name, added_at=self.clock.now())
                )
        except IntegrityError:
            return False
        return True

    def remove_from_group(self, name: str, group: str) -> bool:
        self._require_group(group)
        gone = self.session.execute(
            delete(DirectoryMember).where(
                DirectoryMember.group_name == group, DirectoryMember.member == name
            )
        )
        return bool(gone.rowcount)

    def remove_members(self, group: str, names: list[str]) -> list[str]:
        if not self.session.get(DirectoryGroup, group):
            return []
        self.session.execute(
            delete(DirectoryMember).where(
                DirectoryMember.group_name == group, DirectoryMember.member.in_(names)
            )
        )
        return sorted(names)

    def set_password(self, name: str, password: str) -> None:
        reasons = self.password_policy().problems(password, name)
        if reasons:
            raise PasswordRefused(reasons)
        stored = self.session.get(DirectoryPassword, name)
        hashed = hash_password(password)
        if stored is None:
            self.session.add(
                DirectoryPassword(person=name, hash=hashed, changed_at=self.clock.now())
            )
        else:
            stored.hash, stored.changed_at = hashed, self.clock.now()

    def check_password(self, name: str, password: str) -> bool:
        """Whether `password` is the person's (for tests and a future sign-in)."""
        stored = self.session.get(DirectoryPassword, name)
        return stored is not None and verify_password(password, stored.hash)

    def password_policy(self) -> PasswordPolicy:
        return self.policy.password_policy

    def _require_group(self, group: str) -> None:
        if self.session.get(DirectoryGroup, group) is None:
            raise NotFound(f"The built-in directory has no group '{group[:64]}'.")


def seed_groups(session: Session, groups: dict[str, tuple[str, ...]], clock: Clock) -> None:
    """Create the configured groups that do not exist yet, with their first members.

    Groups already stored keep the members the desk gave them: the configuration seeds,
    it does not overwrite.
    """
    existing = set(session.scalars(select(DirectoryGroup.name)))
    now = clock.now()
    for name, members in groups.items():
        if name in existing:
            continue
        session.add(DirectoryGroup(name=name, created_at=now))
        session.flush()
        for member in dict.fromkeys(members):
            session.add(DirectoryMember(group_name=name, member=member, added_at=now))


def hash_password(password: str) -> str:
    """scrypt with a random salt, as "scrypt$salt$hash" (hex)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a hash made by `hash_password`."""
    scheme, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    found = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    return hmac.compare_digest(found.hex(), digest)
