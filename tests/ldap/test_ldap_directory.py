"""The LDAP adapter against a real slapd: people, managers, groups, failures; and the
request process fulfilling a distribution list in slapd through it."""

from __future__ import annotations

import re

import pytest

from adapters.directory import LdapDirectory, ldap_factory
from bot.config import example_config_path, load_config_text
from domain.directory import DirectoryUnavailable
from domain.errors import NotFound
from tests.harness import DeskHarness
from tests.ldap.slapd import BASE, SERVICE, SERVICE_PASSWORD

LDAP_DIRECTORY = """
directory:
  kind: ldap
  url: {url}
  base_dn: "{base}"
  bind_dn: "{service}"
  timeout: 2s
"""


def directory(slapd, password: str = SERVICE_PASSWORD, url: str | None = None) -> LdapDirectory:
    return LdapDirectory(
        url=url or slapd.url, base_dn=BASE, bind_dn=SERVICE, password=password, timeout=2
    )


def test_people_managers_and_groups_are_read_from_slapd(slapd):
    alice = directory(slapd).find_person("alice")
    assert alice.display_name == "Alice Archer"
    assert alice.email == "alice@example.com"
    assert alice.recovery_email == "alice.archer@example.net"
    assert alice.manager == "carol"
    assert alice.groups == ("all-staff",)
    assert directory(slapd).find_person("nobody") is None
    # A name that would widen a filter finds nobody instead of everybody.
    assert directory(slapd).find_person("*") is None
    assert "engineering-news" in directory(slapd).groups()


def test_group_membership_is_added_and_removed_in_slapd(slapd):
    ldap = directory(slapd)
    assert ldap.add_to_group("bob", "sales-news") is True
    assert "bob" in slapd.members("sales-news")  # read back with ldapsearch
    assert ldap.add_to_group("bob", "sales-news") is False  # already a member: said, not failed
    assert ldap.remove_from_group("bob", "sales-news") is True
    assert "bob" not in slapd.members("sales-news")
    assert ldap.remove_from_group("bob", "sales-news") is False
    with pytest.raises(NotFound, match="no group 'no-such-list'"):
        ldap.add_to_group("bob", "no-such-list")
    with pytest.raises(NotFound, match="nobody with the user name 'zed'"):
        ldap.add_to_group("zed", "sales-news")


def test_several_members_leave_a_group_in_one_change(slapd):
    ldap = directory(slapd)
    for uid in ("alice", "carol", "erin"):
        ldap.add_to_group(uid, "prod-db-read")
    # bob is no member, zed is nobody: the others leave all the same.
    assert ldap.remove_members("prod-db-read", ["erin", "bob", "alice", "zed"]) == [
        "alice",
        "bob",
        "erin",
    ]
    assert slapd.members("prod-db-read") == ["carol"]  # read back with ldapsearch
    assert ldap.remove_members("prod-db-read", ["bob"]) == ["bob"]  # nobody to remove
    assert ldap.remove_members("no-such-group", ["carol"]) == []
    assert ldap.remove_members("prod-db-read", ["carol"]) == ["carol"]
    assert slapd.members("prod-db-read") == []


def test_failures_are_clear_and_never_show_the_password(slapd):
    with pytest.raises(DirectoryUnavailable) as refused:
        directory(slapd, password="wrong-password").find_person("alice")
    assert "refused deskbot's sign-in" in refused.value.message
    assert "wrong-password" not in refused.value.message
    with pytest.raises(DirectoryUnavailable, match="cannot be reached"):
        directory(slapd, url="ldap://127.0.0.1:1").groups()
    assert SERVICE_PASSWORD not in repr(directory(slapd))


def test_a_distribution_list_is_fulfilled_in_slapd(slapd, database_url):
    text = (
        example_config_path()
        .read_text()
        .replace(
            "directory:\n  kind: builtin\n",
            LDAP_DIRECTORY.format(url=slapd.url, base=BASE, service=SERVICE).lstrip("\n"),
        )
    )
    # No managers in the config: they come from slapd's `manager` attribute.
    text = re.sub(r"(?m)^    manager: .*\n", "", text)
    config = load_config_text(text)
    assert config.directory.kind == "ldap" and config.directory.url == slapd.url
    harness = DeskHarness.start(
        database_url, config, directory=ldap_factory(config.directory, SERVICE_PASSWORD)
    )
    try:
        assert "dave" not in slapd.members("engineering-news")
        reply = harness.say("dave", "/request new distribution-list list=engineering-news")
        assert reply.endswith("Done. The directory added dave to engineering-news.")
        assert "dave" in slapd.members("engineering-news")
        # erin's manager comes from slapd: carol.
        harness.say("erin", "/request new new-laptop model=standard needed_by=2026-03-01")
        assert any(p.startswith("[DM @carol] @erin requests REQ-2") for p in harness.posts())
        # slapd down: the request stays open, the requester is told, and a retry finishes it.
        slapd.stop()
        try:
            harness.say("alice", "/request new distribution-list list=sales-news")
            told = [p for p in harness.posts() if p.startswith("[DM @alice] REQ-3")]
            assert "cannot be reached right now" in told[-1] and "will be retried" in told[-1]
        finally:
            slapd.start()
        posts = harness.advance(minutes=5)
        assert (
            '[DM @alice] REQ-3 "Distribution list membership": done: the directory added alice to sales-news.'
            in posts
        )
        assert "alice" in slapd.members("sales-news")
    finally:
        harness.close()
        directory(slapd).remove_from_group("dave", "engineering-news")
        directory(slapd).remove_from_group("alice", "sales-news")
