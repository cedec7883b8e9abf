"""Access management against a real slapd: a grant approved and removed at expiry,
break-glass, slapd down while access ends (never shown as ended while slapd still has it),
and a reconciliation that finds and repairs drift. Membership is read back with
ldapsearch, not with deskbot's own code."""

from __future__ import annotations

import pytest

from adapters.directory import ldap_factory
from bot.config import example_config_path, load_config_text
from domain import access
from tests.harness import DeskHarness
from tests.ldap.slapd import BASE, SERVICE, SERVICE_PASSWORD, person_dn
from tests.ldap.test_ldap_directory import LDAP_DIRECTORY


@pytest.fixture
def desk(slapd, database_url):
    text = (
        example_config_path()
        .read_text()
        .replace(
            "directory:\n  kind: builtin\n",
            LDAP_DIRECTORY.format(url=slapd.url, base=BASE, service=SERVICE).lstrip("\n"),
        )
    )
    config = load_config_text(text)
    harness = DeskHarness.start(
        database_url, config, directory=ldap_factory(config.directory, SERVICE_PASSWORD)
    )
    yield harness
    harness.close()
    for group in ("prod-db-read", "prod-db-admin"):  # leave slapd as the next test expects
        for uid in slapd.members(group):
            _ldapmodify(slapd, "delete", uid, group)


def _ldapmodify(slapd, change: str, uid: str, group: str) -> None:
    """Change a group behind deskbot's back, as an administrator would."""
    slapd.ldap(
        "ldapmodify",
        stdin=f"dn: cn={group},ou=groups,{BASE}\nchangetype: modify\n{change}: member\n"
        f"member: {person_dn(uid)}\n",
    )


def _state(desk, key: str) -> str:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return access.get_grant(ctx, key).state


def test_a_grant_is_added_in_slapd_at_approval_and_removed_at_expiry(desk, slapd):
    desk.say("alice", '/access request prod-db --role read --for 2h "quarterly report"')
    assert slapd.members("prod-db-read") == []
    assert desk.say("frank", "/access approve ACC-1") == "You approved ACC-1; it is now active."
    assert slapd.members("prod-db-read") == ["alice"]
    posts = desk.advance(hours=2)
    assert slapd.members("prod-db-read") == []
    assert "[DM @alice] ACC-1 prod-db:read: expired: you no longer have prod-db:read." in posts


def test_break_glass_is_in_slapd_at_once(desk, slapd):
    reply = desk.say("erin", '/access request prod-db --role read --for 1h "INC-9 outage"')
    assert reply.startswith("ACC-1: break-glass prod-db:read for 1h — active")
    assert slapd.members("prod-db-read") == ["erin"]
    assert any(p.startswith("[#security] BREAK-GLASS ACC-1") for p in desk.posts())


def test_with_slapd_down_a_grant_stays_ending_until_slapd_has_removed_it(desk, slapd):
    desk.say("alice", '/access request prod-db --role admin --for 1h "vacuum"')
    desk.say("carol", "/access approve ACC-1")
    assert slapd.members("prod-db-admin") == ["alice"]
    desk.posts()
    slapd.stop()
    try:
        posts = desk.advance(hours=1)
        # Never shown as expired while slapd may still give it.
        assert _state(desk, "ACC-1") == "ending"
        waiting = [p for p in posts if p.startswith("[#security] ACC-1")]
        assert waiting and "could not remove prod-db-admin" in waiting[0]
        assert "retried on its own" in waiting[0]
        assert (
            "ending; the directory is being updated"
            in desk.say("alice", "/access show ACC-1").lower()
        )
    finally:
        slapd.start()
    assert slapd.members("prod-db-admin") == ["alice"]
    posts = desk.advance(minutes=5)  # the first retry
    assert _state(desk, "ACC-1") == "expired"
    assert slapd.members("prod-db-admin") == []
    assert "[DM @alice] ACC-1 prod-db:admin: expired: you no longer have prod-db:admin." in posts


def test_reconciliation_finds_drift_in_slapd_and_repairs_ended_access(desk, slapd):
    desk.say("alice", '/access request prod-db --role read --for 1h "report"')
    desk.say("carol", "/access approve ACC-1")
    desk.advance(hours=1)
    assert slapd.members("prod-db-read") == []
    _ldapmodify(slapd, "add", "alice", "prod-db-read")  # ended access put back by hand
    _ldapmodify(slapd, "add", "bob", "prod-db-read")  # nobody granted this
    found = desk.say("grace", "/access reconcile prod-db")
    assert "  drift: alice is still in prod-db-read though ACC-1 has ended" in found
    assert "  drift: bob is in prod-db-read (prod-db) and nobody granted it" in found
    repaired = desk.say("grace", "/access reconcile prod-db --repair")
    assert "  repaired: alice is still in prod-db-read though ACC-1 has ended" in repaired
    assert slapd.members("prod-db-read") == ["bob"]


def test_grants_expiring_together_leave_slapd_in_one_sweep(desk, slapd):
    for who, role in (("alice", "read"), ("bob", "read"), ("dave", "admin")):
        desk.say(who, f'/access request prod-db --role {role} --for 2h "month end"')
    for key in ("ACC-1", "ACC-2", "ACC-3"):
        desk.say("frank", f"/access approve {key}")
    _ldapmodify(slapd, "delete", "bob", "prod-db-read")  # gone by hand before the expiry
    assert slapd.members("prod-db-read") == ["alice"]
    posts = desk.advance(hours=2)
    assert slapd.members("prod-db-read") == [] and slapd.members("prod-db-admin") == []
    assert [_state(desk, k) for k in ("ACC-1", "ACC-2", "ACC-3")] == ["expired"] * 3
    told = sorted(p.split("]")[0] for p in posts if "expired: you no longer have" in p)
    assert told == ["[DM @alice", "[DM @bob", "[DM @dave"]
