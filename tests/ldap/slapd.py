"""A real OpenLDAP slapd on 127.0.0.1 for the tests: a throwaway config and database in a
temp directory, a small seeded tree for the example company, stopped at the end.

Debian's slapd and ldap-utils are needed (.ci/run installs them). Without them the LDAP
tests are skipped with that reason, unless DESKBOT_REQUIRE_SLAPD=1 (CI) makes it a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SLAPD = "/usr/sbin/slapd"
BASE = "dc=example,dc=com"
ADMIN = f"cn=admin,{BASE}"
ADMIN_PASSWORD = "admin-secret"
SERVICE = f"cn=deskbot,{BASE}"  # the account deskbot binds as: writes groups, passwords
SERVICE_PASSWORD = "deskbot-secret"
POLICY = f"cn=default,ou=policies,{BASE}"
INITIAL_PASSWORD = "Spring-Garden-26"  # everyone's, as seeded
PEOPLE = {
    # uid: (cn, mail, manager uid, recovery address)
    "alice": ("Alice Archer", "alice@example.com", "carol", "alice.archer@example.net"),
    "bob": ("Bob Baker", "bob@example.com", "dave", None),
    "carol": ("Carol Chen", "carol@example.com", "grace", None),
    "dave": ("Dave Dalton", "dave@example.com", "grace", None),
    "erin": ("Erin Evans", "erin@example.com", "carol", None),
    "frank": ("Frank Fischer", "frank@example.com", "grace", None),
    "grace": ("Grace Hopper", "grace@example.com", None, None),
}
GROUPS = {
    "all-staff": list(PEOPLE),
    "engineering-news": ["carol", "erin"],
    "sales-news": ["grace"],
    # Access management's groups start with nobody: a groupOfNames must keep one member,
    # so they hold a placeholder outside the people branch (the service account).
    "prod-db-read": [],
    "prod-db-admin": [],
    "grafana-editors": [],
}

CONFIG = """
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile {root}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
database mdb
suffix "{base}"
rootdn "{admin}"
rootpw {admin_password}
directory {root}/data
overlay ppolicy
ppolicy_default "cn=default,ou=policies,{base}"
access to attrs=userPassword
  by dn.exact="{service}" write
  by self write
  by anonymous auth
  by * none
access to dn.subtree="ou=groups,{base}"
  by dn.exact="{service}" write
  by * read
access to * by * read
"""


def person_dn(uid: str) -> str:
    return f"uid={uid},ou=people,{BASE}"


def seed_ldif() -> str:
    """The example company's tree: people with managers, groups of names, the service account."""
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example Corp\ndc: example",
        f"dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=policies,{BASE}\nobjectClass: organizationalUnit\nou: policies",
        # The password policy (ppolicy): at least 12 characters, not one of the last 3.
        f"dn: {POLICY}\nobjectClass: device\nobjectClass: pwdPolicy\ncn: default\n"
        "pwdAttribute: userPassword\npwdMinLength: 12\npwdCheckQuality: 2\npwdInHistory: 3",
        f"dn: {SERVICE}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\n"
        f"cn: deskbot\nuserPassword: {SERVICE_PASSWORD}",
    ]
    for uid, (cn, mail, manager, recovery) in PEOPLE.items():
        lines = [
            f"dn: {person_dn(uid)}",
            "objectClass: inetOrgPerson",
            "objectClass: extensibleObject",  # for otherMailbox, the recovery address
            f"uid: {uid}",
            f"cn: {cn}",
            f"sn: {cn.split()[-1]}",
            f"mail: {mail}",
            f"userPassword: {INITIAL_PASSWORD}",
        ]
        if manager:
            lines.append(f"manager: {person_dn(manager)}")
        if recovery:
            lines.append(f"otherMailbox: {recovery}")
        entries.append("\n".join(lines))
    for name, members in GROUPS.items():
        lines = [f"dn: cn={name},ou=groups,{BASE}", "objectClass: groupOfNames", f"cn: {name}"]
        lines += [f"member: {person_dn(m)}" for m in members] or [f"member: {SERVICE}"]
        entries.append("\n".join(lines))
    return "\n\n".join(entries) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Slapd:
    """A running slapd: its URL, and how to stop and start it again (to test it down)."""

    root: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(self.root / "slapd.conf"), "-h", self.url + "/", "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"slapd exited: {self.process.stderr.read().decode()[-2000:]}"
                    ) from None
                time.sleep(0.05)
        raise RuntimeError("slapd did not start listening within 15 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def ldap(self, tool: str, *args: str, stdin: str | None = None) -> str:
        """Run an ldap-utils tool against this server as the admin; its output."""
        done = subprocess.run(
            [tool, "-x", "-H", self.url, "-D", ADMIN, "-w", ADMIN_PASSWORD, *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def whoami(self, uid: str, password: str) -> bool:
        """Whether `uid` can bind with `password` (ldapwhoami, not deskbot's own code)."""
        done = subprocess.run(
            ["ldapwhoami", "-x", "-H", self.url, "-D", person_dn(uid), "-w", password],
            capture_output=True,
            text=True,
        )
        return done.returncode == 0

    def members(self, group: str) -> list[str]:
        """The uids in a group, read with ldapsearch (not with deskbot's own code)."""
        out = self.ldap("ldapsearch", "-LLL", "-b", f"cn={group},ou=groups,{BASE}", "member")
        return sorted(
            line.split("uid=", 1)[1].split(",", 1)[0]
            for line in out.splitlines()
            if line.startswith("member: uid=")  # not the placeholder of an empty group
        )


def start_slapd() -> Slapd:
    """A fresh slapd with the seeded tree (skip, or fail in CI, when slapd is missing)."""
    if not (os.path.exists(SLAPD) and shutil.which("ldapadd")):
        message = "OpenLDAP is not installed: apt-get install -y slapd ldap-utils"
        if os.environ.get("DESKBOT_REQUIRE_SLAPD") == "1":
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="deskbot-slapd-"))
    (root / "data").mkdir()
    (root / "slapd.conf").write_text(
        CONFIG.format(
            root=root,
            base=BASE,
            admin=ADMIN,
            admin_password=ADMIN_PASSWORD,
            service=SERVICE,
        )
    )
    server = Slapd(root, _free_port())
    server.start()
    server.ldap("ldapadd", stdin=seed_ldif())
    return server
