"""Conversations: a DM in the person's own words is offered, by buttons, to become an incident,
and the incident's updates come back in the same DM."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from bot.intake import title_and_details
from domain.incidents import IncidentRecord
from tests.discord.harness import DiscordDeskHarness
from tests.fakes.discord_world import InteractionRecord


def buttons(message: dict) -> list[str]:
    return [b["custom_id"] for row in message["components"] for b in row["components"]]


async def offer(desk: DiscordDeskHarness, who: str, text: str) -> tuple[dict, dict]:
    """`who` writes to the bot; returns (their message, the bot's offer)."""
    mine = await desk.dm(who, text)
    found = await desk.until(
        lambda: [m for m in desk.dm_messages(who) if m["author"]["id"] == desk.fake.app_id],
        what="the offer",
    )
    return mine, found[-1]


async def replies(desk: DiscordDeskHarness, record: InteractionRecord, count: int = 1) -> list[str]:
    """The follow-up messages the bot wrote in answer to an interaction on the offer."""
    return await desk.until(
        lambda: (
            len(record.followup_ids) >= count
            and [desk.fake.messages[i]["content"] for i in record.followup_ids]
        ),
        what=f"{count} follow-up(s)",
    )


def incidents(desk: DiscordDeskHarness) -> list[tuple[str, str]]:
    with desk.runtime.database.transaction() as session:
        return [(i.title, i.reporter) for i in session.scalars(select(IncidentRecord))]


@contextmanager
def failing_incident_inserts(database, count: int = 1) -> Iterator[list[str]]:
    """The database refuses the next `count` new incidents (a full disk, a lost connection)."""
    refused: list[str] = []

    def refuse(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO INCIDENTS") and len(refused) < count:
            refused.append(statement)
            raise OperationalError(statement, parameters, Exception("disk I/O error"))

    event.listen(database.engine, "before_cursor_execute", refuse)
    try:
        yield refused
    finally:
        event.remove(database.engine, "before_cursor_execute", refuse)


async def test_a_dm_is_offered_as_an_incident_and_updates_come_back_there(desk):
    text = "My VPN keeps dropping every ten minutes\nIt started after the update this morning."
    mine, the_offer = await offer(desk, "alice", text)
    assert (
        the_offer["content"] == "Shall I open an incident for this? You'll get updates right here."
    )
    assert the_offer["embeds"][0]["description"] == text
    assert buttons(the_offer) == [
        f"deskbot:intake:open:{mine['id']}",
        f"deskbot:intake:form:{mine['id']}",
        f"deskbot:intake:dismiss:{mine['id']}",
    ]

    press = await desk.press("alice", f"deskbot:intake:open:{mine['id']}", the_offer["id"])
    await desk.fake.wait_for_response(press)
    assert desk.fake.messages[the_offer["id"]]["components"] == []  # answered: no more buttons
    reply = await desk.until(
        lambda: [desk.fake.messages[i]["content"] for i in press.followup_ids], what="the reply"
    )
    assert reply == [
        'Opened INC-1 [P3] "My VPN keeps dropping every ten minutes", queued for service-desk. '
        "I'll keep you posted here."
    ]
    incident = desk.incident(1)
    assert incident.reporter == "alice" and incident.description == text

    await desk.answer(await desk.command("bob", "incident", "claim", id="INC-1"))
    await desk.delivered()
    last = desk.dm_messages("alice")[-1]["content"]
    assert (
        last
        == f'<@{desk.user_id("bob")}> is working on your incident INC-1 "My VPN keeps dropping every ten minutes".'
    )


async def test_pressing_open_twice_opens_one_incident(desk):
    mine, the_offer = await offer(desk, "alice", "printer on fire")
    custom_id = f"deskbot:intake:open:{mine['id']}"
    shown = the_offer["components"]
    first = await desk.press("alice", custom_id, the_offer["id"])
    await desk.until(lambda: first.followup_ids, what="first reply")
    # Another device still shows the buttons (its copy of the offer was not refreshed yet).
    desk.fake.messages[the_offer["id"]]["components"] = shown
    second = await desk.press("alice", custom_id, the_offer["id"])
    await desk.until(lambda: second.followup_ids, what="second reply")
    text = desk.fake.messages[second.followup_ids[0]]["content"]
    assert text == "I already opened an incident for that message."
    assert desk.incident(1) is not None and desk.incident(2) is None


async def test_add_details_first_opens_the_form_filled_in(desk):
    mine, the_offer = await offer(desk, "zed", "Laptop will not boot")
    opened = await desk.press("zed", f"deskbot:intake:form:{mine['id']}", the_offer["id"])
    await desk.fake.wait_for_response(opened)
    inputs = {
        c["custom_id"]: c.get("value")
        for row in opened.callback_data["components"]
        for c in row["components"]
    }
    assert inputs["title"] == "Laptop will not boot"
    submitted = await desk.submit(
        "zed", opened, {"title": "Laptop will not boot", "service": "laptop", "urgency": "high"}
    )
    [reply] = await replies(desk, submitted)
    assert reply.startswith('Opened INC-1 [P2] "Laptop will not boot", queued for service-desk.')
    assert desk.incident(1).reporter == "zed"  # a stranger becomes an employee on first contact
    assert desk.fake.messages[the_offer["id"]]["components"] == []  # nothing left to press


async def test_the_form_then_open_opens_one_incident(desk):
    mine, the_offer = await offer(desk, "alice", "Laptop will not boot")
    shown = the_offer["components"]
    opened = await desk.press("alice", f"deskbot:intake:form:{mine['id']}", the_offer["id"])
    submitted = await desk.submit("alice", opened, {"title": "Laptop will not boot"})
    assert (await replies(desk, submitted))[0].startswith('Opened INC-1 [P3] "Laptop will not')
    assert desk.fake.messages[the_offer["id"]]["components"] == []
    # Another device still shows the buttons (its copy of the offer was not refreshed yet).
    desk.fake.messages[the_offer["id"]]["components"] = shown
    press = await desk.press("alice", f"deskbot:intake:open:{mine['id']}", the_offer["id"])
    assert await replies(desk, press) == ["I already opened an incident for that message."]
    assert incidents(desk) == [("Laptop will not boot", "alice")]


async def test_open_while_the_form_is_open_opens_one_incident(desk):
    mine, the_offer = await offer(desk, "alice", "Laptop will not boot")
    opened = await desk.press("alice", f"deskbot:intake:form:{mine['id']}", the_offer["id"])
    await desk.fake.wait_for_response(opened)
    # On another device, with the form still open here, alice presses "Open an incident".
    press = await desk.press("alice", f"deskbot:intake:open:{mine['id']}", the_offer["id"])
    assert (await replies(desk, press))[0].startswith('Opened INC-1 [P3] "Laptop will not')
    submitted = await desk.submit("alice", opened, {"title": "Laptop is broken"})
    assert await replies(desk, submitted) == ["I already opened an incident for that message."]
    assert incidents(desk) == [("Laptop will not boot", "alice")]


async def test_when_opening_fails_the_offer_comes_back_and_a_retry_opens_it(desk):
    mine, the_offer = await offer(desk, "alice", "printer on fire")
    custom_id = f"deskbot:intake:open:{mine['id']}"
    with failing_incident_inserts(desk.runtime.database) as refused:
        first = await desk.press("alice", custom_id, the_offer["id"])
        [reply] = await replies(desk, first)
    assert refused and reply.startswith("Something went wrong on my side")
    assert incidents(desk) == []
    # Nothing was opened: the buttons are back, and pressing again is not "already opened".
    back = desk.fake.messages[the_offer["id"]]
    assert buttons(back) == buttons(the_offer)
    assert back["content"] == the_offer["content"]
    second = await desk.press("alice", custom_id, the_offer["id"])
    [reply] = await replies(desk, second)
    assert reply.startswith('Opened INC-1 [P3] "printer on fire"')
    assert incidents(desk) == [("printer on fire", "alice")]


async def test_a_form_the_desk_refuses_leaves_the_offer_to_try_again(desk):
    mine, the_offer = await offer(desk, "alice", "Laptop will not boot")
    opened = await desk.press("alice", f"deskbot:intake:form:{mine['id']}", the_offer["id"])
    submitted = await desk.submit(
        "alice", opened, {"title": "Laptop will not boot", "service": "toaster"}
    )
    [reply] = await replies(desk, submitted)
    assert "toaster" in reply and incidents(desk) == []
    assert buttons(desk.fake.messages[the_offer["id"]]) == buttons(the_offer)
    press = await desk.press("alice", f"deskbot:intake:open:{mine['id']}", the_offer["id"])
    assert (await replies(desk, press))[0].startswith('Opened INC-1 [P3] "Laptop will not')


async def test_no_thanks_opens_nothing(desk):
    mine, the_offer = await offer(desk, "alice", "just saying hi")
    press = await desk.press("alice", f"deskbot:intake:dismiss:{mine['id']}", the_offer["id"])
    await desk.fake.wait_for_response(press)
    edited = desk.fake.messages[the_offer["id"]]
    assert edited["content"] == "OK, no incident. Message me any time."
    assert edited["components"] == []
    assert desk.incident(1) is None


async def test_a_command_typed_in_a_dm_runs_like_the_slash_command(desk):
    await desk.dm("alice", '/incident new "Badge reader broken" --service laptop')
    replies = await desk.until(
        lambda: [
            m["content"]
            for m in desk.dm_messages("alice")
            if m["author"]["id"] == desk.fake.app_id and "Opened" in m["content"]
        ],
        what="the reply",
    )
    assert replies == [
        'Opened INC-1 [P3] "Badge reader broken", queued for service-desk. '
        "I'll keep you posted here."
    ]


def test_a_title_is_the_first_line_cut_at_a_word():
    assert title_and_details("VPN down") == ("VPN down", "")
    assert title_and_details("VPN down\nsince 9") == ("VPN down", "VPN down\nsince 9")
    title, details = title_and_details("word " * 60)
    assert len(title) <= 200 and title.endswith("word…") and details
    assert title_and_details("--help me") == ("--help me", "")  # kept: build_argv passes it as text
