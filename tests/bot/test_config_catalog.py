"""The catalogue and the directory in deskbot.yaml: every mistake with its file and line."""

from __future__ import annotations

from tests.bot.test_config import EXAMPLE, line_of, problems_of

BAD_CATALOG = """
catalog:
  visio:
    title: Visio
    fields:
      seats: {type: number, min: 5, max: 2}
      colour: {type: choice}
      when: {type: sometime}
      Bad-Name: text
      size: {type: text, default: 12345678901, max_length: 5}
    approval: {approvers: [grace, zed], required: 3}
    fulfilment: {directory: add_to_group, group: "{list}"}
    sla: forever
    roles: [boss]
  chairs:
    approval: {group: messaging, required: 2}
    fulfilment: {team: nobody}
  reset:
    title: Reset
    fields:
      x: text
    fulfilment: {directory: reset_password}
"""


def test_every_catalogue_mistake_is_named_with_its_line():
    bad = EXAMPLE.split("\ncatalog:\n")[0] + BAD_CATALOG
    found = problems_of(bad)

    def at(needle: str, message: str) -> str:
        return f"deskbot.yaml:{line_of(bad, needle)}: {message}"

    expected = [
        at("seats: {type: number", "field 'seats': min is greater than max"),
        at("colour: {type: choice}", "field 'colour' is a choice: give its choices"),
        at(
            "when: {type: sometime}",
            "unknown field type 'sometime' (one of text, long_text, choice, person, date, duration, number)",
        ),
        at("Bad-Name: text", "field name 'Bad-Name' must be lowercase letters, digits and _"),
        at(
            "size: {type: text",
            "default does not fit: must be text of at most 5 characters (got 11)",
        ),
        at("approvers: [grace, zed]", "unknown approver 'zed'"),
        at("approvers: [grace, zed]", "required is 3 but only 1 approvers are named"),
        at('group: "{list}"', "{list} names no field of this item"),
        at(
            "sla: forever",
            'bad duration "forever": use a number and s, m, h, d or w, e.g. 30m, 4h, 2d (at most a year)',
        ),
        at("roles: [boss]", "unknown role 'boss'"),
        at("  chairs:", "catalogue item 'chairs' needs a title"),
        at("{group: messaging, required: 2}", "team messaging has only 1 people to approve, not 2"),
        at("fulfilment: {team: nobody}", "catalog.chairs.fulfilment.team: unknown team 'nobody'"),
        at(
            "fulfilment: {directory: reset_password}",
            "reset_password asks for nothing and needs no approval",
        ),
    ]
    assert sorted(expected) == sorted(found)


def test_directory_and_managers_are_checked():
    bad = EXAMPLE.replace("    manager: carol ", "    manager: zed ").replace(
        "directory:\n  kind: builtin\n", "directory:\n  kind: ldap\n  url: http://x\n"
    )
    found = problems_of(bad)
    assert (
        f"deskbot.yaml:{line_of(bad, 'manager: zed')}: people.alice.manager: unknown person 'zed'"
        in found
    )
    assert (
        f"deskbot.yaml:{line_of(bad, 'url: http://x')}: url must start with ldap:// or ldaps://, not 'http://x'"
        in found
    )
    section = bad.splitlines().index("directory:") + 1
    assert f"deskbot.yaml:{section}: an ldap directory needs base_dn" in found
