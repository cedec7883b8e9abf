"""On-call in Slack: a new P1 pages the person on call by DM with Acknowledge and Escalate
now buttons; unanswered, the policy's next step pages the secondary; a press of Acknowledge
stops the policy, tells the others and is the incident's first response — and a press by
someone the page never reached, or a second one, is refused without changing anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from domain.clock import ManualClock
from domain.incidents import TimelineEntry
from domain.oncall import Page
from domain.records import Timer
from tests.fakes.slack_api import FakeSlackApi, RecordedCall
from tests.slack.harness import CONFIG, NETWORK, SlackDeskHarness, blocks_text, button_ids

# The example company's network on-call (bot/example/deskbot.yaml): carol is primary and
# erin secondary in the week from Monday 5 January 2026, 09:00 London (= UTC in winter).
ONCALL = """
oncall:
  page_priorities: [P1, P2]
  teams:
    network:
      zone: Europe/London
      schedules:
        primary:
          - {name: weekly, members: [carol, erin], start: "2026-01-05 09:00", every: 1w}
        secondary:
          - {members: [erin, carol], start: "2026-01-05 09:00", every: 1w}
      escalation:
        steps:
          - {notify: primary, wait: 5m}
          - {notify: secondary, wait: 5m}
          - {notify: lead, wait: 5m}
          - {notify: channel}
        repeat: 1
"""
P1 = '/incident new "VPN down for everyone" --service vpn --impact high --urgency high'
PAGED = (
    'Page PAGE-1 for network: INC-1 "VPN down for everyone" — New P1 incident. You are '
    "paged as on call ({schedule}). Acknowledge to take it (/oncall ack PAGE-1), or "
    "escalate now (/oncall escalate PAGE-1)."
)


@pytest.fixture
def clock() -> ManualClock:
    """Monday 5 January 2026, 10:00 UTC: an hour into carol's primary week."""
    return ManualClock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))


@pytest.fixture
async def desk(database_url, slack, clock):
    harness = SlackDeskHarness.build(database_url, slack, clock=clock, config_text=CONFIG + ONCALL)
    harness.start_worker()
    try:
        yield harness
    finally:
        await harness.close()


def is_page(call: RecordedCall) -> bool:
    return call.args["text"].startswith("Page PAGE-1 ")


def pages_sent(slack: FakeSlackApi) -> list[str]:
    """Who was sent a page DM (or the team channel a page post), in order."""
    return [c.args["channel"] for c in slack.calls("chat.postMessage") if c.ok and is_page(c)]


def page(desk: SlackDeskHarness) -> Page:
    found = desk.record(Page, 1)
    assert found is not None
    return found


def pending_steps(desk: SlackDeskHarness) -> int:
    """The page's escalation steps still waiting to run."""
    with desk.runtime.database.transaction() as session:
        return len(
            list(
                session.scalars(
                    select(Timer.id).where(Timer.kind == "page_step", Timer.state == "pending")
                )
            )
        )


async def moved_on(desk: SlackDeskHarness, clock: ManualClock, delta: timedelta) -> None:
    """Move the clock on, and wait until every timer due by then has fired and been delivered."""
    clock.advance(delta)
    desk.runtime.worker.wake()

    def nothing_due() -> bool:
        ahead = desk.runtime.worker.timers.seconds_to_next()
        return ahead is None or ahead > 0

    await desk.until(nothing_due, what="every due timer fired")
    await desk.idle()


async def paged(desk: SlackDeskHarness) -> RecordedCall:
    """erin has used deskbot before (the config knows her by email only), then alice
    reports a P1 VPN outage; returns the page DM carol gets."""
    who = await desk.say("U0ERIN", "/oncall who network")
    assert "primary: @carol until Mon 12 Jan 09:00 GMT, then @erin" in who
    assert "secondary: @erin until Mon 12 Jan 09:00 GMT, then @carol" in who
    opened = await desk.say("U0ALICE", P1)
    assert opened.startswith('Opened INC-1 [P1] "VPN down for everyone", queued for network')
    [dm] = await desk.posts(1, "U0CAROL", where=is_page)
    return dm


def assert_page_dm(dm: RecordedCall, schedule: str) -> None:
    """A page DM: what happened, and Acknowledge (primary) and Escalate now buttons."""
    assert dm.args["text"] == PAGED.format(schedule=schedule)
    blocks = dm.args["blocks"]
    assert button_ids(blocks) == ["page_ack", "page_escalate"]
    [buttons] = [b for b in blocks if b["type"] == "actions"]
    assert [(e["text"]["text"], e["value"], e.get("style")) for e in buttons["elements"]] == [
        ("Acknowledge", "PAGE-1", "primary"),
        ("Escalate now", "PAGE-1", None),
    ]
    assert "VPN down for everyone" in blocks_text(blocks)


