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
    assert found == ["incident claim"]
