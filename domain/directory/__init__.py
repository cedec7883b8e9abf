"""The directory port: where people, their managers, recovery addresses, groups and
passwords live (LDAP, or the built-in directory in deskbot's own database).

Processes act on the directory only through `Directory`; which implementation runs is
configuration (`directory:` in deskbot.yaml). An unreachable or refusing directory raises
`DirectoryUnavailable`, whose sentence a person can read; the caller keeps its work open to
retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.errors import DeskError


class DirectoryUnavailable(DeskError):
    """The directory could not be reached, refused us, or timed out: try again later."""


class PasswordRefused(DeskError):
    """The directory's password policy refused a new password; `reasons` say why."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("The new password was refused: " + "; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class DirectoryPerson:
    """A person as the directory knows them (names are the desk's: alice, not a DN)."""

    name: str
    display_name: str = ""
    email: str | None = None
    recovery_email: str | None = None
    manager: str | None = None
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class PasswordPolicy:
    """What a new password must satisfy (the directory's policy, or the config's minimums)."""

    min_length: int = 12
    min_classes: int = 3  # of: lower case, upper case, digits, other characters
    forbid_name: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    def problems(self, password: str, name: str) -> list[str]:
        """Why `password` breaks this policy (empty when it does not)."""
        found = []
        if len(password) < self.min_length:
            found.append(f"it must be at least {self.min_length} characters long")
        classes = sum(
            any(test(c) for c in password)
            for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
        )
        if classes < self.min_classes:
            found.append(
                f"it must mix at least {self.min_classes} of: lower case, upper case, digits, "
                "other characters"
            )
        if self.forbid_name and name and name.lower() in password.lower():
            found.append("it must not contain your user name")
        return found


class Directory(Protocol):
    """What the desk asks of a directory. Every method may raise DirectoryUnavailable."""

    name: str  # "ldap", "built-in": said to people when it fails

    def find_person(self, name: str) -> DirectoryPerson | None:
        """The person called `name`, or None if the directory has nobody by that name."""

    def groups(self) -> list[str]:
        """The names of the groups the desk may change."""

    def members(self, group: str) -> list[str]:
        """The desk names of a group's members (NotFound when there is no such group)."""

    def add_to_group(self, name: str, group: str) -> bool:
        """Make `name` a member of `group`; False when they already were."""

    def remove_from_group(self, name: str, group: str) -> bool:
        """Take `name` out of `group`; False when they were not a member."""

    def remove_members(self, group: str, names: list[str]) -> list[str]:
        """Take several people out of one group at once: returns those of them the directory
        has, none a member any more (no such group: nobody)."""

    def set_password(self, name: str, password: str) -> None:
        """Set a person's password (PasswordRefused with the directory's reasons)."""

    def password_policy(self) -> PasswordPolicy:
        """The policy new passwords must meet."""


# Makes the directory of one unit of work from its database session (the built-in
# directory works in that session; LDAP ignores it).
DirectoryFactory = Callable[[Any], Directory]

__all__ = [
    "Directory",
    "DirectoryFactory",
    "DirectoryPerson",
    "DirectoryUnavailable",
    "PasswordPolicy",
    "PasswordRefused",
]