async def test_an_unanswered_page_moves_to_erin_whose_acknowledge_stops_it(
    desk: SlackDeskHarness, slack: FakeSlackApi, clock: ManualClock
):
    carol_dm = await paged(desk)
    assert_page_dm(carol_dm, "primary")
    await desk.idle()
    assert pages_sent(slack) == ["U0CAROL"]  # nobody else yet

    # carol does not answer: five minutes later the secondary, erin, is paged.
    await moved_on(desk, clock, timedelta(minutes=4, seconds=59))
    assert pages_sent(slack) == ["U0CAROL"]
    await moved_on(desk, clock, timedelta(seconds=1))
    [erin_dm] = await desk.posts(1, "U0ERIN", where=is_page)
    assert_page_dm(erin_dm, "secondary")
    assert pages_sent(slack) == ["U0CAROL", "U0ERIN"]

    rid = await desk.press(
        "U0ERIN", "page_ack", "PAGE-1", channel="DU0ERIN", message_ts=erin_dm.response["ts"]
    )
    reply = (await desk.reply(rid)).args
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == (
        "You acknowledged PAGE-1: INC-1 is yours to look at. Nobody else will be paged about it."
    )
    # carol, paged first, hears she can stand down.
    [told] = await desk.posts(1, "U0CAROL", where=lambda c: not is_page(c))
    assert told.args["text"] == (
        '<@U0ERIN> acknowledged PAGE-1 (INC-1 "VPN down for everyone"). You can stand down.'
    )
    acknowledged_at = clock.now()
    stored = page(desk)
    assert (stored.state, stored.acknowledged_by) == ("acknowledged", "erin")
    incident = desk.incident(1)
    assert incident.first_response_at == acknowledged_at  # the page's answer is the response
    shown = await desk.say("U0CAROL", "/incident show INC-1")
    # One line for one acknowledgement: the incident's own.
    assert "page acknowledged" not in shown
    assert "2026-01-05 10:05 erin: acknowledged — Acknowledged by @erin, answering PAGE-1" in shown
    assert "Time to respond" not in shown  # the respond SLA stopped with the first response

    # The policy has stopped: the lead and the channel are never paged.
    assert pending_steps(desk) == 0
    await moved_on(desk, clock, timedelta(minutes=30))
    assert pages_sent(slack) == ["U0CAROL", "U0ERIN"]
    assert [c for c in slack.calls("chat.postMessage") if c.args["channel"] == NETWORK] == []
    assert await desk.say("U0CAROL", "/oncall pages") == "No pages waiting."


async def test_escalate_now_pages_erin_at_once(
    desk: SlackDeskHarness, slack: FakeSlackApi, clock: ManualClock
):
    carol_dm = await paged(desk)
    rid = await desk.press(
        "U0CAROL", "page_escalate", "PAGE-1", channel="DU0CAROL", message_ts=carol_dm.response["ts"]
    )
    assert (await desk.reply(rid)).args["text"] == (
        "Escalated PAGE-1 (INC-1): the next step of network's policy has run."
    )
    [erin_dm] = await desk.posts(1, "U0ERIN", where=is_page)  # without the clock moving
    assert_page_dm(erin_dm, "secondary")

    rid = await desk.press(
        "U0ERIN", "page_ack", "PAGE-1", channel="DU0ERIN", message_ts=erin_dm.response["ts"]
    )
    assert (await desk.reply(rid)).args["text"].startswith("You acknowledged PAGE-1")
    await desk.posts(1, "U0CAROL", where=lambda c: "acknowledged PAGE-1" in c.args["text"])
    assert desk.incident(1).first_response_at == clock.now()
    await moved_on(desk, clock, timedelta(minutes=30))
    assert pages_sent(slack) == ["U0CAROL", "U0ERIN"]


async def test_a_press_by_someone_not_paged_or_a_second_one_is_refused_and_changes_nothing(
    desk: SlackDeskHarness, slack: FakeSlackApi, clock: ManualClock
):
    carol_dm = await paged(desk)
    ts = carol_dm.response["ts"]
    # bob (an agent, not in the network team) presses carol's button, e.g. on a screenshot.
    rid = await desk.press("U0BOB", "page_ack", "PAGE-1", channel="DU0CAROL", message_ts=ts)
    refusal = (await desk.reply(rid)).args
    assert refusal["response_type"] == "ephemeral"
    assert refusal["text"] == (
        "PAGE-1 is paging carol; only someone it reached can acknowledge it. To take INC-1 "
        "yourself, claim it (/incident claim INC-1): that stops the page too."
    )
    escalate = await desk.press("U0BOB", "page_escalate", "PAGE-1", channel="DU0CAROL")
    said = (await desk.reply(escalate)).args["text"]
    assert said.startswith("PAGE-1 is paging carol; only someone it reached can escalate it.")
    await desk.idle()
    stored = page(desk)
    assert (stored.state, stored.acknowledged_by, stored.step) == ("paging", None, 1)
    assert desk.incident(1).first_response_at is None
    assert pages_sent(slack) == ["U0CAROL"]
    assert pending_steps(desk) == 1  # the policy goes on as before

    rid = await desk.press("U0CAROL", "page_ack", "PAGE-1", channel="DU0CAROL", message_ts=ts)
    assert (await desk.reply(rid)).args["text"].startswith("You acknowledged PAGE-1")
    again = await desk.press("U0CAROL", "page_ack", "PAGE-1", channel="DU0CAROL", message_ts=ts)
    assert (await desk.reply(again)).args["text"] == (
        "PAGE-1 was already acknowledged by carol at 10:00 UTC."
    )
    assert await desk.say("U0CAROL", "/oncall ack PAGE-1") == (
        "PAGE-1 was already acknowledged by carol at 10:00 UTC."
    )
    stored = page(desk)
    assert (stored.state, stored.acknowledged_by) == ("acknowledged", "carol")
    await moved_on(desk, clock, timedelta(minutes=30))
    assert pages_sent(slack) == ["U0CAROL"]
    with desk.runtime.database.transaction() as session:
        kinds = list(
            session.scalars(
                select(TimelineEntry.kind)
                .where(TimelineEntry.kind.in_(("page_acknowledged", "acknowledged")))
                .order_by(TimelineEntry.id)
            )
        )
    assert kinds == ["acknowledged"]  # once, however many presses
