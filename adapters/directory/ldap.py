"""The LDAP directory (OpenLDAP, 389 DS, Active Directory's LDAP): people under a people
base (`uid`), groups of names under a groups base (`cn`, `member` DNs), the manager as a DN.

The directory of one unit of work (`ldap_factory` makes one per database session) opens
one connection when it is first used, binds as the service account (password from
DESKBOT_LDAP_PASSWORD), and keeps it, and the people's DNs it looked up, for as long as
the unit of work holds it: when the unit of work ends, its context and with it this
directory are dropped, and the connection is unbound then (or at `close()`). A timer batch
that takes away two hundred grants binds once, not two hundred times. Between units of
work nothing is kept, since a connection held open would only go stale. A connection that
fails is dropped: a call that failed on the kept connection (other than by a timeout) is
tried once more on a fresh one, since the kept one may just have gone stale, and the next
call opens a new one. A directory made without a unit of work
(`LdapDirectory(...)` itself) connects and unbinds on every call. Every failure to reach
or use the server is a `DirectoryUnavailable` with a sentence a person can read; the
password never appears in one.
"""

from __future__ import annotations

import copy
import logging
import ssl
import weakref
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from typing import Any, TypeVar
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
T = TypeVar("T")

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
        # Kept only by the directory of a unit of work (`for_unit_of_work`): the bound
        # connection (in a cell the finalizer can empty) and the DNs found by uid.
        self._keep = False
        self._cell: list[ldap3.Connection | None] = [None]
        self._dns: dict[str, str] = {}

    def for_unit_of_work(self) -> LdapDirectory:
        """A directory for one unit of work: it keeps one connection and the DNs it found
        until `close()`, or until it is dropped (the unit of work is over)."""
        unit = copy.copy(self)
        unit._keep, unit._cell, unit._dns = True, [None], {}
        weakref.finalize(unit, _close_cell, unit._cell)
        return unit

    def close(self) -> None:
        """Unbind the kept connection, if any, and forget the DNs found."""
        self._dns = {}
        _close_cell(self._cell)

    def __repr__(self) -> str:  # never the password
        return f"LdapDirectory({self.url}, bind {self.bind_dn})"

    def _run(self, work: Callable[[ldap3.Connection], T], *, retry: bool = True) -> T:
        """`work` on a bound connection: the kept one, or a new one (kept if this
        directory keeps it). A failure of the server is a DirectoryUnavailable."""
        kept = self._cell[0]
        reused = kept is not None
        connection = kept if kept is not None else self._open()
        try:
            result = work(connection)
        except LDAPException as exc:
            self._drop(connection)
            if reused and retry and not _timed_out(exc):
                # The kept connection may have gone stale (slapd restarted, an idle timeout
                # closed it): once more, on a fresh one, as a call of its own would be.
                log.info(
                    "ldap: kept connection to %s failed (%s); reconnecting",
                    self.url,
                    type(exc).__name__,
                )
                return self._run(work)
            log.warning("ldap: %s failed: %s", self.url, type(exc).__name__)
            raise DirectoryUnavailable(_unreachable(exc)) from None
        except (NotFound, PasswordRefused):
            self._done(connection)  # an answer: the connection is fine
            raise
        except BaseException:
            self._drop(connection)  # a refusal or worse: the next call starts afresh
            raise
        self._done(connection)
        return result

    def _open(self) -> ldap3.Connection:
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
            return ldap3.Connection(
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

    def _done(self, connection: ldap3.Connection) -> None:
        """After a call: keep the connection for the unit of work, or unbind it."""
        if not self._keep:
            _unbind(connection)
            return
        self._cell[0] = connection

    def _drop(self, connection: ldap3.Connection) -> None:
        if self._cell[0] is connection:
            self._cell[0] = None
        _unbind(connection)

    def person_dn(self, connection: ldap3.Connection, name: str) -> str | None:
        """The DN of the person whose uid is `name`, or None (found once per unit of work)."""
        if name in self._dns:
            return self._dns[name]
        connection.search(
            self.people_base,
            f"(uid={escape_filter_chars(name)})",
            search_scope=ldap3.SUBTREE,
            attributes=[],
            size_limit=2,
        )
        entries = connection.response or []
        found = [e["dn"] for e in entries if e.get("type") == "searchResEntry"]
        if len(found) != 1:
            return None
        if self._keep:
            self._dns[name] = found[0]
        return found[0]

    def find_person(self, name: str) -> DirectoryPerson | None:
        found = self._run(lambda connection: self._person_and_groups(connection, name))
        if found is None:
            return None
        attributes, groups = found
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

    def _person_and_groups(
        self, connection: ldap3.Connection, name: str
    ) -> tuple[dict[str, Any], list[str]] | None:
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
        return attributes, groups

    def groups(self) -> list[str]:
        return self._run(self._groups)

    def _groups(self, connection: ldap3.Connection) -> list[str]:
        connection.search(self.groups_base, "(objectClass=groupOfNames)", attributes=["cn"])
        return sorted(
            _first(e["attributes"].get("cn"))
            for e in connection.response or []
            if e.get("type") == "searchResEntry"
        )

    def members(self, group: str) -> list[str]:
        return self._run(lambda connection: self._members(connection, group))

    def _members(self, connection: ldap3.Connection, group: str) -> list[str]:
        # Members outside the people branch (the placeholder a groupOfNames needs) are no
        # desk names.
        people = self.people_base.lower()
        names = (
            _uid(dn) for dn in self._member_dns(connection, group) if dn.lower().endswith(people)
        )
        return sorted(n for n in names if n)

    def add_to_group(self, name: str, group: str) -> bool:
        return self._change_group(name, group, ldap3.MODIFY_ADD, "attributeOrValueExists")

    def remove_from_group(self, name: str, group: str) -> bool:
        return self._change_group(name, group, ldap3.MODIFY_DELETE, "noSuchAttribute")

    def remove_members(self, group: str, names: list[str]) -> list[str]:
        return self._run(lambda connection: self._remove_members(connection, group, names))

    def _remove_members(
        self, connection: ldap3.Connection, group: str, names: list[str]
    ) -> list[str]:
        # One search for the people's DNs and one modify for the lot, where one person at a
        # time would search and rewrite the group each time.
        found: dict[str, str] = {}
        for start in range(0, len(names), 100):
            # uid matches regardless of case in LDAP: JSmith there is jsmith here.
            chunk = {n.lower(): n for n in names[start : start + 100]}
            either = "".join(f"(uid={escape_filter_chars(n)})" for n in chunk.values())
            connection.search(
                self.people_base,
                f"(|{either})",
                search_scope=ldap3.SUBTREE,
                attributes=["uid"],
            )
            for entry in connection.response or []:
                if entry.get("type") == "searchResEntry":
                    uid = (_first(entry["attributes"].get("uid")) or "").lower()
                    if uid in chunk:
                        found[entry["dn"]] = chunk[uid]
        group_dn = f"cn={escape_rdn(group)},{self.groups_base}"
        leaving = list(found)
        if leaving and not connection.modify(
            group_dn, {"member": [(ldap3.MODIFY_DELETE, leaving)]}
        ):
            outcome = connection.result.get("description")
            if outcome == "noSuchObject":
                return []  # no such group: nobody is in it
            if outcome != "noSuchAttribute":
                self._refused(group, outcome)
            # Someone was no member (drift, or removed by hand): the group's own list
            # says who is, and the rest go in a second modify.
            present = {dn.lower() for dn in self._member_dns(connection, group)}
            leaving = [dn for dn in leaving if dn.lower() in present]
            if leaving and not connection.modify(
                group_dn, {"member": [(ldap3.MODIFY_DELETE, leaving)]}
            ):
                self._refused(group, connection.result.get("description"))
        return sorted(found.values())

    def _member_dns(self, connection: ldap3.Connection, group: str) -> list[str]:
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
        return _all(entries[0]["attributes"].get("member"))

    @staticmethod
    def _refused(group: str, outcome: str | None) -> None:
        if outcome == "insufficientAccessRights":
            raise DirectoryUnavailable(
                f"The LDAP directory refused to change {group[:64]}: deskbot's account "
                "may not write to it."
            )
        raise DirectoryUnavailable(f"The LDAP directory refused the change ({outcome}).")

    def _change_group(self, name: str, group: str, operation: str, unchanged: str) -> bool:
        return self._run(
            lambda connection: self._change(connection, name, group, operation, unchanged)
        )

    def _change(
        self, connection: ldap3.Connection, name: str, group: str, operation: str, unchanged: str
    ) -> bool:
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
        # Not tried twice: a change that went through would be refused as "in history".
        self._run(lambda connection: self._set_password(connection, name, password), retry=False)

    def _set_password(self, connection: ldap3.Connection, name: str, password: str) -> None:
        dn = self.person_dn(connection, name)
        if dn is None:
            raise NotFound(f"The LDAP directory has nobody with the user name '{name[:64]}'.")
        if not connection.extend.standard.modify_password(user=dn, new_password=password):
            outcome = connection.result.get("description")
            message = str(connection.result.get("message") or outcome)
            if outcome == "constraintViolation":
                raise PasswordRefused([_policy_words(message)])
            raise DirectoryUnavailable(f"The LDAP directory refused the new password ({outcome}).")

    def password_policy(self) -> PasswordPolicy:
        """The config's minimums, raised to the directory's own ppolicy pwdMinLength."""
        if not self.policy_dn:
            return self.policy
        entries = self._run(self._policy_entries)
        found = _first(entries[0]["attributes"].get("pwdMinLength")) if entries else None
        if found is None or not str(found).isdigit():
            return self.policy
        return replace(self.policy, min_length=max(self.policy.min_length, int(found)))

    def _policy_entries(self, connection: ldap3.Connection) -> list[dict[str, Any]]:
        connection.search(
            self.policy_dn,
            "(objectClass=*)",
            search_scope=ldap3.BASE,
            attributes=["pwdMinLength"],
        )
        return [e for e in connection.response or [] if e.get("type") == "searchResEntry"]


def ldap_factory(settings, password: str):
    """A `DirectoryFactory` for the config's `directory:` (kind ldap): for a session, a
    directory of its own that keeps one connection for that unit of work (unbound when the
    unit of work drops it); without one (None), a shared directory that connects on every
    call."""
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
        return directory if session is None else directory.for_unit_of_work()

    return factory


POLICY_WORDS = {
    "fails quality checking": "it is too short or too simple for the directory's policy",
    "too short": "it is shorter than the directory's policy allows",
    "in history": "it must not be one of your recent passwords",
    "not being changed": "it is the password you have now",
    "too young": "it was changed too recently to change again yet",
}


def _close_cell(cell: list[ldap3.Connection | None]) -> None:
    connection, cell[0] = cell[0], None
    if connection is not None:
        _unbind(connection)


def _unbind(connection: ldap3.Connection) -> None:
    with suppress(LDAPException):  # the work is done; a failed goodbye changes nothing
        connection.unbind()


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
    if _timed_out(exc):
        return "The LDAP directory did not answer in time; try again in a few minutes."
    return "The LDAP directory cannot be reached right now; try again in a few minutes."


def _timed_out(exc: LDAPException) -> bool:
    return "Timeout" in type(exc).__name__ or "timed out" in str(exc)


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
    return value.lower() if attribute.lower() == "uid" else None  # desk names are lowercase
