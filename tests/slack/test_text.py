"""Words people type stay words: no accidental @channel, no broken mentions, sensible titles."""

from __future__ import annotations

from adapters.slack.intake import summarize
from adapters.slack.mrkdwn import chunks, command_text, escape, escape_all, plain


def test_user_text_is_escaped_for_slack() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape_all({"incident": {"title": "a<b", "n": 1}, "list": ["x>y"]}) == {
        "incident": {"title": "a&lt;b", "n": 1},
        "list": ["x&gt;y"],
    }


def test_slack_markup_reads_as_plain_words() -> None:
    assert plain(
        "ping <@U0BOB> in <#C0DESK|service-desk>, see <https://x.example|the wiki> &amp; <!here>"
    ) == ("ping @U0BOB in service-desk, see the wiki & @here")


def test_command_text_keeps_user_mentions_for_the_grammar() -> None:
    assert command_text("assign INC-1 <@U0CAROL|carol.chen>") == "assign INC-1 <@U0CAROL>"
    assert (
        command_text('new "&lt;3 the &amp; key" in <#C1|general>')
        == 'new "<3 the & key" in general'
    )


def test_a_dm_becomes_a_short_title_and_the_full_description() -> None:
    assert summarize("my vpn keeps dropping") == ("my vpn keeps dropping", "")
    title, description = summarize("Outlook crashes\nwhen I open the calendar since the update")
    assert (title, description) == (
        "Outlook crashes",
        "Outlook crashes\nwhen I open the calendar since the update",
    )
    long_title, _ = summarize("word " * 40)
    assert len(long_title) <= 100 and long_title.endswith("…")
    assert summarize("--help me")[0] == "help me"  # never read as an option


def test_long_replies_are_split_for_block_kit() -> None:
    text = "\n".join(f"line {i}" for i in range(1000))
    pieces = chunks(text)
    assert all(len(p) <= 2900 for p in pieces) and "\n".join(pieces) == text
