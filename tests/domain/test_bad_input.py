"""Bad input gets one clear line back and changes nothing already stored."""

import pytest
from sqlalchemy import select

from bot.identity import PlatformIdentity
from domain.incidents import IncidentRecord, TimelineEntry
from domain.records import OutboxMessage


def snapshot(desk):
    with desk.runtime.database.transaction() as session:
        return (
            [
                (i.id, i.title, i.state, i.assignee, i.assignment_group, i.updated_at)
                for i in session.scalars(select(IncidentRecord).order_by(IncidentRecord.id))
            ],
            len(list(session.scalars(select(TimelineEntry)))),
            len(list(session.scalars(select(OutboxMessage)))),
        )


@pytest.fixture
def opened(desk):
    desk.say("alice", '/incident new "VPN drops every 10 min" --service vpn')
    desk.posts()
    return desk


@pytest.mark.parametrize(
    ("user", "command", "reply"),
    [
        ("alice", "/incident claim INC-1", "Only service-desk agents can claim incidents."),
        (
            "alice",
            '/incident resolve INC-1 "fixed it myself"',
            "Only service-desk agents can resolve incidents.",
        ),
        (
            "alice",
            '/incident hold INC-1 "brb"',
            "Only service-desk agents can put incidents on hold.",
        ),
        ("alice", "/incident assign INC-1 bob", "Only service-desk agents can assign incidents."),
        ("alice", "/incident list --team network", "Only agents can list a team's queue."),
        ("bob", "/incident claim INC-99", "There is no incident INC-99."),
        (
            "bob",
            "/incident claim banana",
            "'banana' is not an incident number; use the form INC-42.",
        ),
        ("bob", "/incident assign INC-1 nobody", "I don't know anyone called 'nobody'."),
        (
            "bob",
            "/incident assign INC-1 alice",
            "alice is not an agent, so incidents cannot be assigned to them.",
        ),
        ("bob", "/incident close INC-1", "INC-1 is new, so it cannot be closed."),
        ("bob", "/incident resume INC-1", "INC-1 is new, so it cannot be resumed."),
        ("bob", "/incident hold INC-1 waiting", "INC-1 is new, so it cannot be put on hold."),
        (
            "alice",
            '/incident new "x" --service vpm',
            "There is no service 'vpm'. Known services: email, laptop, vpn, wifi.",
        ),
        (
            "alice",
            '/incident new "x" --service vpn --category printers',
            "'printers' is not a category of vpn; choose one of: connectivity, authentication, performance.",
        ),
        (
            "alice",
            "/incident new    ",
            "Missing TITLE.\nUsage: /incident new TITLE… [--service NAME] [--category NAME] "
            "[--impact high|medium|low] [--urgency high|medium|low] [--description TEXT]",
        ),
        ("alice", '/incident new "unterminated', 'A quote (") is not closed: add the closing ".'),
        (
            "alice",
            "/incident list --state broken",
            "Unknown state 'broken'; use one of: new, assigned, in_progress, on_hold, resolved, closed, cancelled.",
        ),
    ],
)
def test_refusals_and_mistakes_change_nothing(opened, user, command, reply):
    before = snapshot(opened)
    assert opened.say(user, command) == reply
    assert snapshot(opened) == before
    assert opened.posts() == []


def test_a_ten_thousand_character_title_is_refused(opened):
    before = snapshot(opened)
    reply = opened.say("alice", f'/incident new "{"x" * 10_000}"')
    assert reply == (
        "A title can be at most 200 characters (this one has 10000); "
        "put the details in --description."
    )
    assert snapshot(opened) == before


def test_non_ascii_text_is_kept_exactly(opened):
    title = "Drucker im 3. Stock druckt nur 🀄 und ß — 打印机坏了"
    assert "Opened INC-2" in opened.say("alice", f'/incident new "{title}"')
    assert title in opened.say("alice", "/incident show INC-2")


def test_sql_looking_text_is_just_text(opened):
    title = "Robert'); DROP TABLE incidents;--"
    reply = opened.say("alice", f'/incident new "{title}"')
    assert reply.startswith("Opened INC-2")
    assert title in opened.say("alice", "/incident show INC-2")
    assert "INC-1" in opened.say("bob", "/incident show INC-1")


def test_unknown_console_user_is_refused(opened):
    assert opened.say("mallory", "/incident list") == "I don't know anyone called 'mallory'."


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("/incident show ²", "'²' is not an incident number; use the form INC-42."),
        ("/incident show INC-١٢", "'INC-١٢' is not an incident number; use the form INC-42."),
        ("/incident show INC-2147483648", "There is no incident INC-2147483648."),
        (
            '/incident new "x" --category whatever',
            "Give the service too: --service NAME --category NAME.",
        ),
    ],
)
def test_odd_numbers_and_orphan_categories_get_a_clear_line(opened, command, reply):
    before = snapshot(opened)
    assert opened.say("bob", command) == reply
    assert snapshot(opened) == before


def test_control_characters_are_dropped_from_stored_text(opened):
    reply = opened.runtime.dispatcher.execute_argv(
        PlatformIdentity("console", "alice"),
        ["incident", "note", "INC-1", "bell\x07 and nul\x00 gone"],
    )
    assert reply.ok
    assert "bell and nul gone" in opened.say("alice", "/incident show INC-1")
