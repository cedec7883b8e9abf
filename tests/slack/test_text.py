"""Words people type stay words: no accidental @channel, no broken mentions, sensible titles."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from adapters.slack.mrkdwn import WORD_JOINER, chunks, command_text, escape, escape_all, plain
from bot.intake import title_and_details
from tests.slack.harness import TRIAGE, blocks_text

# Slack's special mentions: <!here>, <!channel>, <!everyone>, <!subteam^…>, and the bare
# words Slack turns into them when it parses text itself.
SPECIAL_MENTION = re.compile(r"<!|(?<![\w@.])@(here|channel|everyone|group)\b", re.IGNORECASE)


def test_user_text_is_escaped_for_slack() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape_all({"incident": {"title": "a<b", "n": 1}, "list": ["x>y"]}) == {
        "incident": {"title": "a&lt;b", "n": 1},
        "list": ["x&gt;y"],
    }


def test_typed_broadcast_words_are_no_mentions() -> None:
    assert escape("@here @Channel and @everyone, @group") == (
        f"@{WORD_JOINER}here @{WORD_JOINER}Channel and @{WORD_JOINER}everyone, @{WORD_JOINER}group"
    )
    # Addresses and other words keep their @ as typed.
    assert escape("mail ops@here.example or @hereford, @bob") == (
        "mail ops@here.example or @hereford, @bob"
    )
    assert not SPECIAL_MENTION.search(escape("<!channel> @here <!everyone>"))


def _mrkdwn(value: Any) -> Iterator[dict]:
    """Every mrkdwn text object in some Block Kit JSON."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            yield value
        for item in value.values():
            yield from _mrkdwn(item)
    elif isinstance(value, list):
        for item in value:
            yield from _mrkdwn(item)


async def test_an_incident_titled_with_mentions_mentions_nobody(slack_desk, slack):
    title = "<!channel> @here <!everyone>"
    await slack_desk.command("U0ALICE", "/incident new")
    [form] = await slack.async_wait_for("views.open")
    details = {"description": "ping @Channel and <!subteam^S0ONCALL|@oncall> <!here|here>"}
    await slack_desk.submit(
        "U0ALICE", form.response["view"], {"title": title, **details}, {"service": "vpn"}
    )
    [card] = await slack_desk.posts(1, TRIAGE)
    assert slack_desk.incident(1).title == title  # stored as typed…
    shown = card.args["text"] + blocks_text(card.args["blocks"])
    assert "here" in shown and "everyone" in shown  # …shown as typed…
    assert not SPECIAL_MENTION.search(shown), shown  # …and no mention
    assert all(text.get("verbatim") is True for text in _mrkdwn(card.args["blocks"]))

    # A DM in the person's own words, with a real <!here> in it, becomes an incident too.
    event = await slack_desk.dm("U0ALICE", "<!here> the printer is on fire")
    [offer] = await slack_desk.posts(
        1, "DU0ALICE", where=lambda c: c.args.get("thread_ts") == event["ts"]
    )
    [value] = [
        e["value"]
        for b in offer.args["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == "intake_open"
    ]
    await slack_desk.press(
        "U0ALICE", "intake_open", value, channel="DU0ALICE", message_ts=offer.response["ts"]
    )
    await slack_desk.card_ref(2)
    # Claimed: the card is edited and the change written in its thread; alice gets DMs.
    await slack_desk.say("U0CAROL", "/incident claim INC-1")
    await slack_desk.say("U0CAROL", "/incident claim INC-2")
    await slack.async_wait_for("chat.update", 3)
    await slack_desk.idle()

    posted = [c for c in slack.calls("chat.postMessage") + slack.calls("chat.update") if c.ok]
    assert len(posted) >= 8
    for call in posted:
        text = call.args.get("text", "") + json.dumps(_shown(call.args.get("blocks") or []))
        assert not SPECIAL_MENTION.search(text), (call.method, call.args["channel"], text)


def _shown(value: Any) -> Any:
    """Block Kit JSON without button values: Slack never shows those (the offer's holds
    the DM's words, to open the incident with)."""
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items() if k != "value"}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


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
    assert title_and_details("my vpn keeps dropping") == ("my vpn keeps dropping", "")
    title, description = title_and_details(
        "Outlook crashes\nwhen I open the calendar since the update"
    )
    assert (title, description) == (
        "Outlook crashes",
        "Outlook crashes\nwhen I open the calendar since the update",
    )
    long_title, _ = title_and_details("word " * 40)
    assert len(long_title) <= 100 and long_title.endswith("…")
    assert (
        title_and_details("--help me")[0] == "--help me"
    )  # kept as written; never read as an option


def test_long_replies_are_split_for_block_kit() -> None:
    text = "\n".join(f"line {i}" for i in range(1000))
    pieces = chunks(text)
    assert all(len(p) <= 2900 for p in pieces) and "\n".join(pieces) == text
