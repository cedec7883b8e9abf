"""Problem management on Discord: problem and suggestion cards with their buttons, the
workaround offered to a reporter, and Link to problem's menu — all through the real
discord.py client against the fake Discord."""

from __future__ import annotations

from adapters.discord import desk as discord_desk
from tests.discord.harness import DiscordDeskHarness
from tests.fakes import discord_interactions as ix

MENU = "deskbot:choose:link:INC-1"


def buttons(message: dict) -> list[str]:
    return [b["custom_id"] for row in message["components"] for b in row["components"]]


def labels(message: dict) -> list[str]:
    return [b["label"] for row in message["components"] for b in row["components"]]


def fields(card: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in card["embeds"][0]["fields"]}


async def run(desk: DiscordDeskHarness, who: str, command: str, sub: str, **options) -> str:
    """Use a command and return its answer."""
    return await desk.answer(await desk.command(who, command, sub, **options))


async def open_problem(desk: DiscordDeskHarness, title: str = "VPN drops after sleep", **more):
    """bob opens a problem (of vpn unless told otherwise)."""
    options = {"title": title, "service": "vpn"} | more
    assert (await run(desk, "bob", "problem", "new", **options)).startswith("Opened PRB-")


async def report(desk: DiscordDeskHarness, title: str = "VPN drops", service: str = "vpn"):
    """alice reports an incident and everything it causes is delivered; returns the answer."""
    answer = await run(desk, "alice", "incident", "new", title=title, service=service)
    await desk.delivered()
    return answer


async def test_a_problem_card_is_posted_with_its_buttons_and_claim_edits_it(desk):
    await open_problem(desk, description="Laptops lose the tunnel after waking up")
    await desk.delivered()
    card = await desk.card(1, "problem")
    assert card["channel_id"] == desk.fake.channel_ids["network-team"]  # the owning team's
    [embed] = card["embeds"]
    assert embed["title"] == "PRB-1 · P3 · VPN drops after sleep"
    assert embed["description"] == "Laptops lose the tunnel after waking up"
    assert fields(card)["State"] == "New"
    assert (fields(card)["Team"], fields(card)["Assignee"]) == ("network", "nobody")
    assert buttons(card) == ["deskbot:claim:PRB-1", "deskbot:rca:PRB-1", "deskbot:resolve:PRB-1"]
    assert labels(card) == ["Claim", "Root cause", "Resolve"]

    press = await desk.press("carol", "deskbot:claim:PRB-1", card["id"])
    assert await desk.answer(press) == 'You are now investigating PRB-1 "VPN drops after sleep".'
    assert desk.is_private(press)
    await desk.delivered()
    problem = desk.problem(1)
    assert (problem.state, problem.assignee) == ("investigating", "carol")

    card = await desk.card(1, "problem")
    assert card["edited_timestamp"] is not None
    assert fields(card)["State"] == "Under investigation"
    assert fields(card)["Assignee"] == f"<@{desk.user_id('carol')}>"
    assert len(desk.channel_messages("network-team")) == 1  # edited, not posted again
    [line] = [m["content"] for m in desk.thread_of(card)]
    assert line.startswith("PRB-1 claimed by @carol")
    assert desk.fake.channels[card["id"]]["name"] == "PRB-1 VPN drops after sleep"


async def test_root_cause_asks_for_it_in_a_form_on_the_problem_card(desk):
    await open_problem(desk)
    await desk.delivered()
    card = await desk.card(1, "problem")
    refused = await desk.press("alice", "deskbot:rca:PRB-1", card["id"])
    assert await desk.answer(refused) == "Only service-desk agents can record a root cause."
    assert refused.callback_type == ix.CALLBACK_CHANNEL_MESSAGE  # no form to fill in vain

    opened = await desk.press("carol", "deskbot:rca:PRB-1", card["id"])
    await desk.fake.wait_for_response(opened)
    assert opened.callback_data["title"] == "Root cause of PRB-1"
    submitted = await desk.submit("carol", opened, {"note": "keepalive not restarted on resume"})
    assert await desk.answer(submitted) == "Root cause of PRB-1 recorded."
    await desk.delivered()
    assert desk.problem(1).root_cause == "keepalive not restarted on resume"
    assert (
        fields(await desk.card(1, "problem"))["Root cause"] == "keepalive not restarted on resume"
    )


