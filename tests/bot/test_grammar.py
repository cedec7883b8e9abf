"""The one command grammar: parsing, errors a person can act on, help, and no crashes."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands import COMMANDS
from bot.grammar import UsageError, build_argv, help_text, parse, parse_argv, tokenize


def test_quoted_title_and_flags():
    inv = parse(
        '/incident new "VPN drops every 10 min" --service vpn --impact high --urgency medium'
    )
    assert (inv.command, inv.subcommand) == ("incident", "new")
    assert inv.args == {"title": "VPN drops every 10 min"}
    assert inv.flags == {"service": "vpn", "impact": "high", "urgency": "medium"}


def test_unquoted_words_become_the_rest_argument():
    assert parse("incident note INC-4 called the user back").args == {
        "id": "INC-4",
        "text": "called the user back",
    }


def test_flag_with_equals_and_smart_quotes():
    inv = parse("/incident new \u201cMail is slow\u201d --impact=LOW")
    assert inv.args["title"] == "Mail is slow"
    assert inv.flags["impact"] == "low"


def test_switches_take_no_value():
    assert parse("/incident list --mine --all").flags == {"mine": True, "all": True}
    with pytest.raises(UsageError, match="takes no value"):
        parse("/incident list --mine=yes")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/incdent new x", "Did you mean /incident?"),
        ("/incident clam INC-1", "Did you mean claim?"),
        ("/incident new x --impct high", "Did you mean --impact?"),
        ("/incident new x --impact huge", "must be one of high, medium, low"),
        ('/incident new "unterminated', "is not closed"),
        ("/incident claim", "Missing ID."),
        ("/incident claim INC-1 INC-2", "Unexpected 'INC-2'"),
        ("/incident", "needs a subcommand"),
        ("", "Type a command"),
        ("/incident new x --service", "--service needs a value."),
        ("/incident new x --impact high --impact low", "given twice"),
    ],
)
def test_mistakes_get_a_reason(text, message):
    with pytest.raises(UsageError) as caught:
        parse(text)
    assert message in str(caught.value)


def test_usage_line_comes_with_argument_errors():
    with pytest.raises(UsageError) as caught:
        parse("/incident hold INC-1")
    assert caught.value.usage == "/incident hold ID REASON…"


def test_help_is_generated_from_the_definitions():
    overview = help_text()
    for command in COMMANDS.values():
        assert f"/{command.name}" in overview
        for sub in command.subcommands:
            assert sub in overview
    detail = help_text("incident new")
    assert "--urgency: how soon it hurts the business" in detail
    assert "Did you mean /incident?" in help_text("incidnet")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_the_parser_never_crashes_on_any_text(text):
    try:
        inv = parse(text)
    except UsageError as exc:
        assert exc.message
    else:
        assert inv.command in COMMANDS


words = st.sampled_from(
    [
        "/incident",
        "incident",
        "/desk",
        "new",
        "claim",
        "list",
        "note",
        "--mine",
        "--impact",
        "high",
        "--service",
        "INC-1",
        '"',
        "\u201c",
        "--",
        "-x",
        "help",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(words, st.text(max_size=12)), max_size=10))
def test_the_parser_never_crashes_on_near_miss_commands(argv):
    try:
        parse_argv(argv)
    except UsageError as exc:
        assert exc.message


def test_very_long_input_is_refused_politely():
    with pytest.raises(UsageError, match="too long"):
        tokenize("x" * 50_000)


def test_the_command_reference_lists_every_usage_line():
    from pathlib import Path

    reference = (Path(__file__).parents[2] / "docs" / "commands.md").read_text()
    for command in COMMANDS.values():
        for sub in command.subcommands.values():
            usage = sub.usage(command.name).replace("|", "\\|")  # escaped inside tables
            assert f"`{usage}`" in reference, usage


def test_text_after_a_double_dash_is_never_an_option():
    inv = parse("/incident note INC-1 -- --force did not help")
    assert inv.args == {"id": "INC-1", "text": "--force did not help"}
    assert inv.flags == {}


def test_argv_built_from_form_fields_takes_values_literally():
    argv = build_argv(
        "incident", "new", ["--rm -rf broke my laptop"], {"impact": "high", "service": None}
    )
    inv = parse_argv(argv)
    assert inv.args == {"title": "--rm -rf broke my laptop"}
    assert inv.flags == {"impact": "high"}
    resolve = parse_argv(build_argv("incident", "resolve", ["INC-7", "--reinstalled the driver"]))
    assert resolve.args == {"id": "INC-7", "resolution": "--reinstalled the driver"}


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("/incident new VPN won't connect", "VPN won't connect"),
        ("/incident new Bob's laptop won't boot", "Bob's laptop won't boot"),
        ("/incident new 'Bob's laptop' --impact low", "Bob's laptop"),
        ('/incident new the 5" screen flickers', 'the 5" screen flickers'),
        ("/incident new 'cause it broke", "'cause it broke"),
    ],
)
def test_apostrophes_and_inch_marks_inside_words_are_letters(text, title):
    assert parse(text).args["title"] == title


def test_a_quoted_flag_value():
    assert parse('/incident new x --description="two words"').flags == {"description": "two words"}


def test_a_free_text_flag_runs_to_the_next_flag_and_never_moves_words():
    # It once stored the title "a very long description test one of the description".
    invocation = parse(
        "/incident new a very long description test --description line one of the description"
    )
    assert invocation.args == {"title": "a very long description test"}
    assert invocation.flags == {"description": "line one of the description"}


def test_free_text_stops_at_the_next_known_flag_only():
    invocation = parse("/incident new x --description use --force, then --impact high")
    assert invocation.flags == {"description": "use --force, then", "impact": "high"}


def test_a_typed_flag_takes_one_word():
    invocation = parse("/incident new printer jam --impact high on floor 3")
    assert invocation.args == {"title": "printer jam on floor 3"}
    assert invocation.flags == {"impact": "high"}


def test_one_quoted_phrase_is_unwrapped_but_quotes_inside_longer_text_are_kept():
    assert parse('/incident new "VPN drops"').args == {"title": "VPN drops"}
    assert parse('/incident new Can\'t print "quarterly report"').args == {
        "title": 'Can\'t print "quarterly report"'
    }
    assert parse("/incident new x --description “so slow” today").flags == {
        "description": "“so slow” today"
    }
