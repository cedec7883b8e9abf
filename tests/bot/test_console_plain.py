"""The console understands people's own words, as a DM to the bot does on Slack and Discord."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands import COMMANDS
from bot.intake import understand


def test_a_problem_in_plain_words_is_offered_as_an_incident_and_opened_on_yes(desk):
    offer = desk.say("alice", "my laptop won't connect to wifi")
    assert (
        offer
        == 'Shall I open an incident "my laptop won\'t connect to wifi"? Type yes to open it, or no.'
    )
    assert desk.posts() == []  # nothing opened before the person says so
    opened = desk.say("alice", "yes")
    assert opened.startswith('Opened INC-1 [P3] "my laptop won\'t connect to wifi"')
    assert any("INC-1" in post and "reported by @alice" in post for post in desk.posts())
    assert desk.say("alice", "yes") == "Tell me what is wrong in your own words, or type help."


def test_no_declines_the_offer_and_opens_nothing(desk):
    desk.say("alice", "my monitor flickers")
    assert desk.say("alice", "no thanks") == "OK, no incident. Tell me any time."
    assert desk.say("alice", "/incident list") == "Your open incidents: none."


def test_a_command_in_between_withdraws_the_offer(desk):
    desk.say("alice", "the printer on floor 3 is jammed")
    desk.say("alice", "/desk whoami")
    assert desk.say("alice", "yes") == "Tell me what is wrong in your own words, or type help."
    assert desk.posts() == []


@pytest.mark.parametrize("typed", ["help", "?", "Help", "what can you do?"])
def test_help_in_plain_words_lists_the_commands(desk, typed):
    reply = desk.say("alice", typed)
    assert reply.startswith("Commands (type /desk help COMMAND for details):")
    assert "/incident" in reply and reply.endswith("offer to open an incident.")


def test_a_command_typed_without_its_slash_runs_with_a_hint(desk):
    reply = desk.say("alice", "incident list")
    assert reply == "Your open incidents: none.\n(Commands start with a slash: /incident list)"


def test_a_sentence_starting_with_a_command_name_is_still_words(desk):
    assert desk.say("alice", "incident with my laptop again").startswith(
        'Shall I open an incident "incident with my laptop again"?'
    )


@pytest.mark.parametrize(
    ("typed", "kind", "line"),
    [
        ("help", "help", ""),
        ("  ?  ", "help", ""),
        ("yes", "yes", ""),
        ("Sure.", "yes", ""),
        ("no", "no", ""),
        ("incident", "command", "/incident"),
        ("incident claim INC-4", "command", "/incident claim INC-4"),
        ("desk help incident", "command", "/desk help incident"),
        ("incident lsit", "command", "/incident lsit"),
        ("incident   on the VPN", "words", "incident on the VPN"),
        ("my   laptop won't boot", "words", "my laptop won't boot"),
        ("yes my laptop is broken", "words", "yes my laptop is broken"),
    ],
)
def test_understand_reads_a_plain_line(typed, kind, line):
    said = understand(typed, COMMANDS)
    assert (said.kind, said.line) == (kind, line)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=4))
def test_whatever_a_newcomer_types_gets_an_answer_not_a_traceback(desk, lines):
    for line in lines:
        if line.strip().startswith(":") and line.strip()[1:].lower().startswith(("q", "e")):
            continue  # :quit ends the session: nothing to answer
        typed = line.replace("\n", " ").strip()
        reply = desk.say("alice", typed)  # raises on a traceback
        assert reply or not typed or typed.startswith("#")  # blank lines and comments: silence