async def publish_known_error(desk: DiscordDeskHarness) -> None:
    await open_problem(desk)
    answer = await run(
        desk,
        "bob",
        "problem",
        "known-error",
        id="PRB-1",
        workaround="Click Reconnect in the VPN tray icon",
        symptoms="VPN drops after laptop sleep; tunnel gone on wake",
    )
    assert answer.startswith("KE-1 published for PRB-1")
    await desk.delivered()


async def workaround_dm(desk: DiscordDeskHarness) -> dict:
    """alice reports what KE-1 explains; returns the DM that offers her its workaround."""
    answer = await report(desk, "My VPN drops every time the laptop goes to sleep")
    assert 'This looks like KE-1 "VPN drops after sleep"' in answer
    [dm] = [m for m in desk.dm_messages("alice") if "Did the workaround of KE-1" in m["content"]]
    assert "Click Reconnect in the VPN tray icon" in dm["content"]
    assert buttons(dm) == ["deskbot:fixed:INC-1", "deskbot:broken:INC-1"]
    assert labels(dm) == ["Yes, fixed", "No, still broken"]
    return dm


async def test_a_known_error_s_workaround_is_offered_and_yes_closes_the_incident(desk):
    await publish_known_error(desk)
    dm = await workaround_dm(desk)
    card = await desk.card(1)
    assert fields(card)["Problem"] == "PRB-1"
    assert fields(card)["Workaround"] == "Workaround of KE-1 offered — no answer yet"
    assert desk.incident(1).state == "new"

    fixed = await desk.press("alice", "deskbot:fixed:INC-1", dm["id"])
    assert await desk.answer(fixed) == "Glad it works! INC-1 is closed."
    assert desk.is_private(fixed)
    await desk.delivered()
    assert desk.incident(1).state == "closed"
    card = await desk.card(1)
    assert fields(card)["State"] == "Closed"
    assert fields(card)["Workaround"] == (
        "Workaround of KE-1 offered — the reporter says it fixed it"
    )


async def test_only_the_reporter_answers_and_no_keeps_the_incident_open(desk):
    await publish_known_error(desk)
    dm = await workaround_dm(desk)
    refused = await desk.press("bob", "deskbot:fixed:INC-1", dm["id"])
    assert await desk.answer(refused) == (
        "Only the reporter of INC-1 can say the workaround fixed it."
    )
    broken = await desk.press("alice", "deskbot:broken:INC-1", dm["id"])
    assert (await desk.answer(broken)).startswith("Sorry it did not help. INC-1 stays")
    await desk.delivered()
    assert desk.incident(1).state == "new"
    assert fields(await desk.card(1))["Workaround"] == (
        "Workaround of KE-1 offered — the reporter says it did not fix it"
    )


async def test_link_to_problem_offers_a_menu_and_the_choice_links_the_incident(desk):
    await open_problem(desk, "VPN gateway overloaded")
    await open_problem(desk, "Wi-Fi roaming fails", service="wifi")  # not the incident's service
    await report(desk)
    card = await desk.card(1)
    assert "deskbot:link:INC-1" in buttons(card)

    press = await desk.press("carol", "deskbot:link:INC-1", card["id"])
    await desk.fake.wait_for_response(press)
    assert press.callback_type == ix.CALLBACK_CHANNEL_MESSAGE  # the menu, at once
    assert press.callback_data["flags"] == ix.FLAG_EPHEMERAL  # only carol sees it
    menu = desk.fake.messages[press.original_message_id]
    assert menu["content"] == "Link to problem: which problem for INC-1?"
    [select] = menu["components"][0]["components"]
    assert select["custom_id"] == MENU
    assert select["type"] == ix.COMPONENT_STRING_SELECT
    assert [(o["value"], o["label"]) for o in select["options"]] == [
        ("PRB-1", "PRB-1 [P3] VPN gateway overloaded")
    ]
    assert desk.linked(1) == []

    chosen = await desk.choose("carol", MENU, menu["id"], "PRB-1")
    assert await desk.answer(chosen) == "INC-1 is linked to PRB-1."
    assert desk.is_private(chosen)
    await desk.delivered()
    assert desk.linked(1) == [1]  # stored: PRB-1 explains INC-1
    assert fields(await desk.card(1))["Problem"] == "PRB-1"


