"""Autocomplete while typing an option: incidents, services, categories, people, teams, topics."""

from __future__ import annotations

from tests.discord.harness import DiscordDeskHarness


async def open_incidents(desk: DiscordDeskHarness) -> None:
    """INC-1 alice's (vpn), INC-2 dave's (laptop), INC-3 alice's, on hold."""
    for who, title, service in (
        ("alice", "VPN drops every 10 min", "vpn"),
        ("dave", "Laptop fan noise", "laptop"),
        ("alice", "Mail stuck", "email"),
    ):
        await desk.answer(await desk.command(who, "incident", "new", title=title, service=service))
    await desk.answer(await desk.command("frank", "incident", "claim", id="INC-3"))
    await desk.answer(await desk.command("frank", "incident", "hold", id="INC-3", reason="vendor"))


def values(choices: list[dict]) -> list[str]:
    return [c["value"] for c in choices]


async def test_incident_numbers_are_those_the_person_may_see(desk):
    await open_incidents(desk)
    # An employee sees only their own incidents; an agent sees every one.
    assert values(await desk.autocomplete("alice", "incident", "show", "id", "")) == [
        "INC-3",
        "INC-1",
    ]
    assert values(await desk.autocomplete("bob", "incident", "show", "id", "")) == [
        "INC-3",
        "INC-2",
        "INC-1",
    ]
    [choice] = await desk.autocomplete("bob", "incident", "note", "id", "2")
    assert choice == {"name": "INC-2 [P3] Laptop fan noise — New", "value": "INC-2"}
    assert values(await desk.autocomplete("bob", "incident", "show", "id", "vpn")) == ["INC-1"]


async def test_incident_numbers_fit_what_the_subcommand_does(desk):
    await open_incidents(desk)
    assert values(await desk.autocomplete("bob", "incident", "resume", "id", "")) == ["INC-3"]
    assert values(await desk.autocomplete("bob", "incident", "claim", "id", "")) == [
        "INC-2",
        "INC-1",
    ]
    assert values(await desk.autocomplete("bob", "incident", "close", "id", "")) == []


async def test_services_and_the_chosen_service_s_categories(desk):
    services = await desk.autocomplete("alice", "incident", "new", "service", "")
    assert values(services) == ["vpn", "wifi", "email", "laptop"]
    assert services[0]["name"] == "Corporate VPN (vpn)"
    assert values(await desk.autocomplete("alice", "incident", "new", "service", "wi-f")) == [
        "wifi"
    ]
    categories = await desk.autocomplete("alice", "incident", "new", "category", "", service="vpn")
    assert values(categories) == ["connectivity", "performance"]


async def test_people_and_teams_to_assign_to(desk):
    # nina is not in the configuration: her mapped "Agents" role makes her an agent only while
    # she uses deskbot in the server, and is never stored, so she is not offered as an assignee.
    await desk.answer(await desk.command("nina", "desk", "whoami"))
    found = await desk.autocomplete("bob", "incident", "assign", "to", "")
    assert values(found)[:3] == ["service-desk", "network", "messaging"]
    assert {"bob", "carol", "dave", "erin", "frank", "grace"} <= set(values(found))
    assert "alice" not in values(found)  # an employee is nobody to assign to
    assert "nina" not in values(found)
    assert values(await desk.autocomplete("bob", "incident", "assign", "to", "net")) == ["network"]
    assert values(await desk.autocomplete("bob", "incident", "assign", "to", "Carol")) == ["carol"]
    assert values(await desk.autocomplete("bob", "incident", "list", "team", "mess")) == [
        "messaging"
    ]


async def test_help_topics(desk):
    found = values(await desk.autocomplete("alice", "desk", "help", "topic", "cla"))
    assert found == ["incident claim", "major declare", "request claim", "problem claim"]
    found = values(await desk.autocomplete("alice", "desk", "help", "topic", "known"))
    assert found == ["problem known-error"]


async def test_problem_numbers_where_an_option_names_a_problem(desk):
    for title, service in (("VPN drops after sleep", "vpn"), ("Wi-Fi roaming fails", "wifi")):
        await desk.answer(await desk.command("bob", "problem", "new", title=title, service=service))
    await desk.answer(await desk.command("bob", "problem", "cancel", id="PRB-2"))
    assert values(await desk.autocomplete("bob", "problem", "show", "id", "")) == ["PRB-2", "PRB-1"]
    # Only what the subcommand can act on: a cancelled problem is claimed by nobody.
    assert values(await desk.autocomplete("bob", "problem", "claim", "id", "")) == ["PRB-1"]
    [choice] = await desk.autocomplete("bob", "problem", "note", "id", "1")
    assert choice == {"name": "PRB-1 [P3] VPN drops after sleep — New", "value": "PRB-1"}
    # /incident link INC-… PRB-…: open problems, by number or words of the title.
    assert values(await desk.autocomplete("bob", "incident", "link", "problem", "sleep")) == [
        "PRB-1"
    ]
    assert await desk.autocomplete("alice", "problem", "show", "id", "") == []
