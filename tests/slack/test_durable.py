"""Durable inbound work on Slack: what was acknowledged survives the process that
acknowledged it, is acted on once, and the person still hears the answer."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot import inbound_work
from domain.records import InboundWork
from tests.fakes.slack_api import FakeSlackApi
from tests.inbound import expire_leases, stored_work
from tests.slack.harness import SlackDeskHarness


def _rows(desk: SlackDeskHarness) -> list[InboundWork]:
    return stored_work(desk.runtime)


def _expire_leases(desk: SlackDeskHarness, **also) -> None:
    expire_leases(desk.runtime, **also)


def _die_after_acknowledging(desk: SlackDeskHarness) -> None:
    """The process stops existing right after its acknowledgements (kill -9)."""
    desk.adapter.pipeline.start = lambda work: None


@pytest.fixture
async def replica(database_url: str, slack: FakeSlackApi, slack_desk):
    """A second deskbot process on the same database (no worker of its own)."""
    other = SlackDeskHarness.build(database_url, slack)
    try:
        yield other
    finally:
        await other.close()


async def test_a_command_whose_process_died_after_the_ack_is_done_and_answered_by_another(
    slack_desk, replica, slack
):
    _die_after_acknowledging(slack_desk)
    rid = await slack_desk.command("U0ALICE", '/incident new "Badge reader dead"')
    [row] = _rows(slack_desk)
    assert (row.state, row.job, slack_desk.incident_count()) == ("pending", "command", 0)
    assert row.reply_token == slack.response_url(rid)
    assert "response_url" not in row.payload and "token" not in row.payload

    assert await replica.adapter.pipeline.recover() == 0  # its lease still runs
    _expire_leases(slack_desk)
    assert await replica.adapter.pipeline.recover() == 1
    reply = await slack_desk.reply(rid)
    assert reply.args["text"].startswith('Opened INC-1 [P3] "Badge reader dead"')
    await replica.until(lambda: _rows(replica)[0].state == "done", what="work finished")
    [row] = _rows(slack_desk)
    assert row.reply_token is None  # the reply hook is not kept once answered
    assert slack_desk.incident_count() == 1


async def test_work_done_again_after_a_crash_changes_nothing_twice_and_answers_again(
    slack_desk, replica, slack
):
    rid = await slack_desk.command("U0ALICE", '/incident new "Printer on fire"')
    first = await slack_desk.reply(rid)
    await slack_desk.idle()
    # The process died after the command committed, before it recorded the work as done.
    _expire_leases(slack_desk, state="pending", reply_token=slack.response_url(rid))
    assert await replica.adapter.pipeline.recover() == 1
    await replica.until(lambda: _rows(replica)[0].state == "done", what="work finished")
    answers = [c.args["text"] for c in slack.calls("response_url") if c.path.endswith(rid)]
    assert answers == [first.args["text"], first.args["text"]]  # told again, not redone
    assert slack_desk.incident_count() == 1


async def test_taken_over_after_its_reply_hook_expired_it_answers_in_the_channel(
    slack_desk, replica, slack
):
    _die_after_acknowledging(slack_desk)
    rid = await slack_desk.command("U0ALICE", "/desk whoami", channel_id="C0GENERAL")
    long_ago = slack_desk.runtime.clock.now() - timedelta(minutes=31)
    _expire_leases(slack_desk, received_at=long_ago)
    assert await replica.adapter.pipeline.recover() == 1
    [ephemeral] = await slack.async_wait_for("chat.postEphemeral")
    assert (ephemeral.args["channel"], ephemeral.args["user"]) == ("C0GENERAL", "U0ALICE")
    assert "alice" in ephemeral.args["text"]
    assert slack.responses(rid) == []  # the expired hook was not used


async def test_work_that_keeps_failing_is_given_up_and_logged(slack_desk, replica, caplog):
    _die_after_acknowledging(slack_desk)
    await slack_desk.command("U0ALICE", '/incident new "Never done"')
    _expire_leases(slack_desk, attempts=inbound_work.MAX_ATTEMPTS)
    with caplog.at_level(logging.ERROR):
        assert await replica.adapter.pipeline.recover() == 0
    [row] = _rows(slack_desk)
    assert (row.state, row.reply_token) == ("failed", None)
    assert any("gave up on command" in r.getMessage() for r in caplog.records)
    assert slack_desk.incident_count() == 0


async def test_a_stopping_process_hands_its_unfinished_work_to_another_at_once(
    slack_desk, replica, slack
):
    _die_after_acknowledging(slack_desk)
    rid = await slack_desk.command("U0ALICE", '/incident new "Handed over"')
    [row] = _rows(slack_desk)
    slack_desk.adapter.pipeline._running.add(row.id)  # it was in the middle of it
    await slack_desk.adapter.pipeline.drain(timeout=0.1)
    assert await replica.adapter.pipeline.recover() == 1  # no lease to wait out
    assert (await slack_desk.reply(rid)).args["text"].startswith('Opened INC-1 [P3] "Handed')


async def test_finished_work_is_purged_after_the_retention(slack_desk):
    await slack_desk.reply(await slack_desk.command("U0ALICE", "/desk whoami"))
    await slack_desk.until(lambda: _rows(slack_desk)[0].state == "done", what="work finished")
    database, clock = slack_desk.runtime.database, slack_desk.runtime.clock
    assert inbound_work.purge(database, clock) == 0
    with database.transaction() as session:
        session.execute(
            update(InboundWork).values(
                finished_at=clock.now() - inbound_work.RETENTION - timedelta(minutes=1)
            )
        )
    assert inbound_work.purge(database, clock) == 1
    assert _rows(slack_desk) == []
