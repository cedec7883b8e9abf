"""`deskbot config check` leaves nothing unsaid: unknown keys, people who cannot do their
job, yes/no where a duration belongs, and which file it checks when none is given."""

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, example_config_path, load_config_text

EXAMPLE = example_config_path().read_text()
ROOT = Path(__file__).parents[2]


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, "deskbot.yaml")
    return caught.value.problems


def edit(old: str, new: str) -> str:
    assert EXAMPLE.count(old) == 1, old
    return EXAMPLE.replace(old, new)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  name: Example Corp",
            "  nmae: Example Corp",
            "unknown key 'nmae' in desk — did you mean 'name'?",
        ),
        (
            "  default_role: employee ",
            "  defualt_role: employee ",
            "unknown key 'defualt_role' in desk — did you mean 'default_role'?",
        ),
        (
            "  service-desk: {}",
            "  service-desk: {slak: C0123}",
            "unknown platform 'slak' for channel 'service-desk' — did you mean 'slack'?",
        ),
        (
            "  escalation: major-incidents",
            "  escalaton: major-incidents",
            "unknown key 'escalaton' in routing — did you mean 'escalation'?",
        ),
        (
            "    email: bob@example.com",
            "    emial: bob@example.com",
            "unknown key 'emial' for person 'bob' — did you mean 'email'?",
        ),
        (
            "    lead: carol",
            "    laed: carol",
            "unknown key 'laed' for team 'network' — did you mean 'lead'?",
        ),
        (
            "    display_name: Corporate VPN",
            "    display_nam: Corporate VPN",
            "unknown key 'display_nam' for service 'vpn' — did you mean 'display_name'?",
        ),
        (
            "  P1: {respond: 15m, resolve: 4h, warn_at: 75%}",
            "  P1: {respond: 15m, resolve: 4h, warnat: 75%}",
            "unknown key 'warnat' in sla P1 — did you mean 'warn_at'?",
        ),
        (
            "  low:    {high: P3, medium: P4, low: P5}",
            "  low:    {high: P3, medium: P4, low: P5}\n  hihg: {high: P1}",
            "unknown impact 'hihg' in priority_matrix — did you mean 'high'?",
        ),
        (
            "  low:    {high: P3, medium: P4, low: P5}",
            "  low:    {high: P3, medium: P4, low: P5, lwo: P5}",
            "unknown urgency 'lwo' in priority_matrix low — did you mean 'low'?",
        ),
        (
            '  discord:\n    "1100',
            '  discrod:\n    "1100',
            "unknown platform 'discrod' in role_mapping — did you mean 'discord'?",
        ),
    ],
)
def test_an_unknown_key_anywhere_names_its_line_and_the_key_meant(old, new, message):
    bad = edit(old, new)
    wrong_key = message.split("'")[1]
    assert f"deskbot.yaml:{line_of(bad, wrong_key + ':')}: {message}" in problems_of(bad)


def test_an_unknown_key_like_no_known_one_lists_the_known_keys():
    bad = edit("  name: Example Corp", "  colour: blue\n  name: Example Corp")
    assert problems_of(bad) == [
        f"deskbot.yaml:{line_of(bad, 'colour')}: unknown key 'colour' in desk "
        "(known keys: name, default_role, auto_close_after)"
    ]


def test_every_unknown_key_is_reported_at_once():
    bad = edit("  name: Example Corp", "  nmae: Example Corp").replace(
        "    categories: [connectivity, performance]",
        "    categroies: [connectivity, performance]",
    )
    found = problems_of(bad)
    assert len(found) == 2
    assert "unknown key 'categroies' for service 'wifi' — did you mean 'categories'?" in found[1]


def test_a_team_lead_who_is_not_an_agent():
    bad = edit("    lead: carol", "    lead: alice")
    assert problems_of(bad) == [
        f"deskbot.yaml:{line_of(bad, 'lead: alice')}: teams.network.lead: 'alice' is not an "
        "agent (roles: employee); give alice the agent role or choose another lead"
    ]


def test_a_team_member_who_is_not_an_agent():
    bad = edit("    members: [carol, erin]", "    members: [carol,\n      alice]")
    assert problems_of(bad) == [
        f"deskbot.yaml:{line_of(bad, '      alice]')}: teams.network.members: 'alice' is not an "
        "agent (roles: employee); give alice the agent role or take alice off the team"
    ]


