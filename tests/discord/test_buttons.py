"""Messages that act: the card's buttons, forms for notes, the card edited in place with every
change written in a thread on it, and buttons that still work after a restart."""

from __future__ import annotations

from tests.discord.harness import DiscordDeskHarness
from tests.fakes import discord_interactions as ix


def buttons(message: dict) -> list[str]:
    return [b["custom_id"] for row in message["components"] for b in row["components"]]


def fields(card: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in card["embeds"][0]["fields"]}


async def report(desk: DiscordDeskHarness, title: str = "VPN drops", **options) -> dict:
    """alice reports an incident; returns its card once posted."""
    record = await desk.command("alice", "incident", "new", title=title, service="vpn", **options)
    await desk.answer(record)
    await desk.delivered()
    return await desk.card(1)


async def test_claim_edits_the_card_in_place_and_writes_the_change_in_its_thread(desk):
    card = await report(desk)
    press = await desk.press("carol", "deskbot:claim:INC-1", card["id"])
    assert await desk.answer(press) == 'You are now working on INC-1 "VPN drops".'
    assert desk.is_private(press)
    await desk.delivered()

    card = await desk.card(1)
    assert fields(card)["State"] == "In progress"
    assert fields(card)["Assignee"] == f"<@{desk.user_id('carol')}>"
    assert buttons(card) == [
        "deskbot:claim:INC-1",
        "deskbot:resolve:INC-1",
        "deskbot:hold:INC-1",
        "deskbot:link:INC-1",
        "deskbot:major:INC-1",
    ]
    assert card["edited_timestamp"] is not None
    assert len(desk.channel_messages("service-desk")) == 1  # edited, not posted again
    [line] = [m["content"] for m in desk.thread_of(card)]
    assert line == f"INC-1 claimed by @carol — now In progress, assignee <@{desk.user_id('carol')}>"
    assert desk.fake.channels[card["id"]]["name"] == "INC-1 VPN drops"
    # ... and alice hears about it in her DM.
    assert any(
        "is working on your incident INC-1" in m["content"] for m in desk.dm_messages("alice")
    )


async def test_resolve_asks_for_the_fix_in_a_form(desk):
    card = await report(desk)
    opened = await desk.press("carol", "deskbot:resolve:INC-1", card["id"])
    await desk.fake.wait_for_response(opened)
    assert opened.callback_data["title"] == "Resolve INC-1"
    submitted = await desk.submit("carol", opened, {"note": "restarted the concentrator"})
    assert (await desk.answer(submitted)).startswith("INC-1 is resolved")
    await desk.delivered()

    card = await desk.card(1)
    assert fields(card)["State"] == "Resolved"
    assert fields(card)["Resolution"] == "restarted the concentrator"
    # Nothing left to work on a resolved incident; it can still be linked to its problem.
    assert buttons(card) == ["deskbot:link:INC-1"]
    assert [m["content"] for m in desk.thread_of(card)][-1].startswith(
        "INC-1 resolved by @carol: restarted the concentrator — now Resolved"
    )


async def test_hold_asks_why_and_resume_takes_it_off_hold(desk):
    card = await report(desk)
    await desk.answer(await desk.press("carol", "deskbot:claim:INC-1", card["id"]))
    await desk.delivered()  # Hold is on the card once it shows the claim
    opened = await desk.press("carol", "deskbot:hold:INC-1", card["id"])
    submitted = await desk.submit("carol", opened, {"note": "waiting for alice to test"})
    assert "is on hold" in await desk.answer(submitted)
    await desk.delivered()
    card = await desk.card(1)
    assert fields(card)["State"] == "On hold — waiting for alice to test"
    assert buttons(card) == [
        "deskbot:resume:INC-1",
        "deskbot:resolve:INC-1",
        "deskbot:link:INC-1",
        "deskbot:major:INC-1",
    ]

    resumed = await desk.press("carol", "deskbot:resume:INC-1", card["id"])
    assert "back in progress" in await desk.answer(resumed)
    await desk.delivered()
    thread = [m["content"] for m in desk.thread_of(await desk.card(1))]
    assert [line.split(" — ")[0] for line in thread] == [
        "INC-1 claimed by @carol",
        "INC-1 on hold by @carol: waiting for alice to test",
        "INC-1 resumed by @carol",
    ]


