"""Delivery: 429 waits Retry-After, outages delay but lose nothing, order per channel is kept."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.pacing import ChannelPacer
from adapters.slack.people import SlackPeople
from adapters.slack.sender import SlackSender, classify
from bot.outbox import OutboundMessage, PermanentFailure, RetryLater
from domain.clock import ManualClock
from tests.slack.harness import TRIAGE, SlackDeskHarness


def _cards_and_updates(slack, channel: str = TRIAGE) -> list[str]:
    """What reached the channel, in order: 'card INC-n' or 'thread: <text>'."""
    seen = []
    for call in slack.calls("chat.postMessage"):
        if call.ok and call.args["channel"] == channel:
            kind = "thread: " if "thread_ts" in call.args else "card "
            seen.append(
                kind + (call.args["text"] if "thread_ts" in call.args else call.args["text"][:5])
            )
    return seen


async def test_a_429_waits_for_retry_after_then_delivers_once(database_url, slack):
    clock = ManualClock()
    desk = SlackDeskHarness.build(database_url, slack, clock=clock)
    desk.runtime.add_sender("slack", desk.adapter.sender())
    worker = desk.runtime.worker
    try:
        slack.rate_limit("chat.postMessage", times=1, retry_after=30)
        await desk.say("U0ALICE", '/incident new "Printer on fire"')

        assert await worker.run_once() == 1
        [row] = desk.outbox()
        assert (row.status, row.attempts, row.next_attempt_at) == (
            "pending",
            1,
            clock.now() + timedelta(seconds=30),
        )
        assert "rate limited" in row.last_error

        clock.advance(timedelta(seconds=29))
        assert await worker.run_once() == 0  # not before Retry-After
        clock.advance(timedelta(seconds=1))
        assert await worker.run_once() == 1
        assert [c.status for c in slack.calls("chat.postMessage")] == [429, 200]
        assert desk.outbox()[0].status == "sent"
    finally:
        await desk.close()


async def test_a_5xx_whose_body_is_not_json_is_retried(database_url, slack):
    clock = ManualClock()
    desk = SlackDeskHarness.build(database_url, slack, clock=clock)
    desk.runtime.add_sender("slack", desk.adapter.sender())
    worker = desk.runtime.worker
    try:
        slack.fail("chat.postMessage", status=503, times=1, body="{not json")
        await desk.say("U0ALICE", '/incident new "Printer on fire"')

        assert await worker.run_once() == 1
        [row] = desk.outbox()
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error == "RetryLater: Slack answered HTTP 503 (the body was not JSON)"

        clock.advance(timedelta(seconds=2))  # the first backoff
        assert await worker.run_once() == 1
        assert [c.status for c in slack.calls("chat.postMessage")] == [503, 200]
        assert desk.outbox()[0].status == "sent"
    finally:
        await desk.close()


async def test_rate_limited_posts_keep_their_order(slack_desk, slack):
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    await slack_desk.say("U0ALICE", '/incident new "First"')
    await slack_desk.say("U0ALICE", '/incident new "Second"')
    await slack_desk.say("U0BOB", "/incident claim INC-1")
    await slack_desk.idle()
    assert _cards_and_updates(slack) == [
        "card INC-1",
        "card INC-2",
        "thread: INC-1 claimed by @bob — now In progress, assignee <@U0BOB>",
    ]
    assert [r.status for r in slack_desk.outbox()] == ["sent"] * 4  # 3 in triage, 1 DM to alice


async def test_an_outage_delays_messages_and_loses_none(slack_desk, slack):
    slack.fail("chat.postMessage", status=500)
    slack.fail("chat.update", status=503)
    await slack_desk.say("U0ALICE", '/incident new "VPN down" --service vpn')
    await slack.async_wait_for("chat.postMessage", 1)  # the first attempt fails…
    # …while people keep working: everything queues behind the first card.
    await slack_desk.say("U0CAROL", "/incident claim INC-1")
    await slack_desk.say("U0ALICE", '/incident new "Wi-Fi down" --service wifi')
    await slack.async_wait_for("chat.postMessage", 3, timeout=15)  # retried with backoff
    assert all(c.status == 500 for c in slack.calls("chat.postMessage"))

    slack.recover()
    await slack_desk.idle(timeout=30)
    assert _cards_and_updates(slack) == [
        "card INC-1",
        "thread: INC-1 claimed by @carol — now In progress, assignee <@U0CAROL>",
        "card INC-2",
    ]
    [update] = [c for c in slack.calls("chat.update") if c.ok]
    assert update.args["ts"] == (await slack_desk.card_ref(1)).split(":")[1]
    assert [r.status for r in slack_desk.outbox()] == ["sent"] * 4
    assert [
        c.args["text"]
        for c in slack.calls("chat.postMessage")
        if c.ok and c.args["channel"] == "U0ALICE"
    ] == ['<@U0CAROL> is working on your incident INC-1 "VPN down".']


def _error(status: int, error: str, headers: dict | None = None) -> SlackApiError:
    response = AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("failed", response)


@pytest.mark.parametrize(
    ("status", "error", "headers", "expected", "retry_after"),
    [
        (429, "ratelimited", {"Retry-After": "7"}, RetryLater, 7.0),
        (200, "ratelimited", {}, RetryLater, 1.0),
        (500, "fatal_error", {}, RetryLater, None),
        (503, "service_unavailable", {}, RetryLater, None),
        (200, "channel_not_found", {}, PermanentFailure, None),
        (200, "is_archived", {}, PermanentFailure, None),
        (200, "invalid_blocks", {}, PermanentFailure, None),
        (200, "internal_error", {}, RetryLater, None),
    ],
)
def test_slack_errors_are_sorted_for_the_outbox(
    status, error, headers, expected, retry_after
) -> None:
    outcome = classify(_error(status, error, headers))
    assert type(outcome) is expected
    if expected is RetryLater:
        assert outcome.retry_after == retry_after


def _message(channel: str, text: str = "hello") -> OutboundMessage:
    return OutboundMessage(
        id=1,
        platform="slack",
        kind="incident_note",
        destination_kind="channel",
        destination="service-desk",
        address=channel,
        subject_type=None,
        subject_id=None,
        context={"incident": {"key": "INC-1"}, "by": "bob", "note": text},
        attempts=1,
    )


async def test_a_network_error_is_retried_later(database_url) -> None:
    from adapters.slack.adapter import web_client

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = web_client("xoxb-1", f"http://127.0.0.1:{port}/api/", retries=False)
    sender = SlackSender(
        client=client,
        database=None,
        people=SlackPeople(client=client, database=None),
        pacer=ChannelPacer(0),
    )
    sender.people.mention = lambda name: f"@{name}"
    with pytest.raises(RetryLater, match="network error"):
        await sender.send(_message("C1"))


async def test_every_post_waits_for_its_channels_turn(slack) -> None:
    from adapters.slack.adapter import web_client

    turns: list[str] = []

    class RecordingPacer(ChannelPacer):
        async def wait_turn(self, channel: str) -> None:
            turns.append(channel)

    client = web_client(slack.token, slack.base_url, retries=False)
    sender = SlackSender(
        client=client,
        database=None,
        people=SlackPeople(client=client, database=None),
        pacer=RecordingPacer(),
    )
    sender.people.mention = lambda name: f"@{name}"
    for channel in ("C1", "C2", "C1"):
        assert (await sender.send(_message(channel))).startswith(channel + ":")
    assert turns == ["C1", "C2", "C1"]
    assert slack.calls("chat.postMessage")[0].args["text"] == "@bob on INC-1: hello"


async def test_the_pacer_spaces_one_channel_and_leaves_others_alone() -> None:
    now, slept = [100.0], []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=sleep)
    for channel in ("C1", "C1", "C1", "C2"):
        await pacer.wait_turn(channel)
    assert slept == [1.0, 2.0]  # C1's 2nd and 3rd message wait their turn; C2 does not
    now[0] += 5
    await pacer.wait_turn("C1")
    assert slept == [1.0, 2.0]  # a quiet channel posts at once