def test_an_admin_may_lead_a_team():
    config = load_config_text(edit("    lead: frank", "    lead: grace"))
    assert config.policy.teams["messaging"].lead == "grace"


@pytest.mark.parametrize("empty", ["roles: []", "roles:", "roles: null"])
def test_a_person_with_no_roles(empty):
    bad = edit(
        "    email: alice@example.com\n    roles: [employee]",
        f"    email: alice@example.com\n    {empty}",
    )
    assert problems_of(bad) == [
        f"deskbot.yaml:{line_of(bad, empty)}: people.alice.roles is empty: give alice at least "
        "one role (employee, agent or admin), or leave roles out for employee"
    ]


def test_a_person_without_a_roles_key_is_an_employee():
    config = load_config_text(edit("    roles: [employee]\n", ""))
    assert config.policy.people["alice"].roles == ("employee",)


@pytest.mark.parametrize("value", ["yes", "no", "true", "off"])
def test_auto_close_after_yes_or_no(value):
    bad = edit("  auto_close_after: 3d ", f"  auto_close_after: {value} ")
    assert problems_of(bad) == [
        f"deskbot.yaml:{line_of(bad, 'auto_close_after')}: auto_close_after: expected a "
        "duration such as 3d or 12h, got a yes/no value"
    ]


def test_an_sla_target_of_yes_or_no():
    bad = edit("{respond: 15m, resolve: 4h,", "{respond: yes, resolve: 4h,")
    assert problems_of(bad) == [
        f"deskbot.yaml:{line_of(bad, 'respond: yes')}: respond: expected a duration such as "
        "3d or 12h, got a yes/no value"
    ]


def test_config_check_with_no_file_checks_the_example_that_run_would_use(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DESKBOT_CONFIG", raising=False)
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "No deskbot.yaml here and DESKBOT_CONFIG is not set, so deskbot runs the example "
        "company (examples/deskbot.yaml); checking it.",
        f"{example_config_path()}: OK — 7 people, 3 teams, 4 services, 7 channels, "
        "SLA for 5 priorities, 5 catalogue items, 2 access resources",
    ]


def test_config_check_with_no_file_checks_deskbot_yaml_when_there_is_one(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DESKBOT_CONFIG", raising=False)
    (tmp_path / "deskbot.yaml").write_text(edit("  name: Example Corp", "  nmae: Example Corp"))
    assert main(["config", "check"]) == 1
    err = capsys.readouterr().err
    assert "deskbot.yaml:6: unknown key 'nmae' in desk — did you mean 'name'?" in err


def test_examples_deskbot_yaml_is_the_packaged_example():
    """One source of truth: examples/deskbot.yaml (linked from the README) is a symlink to
    the file the package ships and loads at run time, so the two cannot drift apart."""
    linked = ROOT / "examples" / "deskbot.yaml"
    packaged = ROOT / "bot" / "example" / "deskbot.yaml"
    assert linked.is_symlink(), "examples/deskbot.yaml must be a symlink to the packaged file"
    assert linked.resolve() == packaged.resolve()
    assert linked.read_bytes() == example_config_path().read_bytes()


def test_a_team_member_with_a_mistyped_role_gets_one_message_not_two():
    bad = edit(
        "    email: bob@example.com\n    roles: [agent]",
        "    email: bob@example.com\n    roles: [agnet]",
    )
    assert problems_of(bad) == [
        f"deskbot.yaml:{line_of(bad, '[agnet]')}: unknown role 'agnet' for bob "
        "(one of employee, agent, admin)"
    ]


def test_problems_are_listed_in_the_order_of_the_file():
    bad = (
        edit("  name: Example Corp", "  nmae: Example Corp")
        .replace("auto_close_after: 3d", "auto_close_after: yes")
        .replace("    lead: carol", "    lead: alice")
    )
    found = problems_of(bad)
    lines = [int(p.split(":")[1]) for p in found]
    assert lines == sorted(lines) and len(lines) == 3
    # The README shows these very lines.
    readme = (ROOT / "README.md").read_text()
    assert "\n".join(found) in readme