async def test_a_refused_press_is_told_only_to_the_presser_and_changes_nothing(desk):
    card = await report(desk)
    press = await desk.press("alice", "deskbot:claim:INC-1", card["id"])
    assert await desk.answer(press) == "Only service-desk agents can claim incidents."
    assert desk.is_private(press)
    await desk.delivered()
    assert desk.incident(1).state == "new"
    assert fields(await desk.card(1))["State"] == "New"
    assert desk.thread_of(card) == []


async def test_buttons_keep_working_after_a_restart(database_url, fake, errors):
    first = await DiscordDeskHarness.start(database_url, fake)
    card = await report(first)
    await first.close()  # the process ends; the card stays in the channel

    second = await DiscordDeskHarness.start(database_url, fake)
    try:
        assert fake.gateway.identify_count == 2  # a new process, a new session
        press = await second.press("carol", "deskbot:claim:INC-1", card["id"])
        assert await second.answer(press) == 'You are now working on INC-1 "VPN drops".'
        await second.delivered()
        assert fields(await second.card(1))["State"] == "In progress"
    finally:
        await second.close()


async def test_the_reporter_confirms_or_reopens_from_the_resolution_dm(desk):
    card = await report(desk)
    await desk.answer(
        await desk.command("carol", "incident", "resolve", id="INC-1", resolution="new PSU")
    )
    await desk.delivered()
    [dm] = [m for m in desk.dm_messages("alice") if "is resolved" in m["content"]]
    assert buttons(dm) == ["deskbot:close:INC-1", "deskbot:reopen:INC-1"]
    assert [b["label"] for b in dm["components"][0]["components"]] == [
        "Yes, it's fixed",
        "No, reopen it",
    ]
    opened = await desk.press("alice", "deskbot:reopen:INC-1", dm["id"])
    submitted = await desk.submit("alice", opened, {"note": "still drops at home"})
    assert await desk.answer(submitted) == "INC-1 is reopened."

    await desk.answer(
        await desk.command("carol", "incident", "resolve", id="INC-1", resolution="new cable")
    )
    await desk.delivered()
    dm = [m for m in desk.dm_messages("alice") if "is resolved" in m["content"]][-1]
    closed = await desk.press("alice", "deskbot:close:INC-1", dm["id"])
    assert await desk.answer(closed) == "INC-1 is closed. Thank you!"
    await desk.delivered()
    assert fields(await desk.card(1))["State"] == "Closed"
    assert card["id"] == (await desk.card(1))["id"]


async def test_an_escalation_reaches_the_team_channel_with_a_claim_button(desk):
    await report(desk)
    await desk.answer(await desk.command("bob", "incident", "assign", id="INC-1", to="messaging"))
    await desk.delivered()
    [post] = desk.channel_messages("messaging-team")
    assert post["content"].startswith('INC-1 [P3] "VPN drops" was escalated to messaging')
    assert buttons(post) == ["deskbot:claim:INC-1"]
    press = await desk.press("frank", "deskbot:claim:INC-1", post["id"])
    assert await desk.answer(press) == 'You are now working on INC-1 "VPN drops".'
    assert press.callback_type == ix.CALLBACK_DEFERRED_CHANNEL_MESSAGE


async def test_people_s_markdown_is_shown_as_typed(desk):
    card = await report(desk, title="VPN *drops* at_home", description="**not** bold")
    embed = card["embeds"][0]
    assert embed["title"] == "INC-1 · P3 · VPN \\*drops\\* at\\_home"
    assert embed["description"] == "\\*\\*not\\*\\* bold"


async def test_an_employee_is_refused_before_a_form_opens(desk):
    card = await report(desk)
    press = await desk.press("alice", "deskbot:resolve:INC-1", card["id"])
    assert await desk.answer(press) == "Only service-desk agents can resolve incidents."
    assert press.callback_type == ix.CALLBACK_CHANNEL_MESSAGE  # no form to fill in vain
    assert press.callback_data["flags"] == ix.FLAG_EPHEMERAL
