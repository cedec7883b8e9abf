"""Durable inbound work on Discord: an interaction deferred by a process that then died is
done by another, once, and answered through its token (or by DM once that expired)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from adapters.discord import DiscordAdapter
from domain.incidents import IncidentRecord
from domain.records import InboundWork
from tests.discord.harness import DiscordDeskHarness
from tests.fakes import discord_interactions as ix
from tests.inbound import expire_leases, stored_work


def _rows(desk: DiscordDeskHarness) -> list[InboundWork]:
    return stored_work(desk.runtime)


def _expire_leases(desk: DiscordDeskHarness, **also) -> None:
    expire_leases(desk.runtime, **also)


@pytest.fixture
async def dying(desk: DiscordDeskHarness) -> DiscordDeskHarness:
    """The process dies right after deferring each interaction (kill -9)."""

    async def die(work) -> None:
        return None

    desk.adapter.desk.pipeline.perform = die
    return desk


@pytest.fixture
async def replica(desk: DiscordDeskHarness):
    """Another process's Discord adapter on the same database (REST only, no gateway)."""
    other = DiscordAdapter(desk.runtime, guild_ready_timeout=0.05, identify_delay=False)
    try:
        yield other
    finally:
        await other.client.close()


async def test_a_deferred_command_whose_process_died_is_done_and_answered_by_another(
    dying, replica
):
    desk = dying
    record = await desk.command("alice", "incident", "new", title="VPN drops")
    await desk.fake.wait_for_response(record)
    assert record.callback_type == ix.CALLBACK_DEFERRED_CHANNEL_MESSAGE
    [row] = _rows(desk)
    assert (row.state, row.job) == ("pending", "argv")
    assert row.reply_token and row.reply_token not in row.payload

    _expire_leases(desk)
    assert await replica.pipeline.recover() == 1
    assert (await desk.answer(record)).startswith('Opened INC-1 [P3] "VPN drops"')
    await desk.until(lambda: _rows(desk)[0].state == "done", what="work finished")
    assert _rows(desk)[0].reply_token is None


async def test_taken_over_after_the_token_expired_it_answers_by_dm(dying, replica):
    desk = dying
    await desk.fake.wait_for_response(await desk.command("alice", "desk", "whoami"))
    _expire_leases(desk, received_at=desk.runtime.clock.now() - timedelta(minutes=16))
    assert await replica.pipeline.recover() == 1
    await desk.until(lambda: _rows(desk)[0].state == "done", what="work finished")
    assert any("You are alice" in m["content"] for m in desk.dm_messages("alice"))


async def test_the_same_interaction_delivered_twice_is_acted_on_once(desk):
    payload = desk.fake.command_interaction(
        "incident",
        [ix.subcommand("new", [ix.option("title", "Printer jam")])],
        user=desk.user("alice"),
    )
    first = await desk.fake.dispatch_interaction(payload)
    await desk.answer(first)
    await desk.fake.dispatch_interaction(payload)
    await desk.until(lambda: len(_rows(desk)) == 1 and _rows(desk)[0].state == "done")
    assert len(_rows(desk)) == 1
    with desk.runtime.database.transaction() as session:
        assert len(list(session.scalars(select(IncidentRecord.id)))) == 1