async def test_link_to_problem_says_why_there_is_nothing_to_choose(desk):
    await report(desk)
    card = await desk.card(1)
    refused = await desk.press("alice", "deskbot:link:INC-1", card["id"])
    assert await desk.answer(refused) == "Only service-desk agents can link incidents."
    press = await desk.press("carol", "deskbot:link:INC-1", card["id"])
    answer = await desk.answer(press)
    assert answer.startswith("No open problem of service vpn to link INC-1 to;")
    assert desk.fake.messages[press.original_message_id]["components"] == []  # no menu


async def test_a_slow_menu_is_deferred_first_and_shown_when_ready(desk, monkeypatch):
    monkeypatch.setattr(discord_desk, "CHECK_BUDGET", 0)  # the desk never answers in time
    await open_problem(desk)
    await report(desk)
    press = await desk.press("carol", "deskbot:link:INC-1", (await desk.card(1))["id"])
    assert await desk.answer(press) == "Link to problem: which problem for INC-1?"
    assert press.callback_type == ix.CALLBACK_DEFERRED_CHANNEL_MESSAGE
    menu = desk.fake.messages[press.original_message_id]
    assert desk.is_private(press) and MENU in buttons(menu)
    chosen = await desk.choose("carol", MENU, menu["id"], "PRB-1")
    assert await desk.answer(chosen) == "INC-1 is linked to PRB-1."
    assert desk.linked(1) == [1]


async def test_the_menu_still_works_after_a_restart(database_url, fake, errors):
    first = await DiscordDeskHarness.start(database_url, fake)
    await open_problem(first)
    await report(first)
    press = await first.press("carol", "deskbot:link:INC-1", (await first.card(1))["id"])
    await first.answer(press)
    await first.close()  # the process ends; carol's menu is still on her screen

    second = await DiscordDeskHarness.start(database_url, fake)
    try:
        chosen = await second.choose("carol", MENU, press.original_message_id, "PRB-1")
        assert await second.answer(chosen) == "INC-1 is linked to PRB-1."
        assert second.linked(1) == [1]
    finally:
        await second.close()


async def test_a_resolved_problem_offers_to_resolve_its_incidents(desk):
    await open_problem(desk)
    await report(desk)
    assert await run(desk, "bob", "problem", "link", id="PRB-1", incidents="INC-1") == (
        "Linked INC-1 to PRB-1."
    )
    await run(desk, "bob", "problem", "resolve", id="PRB-1", resolution="client 5.2 rolled out")
    await desk.delivered()
    [dm] = [m for m in desk.dm_messages("bob") if "PRB-1 is resolved" in m["content"]]
    assert buttons(dm) == ["deskbot:resolve-incidents:PRB-1"]  # an action with a hyphen
    assert labels(dm) == ["Resolve linked incidents"]
    press = await desk.press("bob", "deskbot:resolve-incidents:PRB-1", dm["id"])
    assert (await desk.answer(press)).startswith("Resolved INC-1 with the fix of PRB-1;")
    assert desk.incident(1).state == "resolved"


async def test_a_suggested_problem_s_open_problem_button_opens_it(desk):
    for text in ("Wi-Fi drops on floor 2", "No Wi-Fi in room 4.12", "Guest Wi-Fi asks"):
        await report(desk, text, "wifi")
    card = await desk.card(1, "suggestion")
    assert card["channel_id"] == desk.fake.channel_ids["network-team"]
    assert card["content"] == "3 incidents on wifi within 1d: is this a problem?"
    assert card["embeds"][0]["title"] == "SUG-1 · Recurring incidents on wifi"
    assert fields(card)["Incidents"] == "3: INC-1, INC-2, INC-3"
    assert buttons(card) == ["deskbot:adopt:SUG-1", "deskbot:dismiss:SUG-1"]
    assert labels(card) == ["Open problem", "Not a problem"]
    assert desk.problem(1) is None

    press = await desk.press("carol", "deskbot:adopt:SUG-1", card["id"])
    assert await desk.answer(press) == "Opened PRB-1 from SUG-1 with INC-1, INC-2, INC-3 linked."
    await desk.delivered()
    assert desk.suggestion(1).state == "adopted"
    assert desk.problem(1).title.startswith("Recurring wifi incidents")
    assert desk.linked(1) == [1, 2, 3]
    card = await desk.card(1, "suggestion")
    assert (fields(card)["State"], fields(card)["Problem"]) == ("Problem opened", "PRB-1")
    assert card["components"] == []  # decided: nothing left to press
    problem_card = await desk.card(1, "problem")
    assert buttons(problem_card)[0] == "deskbot:claim:PRB-1"
