"""Configuration as code: the example is valid; every mistake names its file and line."""

import pytest

from bot.cli import main
from bot.config import ConfigError, example_config_path, load_config_text, parse_duration

EXAMPLE = example_config_path().read_text()


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, "deskbot.yaml")
    return caught.value.problems


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_example_company_is_valid():
    config = load_config_text(EXAMPLE, "example.yaml")
    policy = config.policy
    assert {"alice", "bob", "carol", "grace"} <= set(policy.people)
    assert {"vpn", "email"} <= set(policy.services)
    assert policy.teams["network"].lead == "carol"
    assert policy.priority("high", "high") == "P1"


def test_unknown_team_in_a_service_names_the_line():
    bad = EXAMPLE.replace(
        "    owner: network\n    categories: [connectivity, authentication",
        "    owner: netwrk\n    categories: [connectivity, authentication",
    )
    line = line_of(bad, "owner: netwrk")
    assert problems_of(bad) == [
        f"deskbot.yaml:{line}: services.vpn.owner: unknown team 'netwrk' — did you mean 'network'?"
    ]


def test_duplicate_person_names_the_line():
    bad = EXAMPLE.replace("  dave:\n", "  bob:\n")
    line = [n for n, text in enumerate(bad.splitlines(), start=1) if text == "  bob:"][1]
    assert f"deskbot.yaml:{line}: duplicate key 'bob' in people" in problems_of(bad)


def test_missing_sla_and_bad_duration_are_both_reported():
    bad = EXAMPLE.replace("  P5: {respond: 2d, resolve: 10d, warn_at: 80%}\n", "").replace(
        "resolve: 4h", "resolve: 5 hourz"
    )
    found = problems_of(bad)
    assert (
        f'deskbot.yaml:{line_of(bad, "5 hourz")}: bad duration "5 hourz": use a number and s, m, h, d or w, e.g. 30m, 4h, 2d (at most a year)'
        in found
    )
    assert any(p.endswith("missing SLA for priority P5 (respond, resolve)") for p in found)


def test_syntax_errors_name_the_line():
    found = problems_of("people:\n  alice: [unclosed\n")
    assert found[0].startswith("deskbot.yaml:3: not valid YAML")


def test_unknown_sections_and_roles_are_caught():
    bad = EXAMPLE.replace("routing:", "routng:").replace("roles: [admin]", "roles: [superuser]")
    found = "\n".join(problems_of(bad))
    assert "unknown section 'routng' Did you mean".lower() in found.lower().replace(" — ", " ")
    assert "unknown role 'superuser' for grace" in found


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("4h", 14400), ("1h 30m", 5400), ("2d", 172800)]
)
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["5 hourz", "", "0m", "-3h", "h", True])
def test_bad_durations(text):
    assert parse_duration(text) is None


def test_config_check_command(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(EXAMPLE)
    assert main(["config", "check", str(good)]) == 0
    assert "OK — 7 people, 3 teams, 4 services" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.replace("lead: carol", "lead: karol"))
    assert main(["config", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert (
        f"{bad}:{line_of(EXAMPLE, 'lead: carol')}: teams.network.lead: unknown person 'karol'"
        in err
    )


def test_discord_roles_are_mapped_by_id_only():
    bad = EXAMPLE.replace('"1100000000000000100": agent', '"Service Desk": agent')
    found = problems_of(bad)
    assert len(found) == 1
    assert "'Service Desk' is not a Discord role id: map roles by id" in found[0]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("roles: [admin]", "roles: 5", "roles of grace must be a list such as [agent]"),
        ("roles: [admin]", "roles: {agent: 1}", "roles of grace must be a list such as [agent]"),
        (
            "members: [frank]",
            "members: [{frank: 1}]",
            "a member of team 'messaging' must be a person's name",
        ),
        (
            "categories: [delivery, mailbox, calendar, spam]",
            "categories: [{a: 1}]",
            "categories of 'email' must be a list of names",
        ),
        ("resolve: 4h", "resolve: 99999999999w", 'bad duration "99999999999w"'),
        ("resolve: 10d", "resolve: 9999999d", 'bad duration "9999999d"'),
        (
            "  frank:\n    display_name: Frank",
            "  network:\n    display_name: Frank",
            "'network' is both a person and a team",
        ),
    ],
)
def test_wrong_shapes_are_problems_not_crashes(old, new, message):
    assert old in EXAMPLE
    assert any(message in p for p in problems_of(EXAMPLE.replace(old, new)))
