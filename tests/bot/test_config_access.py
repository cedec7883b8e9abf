"""The `access:` section of deskbot.yaml: every mistake named with its file and line."""

from __future__ import annotations

from datetime import timedelta

from bot.config import load_config_text
from tests.bot.test_config import EXAMPLE, line_of, problems_of

BAD_ACCESS = """
access:
  reconcile_every: sometimes
  repiar: true
  resources:
    prod-db:
      roles:
        read: prod-db-read
      owners: [carol, zed]
      approvals: 3
      max_duration: 4h
      default_duration: 8h
      managed: mine
      self_renew: maybe
      break_glass:
        teams: [dba]
        roles: [write]
    Bad Name:
      roles: {read: x}
      owners: [carol]
    empty:
      description: no roles and no owners
"""


def test_every_access_mistake_is_named_with_its_line():
    bad = EXAMPLE.split("\naccess:\n")[0] + BAD_ACCESS
    found = problems_of(bad)

    def at(needle: str, message: str) -> str:
        return f"deskbot.yaml:{line_of(bad, needle)}: {message}"

    expected = [
        at(
            "reconcile_every: sometimes",
            'bad duration "sometimes": use a number and s, m, h, d or w, e.g. 30m, 4h, 2d (at most a year)',
        ),
        at("repiar: true", "unknown key 'repiar' in access — did you mean 'repair'?"),
        at("owners: [carol, zed]", "unknown person 'zed' in owners"),
        at("approvals: 3", "approvals is 3 but 'prod-db' has only 1 owners"),
        at("default_duration: 8h", "default_duration is longer than max_duration"),
        at("managed: mine", "managed must be shared or exclusive, not 'mine'"),
        at("self_renew: maybe", "self_renew must be true or false, not 'maybe'"),
        at("teams: [dba]", "unknown team 'dba'"),
        at("roles: [write]", "unknown role 'write' of this resource"),
        at(
            "Bad Name:",
            "resource name 'Bad Name' must be lowercase letters, digits, '.', '_' or '-'",
        ),
        at("empty:", "roles must map each role to its directory group, e.g. read: db-read"),
        at("empty:", "resource 'empty' needs owners (a list of people who approve)"),
    ]
    for problem in expected:
        assert problem in found, (problem, found)


def test_resources_need_a_security_channel():
    bad = EXAMPLE.replace("  security: security            # access", "  # security: none")
    assert any("access resources need a security channel" in p for p in problems_of(bad))


def test_the_example_resources_and_their_groups_in_the_built_in_directory():
    policy = load_config_text(EXAMPLE, "deskbot.yaml").policy
    prod = policy.access.resources["prod-db"]
    assert prod.roles == {"read": "prod-db-read", "admin": "prod-db-admin"}
    assert (prod.owners, prod.exclusive, prod.max_duration) == (
        ("carol", "frank"),
        True,
        timedelta(hours=8),
    )
    assert prod.break_glass is not None and prod.break_glass.teams == ("network",)
    assert {"prod-db-read", "prod-db-admin", "grafana-editors"} <= set(policy.directory_groups)
    assert policy.security_channel == "security"
