"""The LDAP directory (OpenLDAP, 389 DS, Active Directory's LDAP): people under a people
base (`uid`), groups of names under a groups base (`cn`, `member` DNs), the manager as a DN.

Each call opens a connection, binds as the service account (password from
DESKBOT_LDAP_PASSWORD), does its work and unbinds: the desk's changes are rare and small,
and a connection kept open would only go stale. Every failure to reach or use the server
is a `DirectoryUnavailable` with a sentence a person can read; the password never appears
in one.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn

from domain.directory import (
    DirectoryPerson,
    DirectoryUnavailable,
    PasswordPolicy,
    PasswordRefused,
)
from domain.errors import NotFound

log = logging.getLogger(__name__)

PASSWORD_ENV = "DESKBOT_LDAP_PASSWORD"


class LdapDirectory:
    """The `Directory` port over LDAP."""

    name = "LDAP directory"

    def __init__(
        self,
        *,
        url: str,
        base_dn: str,
        bind_dn: str,
        password: str,
        people: str = "ou=people",
        groups_base: str = "ou=groups",
        timeout: float = 5,
        manager_attribute: str = "manager",
        recovery_attribute: str = "otherMailbox",
        password_policy: PasswordPolicy | None = None,
        policy_dn: str = "",
    ) -> None:
        # ldap3 packs its socket timeouts as whole seconds.
        timeout = max(1, round(timeout))
        self.url = url
        self.bind_dn, self._password = bind_dn, password
        self.people_base = f"{people},{base_dn}" if people else base_dn
        self.groups_base = f"{groups_base},{base_dn}" if groups_base else base_dn
        self.timeout = timeout
        self.manager_attribute = manager_attribute
        self.recovery_attribute = recovery_attribute
        self.policy = password_policy or PasswordPolicy()
        self.policy_dn = policy_dn  # the ppolicy entry whose pwdMinLength also applies

    def __repr__(self) -> str:  # never the password
        return f"LdapDirectory({self.url}, bind {self.bind_dn})"

    @contextmanager
    def _connection(self) -> Iterator[ldap3.Connection]:
        # A Server per connection: ldap3 marks a server it failed to reach unavailable for
        # a while, which would turn a retry after an outage into another failure.
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED)  # the server's certificate is checked
        server = ldap3.Server(
            self.url,
            connect_timeout=self.timeout,
            get_info=ldap3.NONE,
            use_ssl=self.url.startswith("ldaps://"),
            tls=tls,
        )
        # Passwords cross this connection: ldaps://, or StartTLS before the bind, except to
        # a server on this very machine (a local proxy, the tests' slapd).
        plain = self.url.startswith("ldaps://") or _loopback(self.url)
        try:
            connection = ldap3.Connection(
                server,
                user=self.bind_dn or None,
                password=self._password or None,
                auto_bind=ldap3.AUTO_BIND_NO_TLS if plain else ldap3.AUTO_BIND_TLS_BEFORE_BIND,
                receive_timeout=self.timeout,
                read_only=False,
            )
        except LDAPException as exc:
            log.warning("ldap: cannot bind to %s: %s", self.url, type(exc).__name__)
            raise DirectoryUnavailable(_unreachable(exc)) from None
        try:
            yield connection
        except LDAPException as exc:
            log.warning("ldap: %s failed: %s", self.url, type(exc).__name__)
            raise DirectoryUnavailable(_unreachable(exc)) from None
        finally:
            with suppress(LDAPException):  # the work is done; a failed goodbye changes nothing
                connection.unbind()

    def person_dn(self, connection: ldap3.Connection, name: str) -> str | None:
        """The DN of the person whose uid is `name`, or None."""
        connection.search(
            self.people_base,
            f"(uid={escape_filter_chars(name)})",
            search_scope=ldap3.SUBTREE,
            attributes=[],
            size_limit=2,
        )
        entries = connection.response or []
        found = [e["dn"] for e in entries if e.get("type") == "searchResEntry"]
        return found[0] if len(found) == 1 else None

    def find_person(self, name: str) -> DirectoryPerson | None:
        with self._connection() as connection:
            wanted = ["cn", "mail", self.manager_attribute, self.recovery_attribute]
            connection.search(
                self.people_base,
                f"(uid={escape_filter_chars(name)})",
                search_scope=ldap3.SUBTREE,
                attributes=list(dict.fromkeys(wanted)),
                size_limit=2,
            )
            entries = [e for e in connection.response or [] if e.get("type") == "searchResEntry"]
            if len(entries) != 1:
                return None
            entry = entries[0]
            attributes: dict[str, Any] = entry["attributes"]
            connection.search(
                self.groups_base,
                f"(&(objectClass=groupOfNames)(member={escape_filter_chars(entry['dn'])}))",
                search_scope=ldap3.SUBTREE,
                attributes=["cn"],
            )
            groups = sorted(
                _first(e["attributes"].get("cn"))
                for e in connection.response or []
                if e.get("type") == "searchResEntry"
            )
        mails = _all(attributes.get("mail"))
        # Its own attribute (multi-valued `mail` has no order to tell work from private).
        recovery = _all(attributes.get(self.recovery_attribute))
        return DirectoryPerson(
            name=name,
            display_name=_first(attributes.get("cn")) or name,
            email=mails[0] if mails else None,
            recovery_email=recovery[0] if recovery else None,
            manager=_uid(_first(attributes.get(self.manager_attribute))),
            groups=tuple(g for g in groups if g),
        )

    def groups(self) -> list[str]:
        with self._connection() as connection:
            connection.search(self.groups_base, "(objectClass=groupOfNames)", attributes=["cn"])
            return sorted(
                _first(e["attributes"].get("cn"))
                for e in connection.response or []
                if e.get("type") == "searchResEntry"
            )

    def members(self, group: str) -> list[str]:
        with self._connection() as connection:
            found = connection.search(
                self.groups_base,
                f"(&(objectClass=groupOfNames)(cn={escape_filter_chars(group)}))",
                search_scope=ldap3.SUBTREE,
                attributes=["member"],
                size_limit=2,
            )
            entries = [e for e in connection.response or [] if e.get("type") == "searchResEntry"]
            if not found or len(entries) != 1:
                raise NotFound(f"The LDAP directory has no group '{group[:64]}'.")
            # Members outside the people branch (the placeholder a groupOfNames needs)
            # are no desk names.
            names = (
                _uid(dn)
                for dn in _all(entries[0]["attributes"].get("member"))
                if dn.lower().endswith(self.people_base.lower())
            )
            return sorted(n for n in names if n)

    def add_to_group(self, name: str, group: str) -> bool:
        return self._change_group(name, group, ldap3.MODIFY_ADD, "attributeOrValueExists")

    def remove_from_group(self, name: str, group: str) -> bool:
        return self._change_group(name, group, ldap3.MODIFY_DELETE, "noSuchAttribute")

    def _change_group(self, name: str, group: str, operation: str, unchanged: str) -> bool:
        with self._connection() as connection:
            member = self.person_dn(connection, name)
            if member is None:
                raise NotFound(f"The LDAP directory has nobody with the user name '{name[:64]}'.")
            group_dn = f"cn={escape_rdn(group)},{self.groups_base}"
            if connection.modify(group_dn, {"member": [(operation, [member])]}):
                return True
            outcome = connection.result.get("description")
            if outcome == unchanged:
                return False
            if outcome == "noSuchObject":
                raise NotFound(f"The LDAP directory has no group '{group[:64]}'.")
            if outcome == "insufficientAccessRights":
                raise DirectoryUnavailable(
                    f"The LDAP directory refused to change {group[:64]}: deskbot's account "
                    "may not write to it."
                )
            raise DirectoryUnavailable(f"The LDAP directory refused the change ({outcome}).")

    def set_password(self, name: str, password: str) -> None:
        reasons = self.policy.problems(password, name)
        if reasons:
            raise PasswordRefused(reasons)
        with self._connection() as connection:
            dn = self.person_dn(connection, name)
            if dn is None:
                raise NotFound(f"The LDAP directory has nobody with the user name '{name[:64]}'.")
            if not connection.extend.standard.modify_password(user=dn, new_password=password):
                outcome = connection.result.get("description")
                message = str(connection.result.get("message") or outcome)
                if outcome == "constraintViolation":
                    raise PasswordRefused([_policy_words(message)])
                raise DirectoryUnavailable(
                    f"The LDAP directory refused the new password ({outcome})."
                )

    def password_policy(self) -> PasswordPolicy:
        """The config's minimums, raised to the directory's own ppolicy pwdMinLength."""
        if not self.policy_dn:
            return self.policy
        with self._connection() as connection:
            connection.search(
                self.policy_dn,
                "(objectClass=*)",
                search_scope=ldap3.BASE,
                attributes=["pwdMinLength"],
            )
            entries = [e for e in connection.response or [] if e.get("type") == "searchResEntry"]
        found = _first(entries[0]["attributes"].get("pwdMinLength")) if entries else None
        if found is None or not str(found).isdigit():
            return self.policy
        return replace(self.policy, min_length=max(self.policy.min_length, int(found)))


def ldap_factory(settings, password: str):
    """A `DirectoryFactory` for the config's `directory:` (kind ldap); one LDAP client is
    shared, since it holds no connection between calls."""
    directory = LdapDirectory(
        url=settings.url,
        base_dn=settings.base_dn,
        bind_dn=settings.bind_dn,
        password=password,
        people=settings.people,
        groups_base=settings.groups_base,
        timeout=settings.timeout.total_seconds(),
        manager_attribute=settings.manager_attribute,
        recovery_attribute=settings.recovery_attribute,
        password_policy=settings.password_policy,
        policy_dn=settings.policy_dn,
    )

    def factory(session: Any) -> LdapDirectory:
        return directory

    return factory


POLICY_WORDS = {
    "fails quality checking": "it is too short or too simple for the directory's policy",
    "too short": "it is shorter than the directory's policy allows",
    "in history": "it must not be one of your recent passwords",
    "not being changed": "it is the password you have now",
    "too young": "it was changed too recently to change again yet",
}


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def _policy_words(message: str) -> str:
    """slapd's ppolicy refusal in the words a person reads on the reset page."""
    lowered = message.lower()
    return next((w for key, w in POLICY_WORDS.items() if key in lowered), message)


def _unreachable(exc: LDAPException) -> str:
    kind = type(exc).__name__
    if "Bind" in kind or "InvalidCredentials" in kind:
        return "The LDAP directory refused deskbot's sign-in; tell the desk's administrator."
    if "Timeout" in kind or "timed out" in str(exc):
        return "The LDAP directory did not answer in time; try again in a few minutes."
    return "The LDAP directory cannot be reached right now; try again in a few minutes."


def _first(value: Any) -> str | None:
    values = _all(value)
    return values[0] if values else None


def _all(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _uid(dn: str | None) -> str | None:
    """'uid=carol,ou=people,…' → 'carol' (None when the DN has no uid first)."""
    if not dn:
        return None
    try:
        attribute, value, _ = parse_dn(dn)[0]
    except (LDAPException, IndexError, ValueError):
        return None
    return value if attribute.lower() == "uid" else None
