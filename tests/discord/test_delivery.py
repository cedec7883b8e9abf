"""Delivery: rate limits and outages delay the outbox and lose nothing; a channel's messages
keep their order; what can never be delivered is marked so and blocks nobody else."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import select, update

from adapters.discord import people as discord_people
from adapters.discord import sender as discord_sender
from adapters.discord.sender import SEND_DEADLINE
from bot.identity import PlatformIdentity
from domain.records import OutboxMessage
from tests.discord.harness import DiscordDeskHarness


async def report(desk: DiscordDeskHarness, title: str, **flags: str) -> None:
    """alice reports an incident from elsewhere (e.g. Slack): only the outbox reaches Discord."""
    identity = PlatformIdentity("discord", desk.user_id("alice"))
    argv = ["incident", "new", title] + [f"--{k}={v}" for k, v in flags.items()]
    reply = await asyncio.to_thread(desk.runtime.dispatcher.execute_argv, identity, argv)
    assert reply.ok, reply.text


def titles(desk: DiscordDeskHarness, channel: str) -> list[str]:
    return [m["embeds"][0]["title"] for m in desk.channel_messages(channel) if m["embeds"]]


async def test_a_short_rate_limit_is_waited_out_by_discord_py(desk):
    triage = desk.fake.channel_ids["service-desk"]
    desk.fake.rate_limit("POST", f"/channels/{triage}/messages", retry_after=0.2)
    await report(desk, "VPN drops")
    await desk.delivered()
    assert [c.status for c in desk.fake.calls("POST", f"/channels/{triage}/messages")] == [429, 200]
    assert titles(desk, "service-desk") == ["INC-1 · P3 · VPN drops"]
    assert desk.outbox()[0].attempts == 1


async def test_a_long_rate_limit_delays_the_channel_in_order_and_loses_nothing(desk):
    triage = desk.fake.channel_ids["service-desk"]
    path = f"/channels/{triage}/messages"
    desk.fake.rate_limit("POST", path, retry_after=45.0)  # longer than we wait in place (30 s)
    await report(desk, "First")
    await desk.until(lambda: desk.outbox()[0].last_error, what="the first attempt failed")
    await report(desk, "Second")
    desk.runtime.worker.wake()
    await desk.until(lambda: len(desk.outbox()) == 2)

    first, second = desk.outbox()
    assert first.status == "pending" and "rate limit" in first.last_error
    assert first.next_attempt_at == desk.clock.now() + timedelta(seconds=45)
    # The second card waits behind the first: a channel's messages never overtake each other.
    assert second.status == "pending" and second.attempts == 0
    assert [c.status for c in desk.fake.calls("POST", path)] == [429]

    desk.clock.advance(timedelta(seconds=46))
    desk.runtime.worker.wake()
    await desk.delivered()
    assert titles(desk, "service-desk") == ["INC-1 · P3 · First", "INC-2 · P3 · Second"]
    assert [c.status for c in desk.fake.calls("POST", path)] == [429, 200, 200]


async def test_an_outage_delays_messages_until_discord_is_back(desk):
    desk.fake.fail("POST", "/channels/*/messages", status=503)
    await report(desk, "Mail stuck", service="email")
    await desk.until(lambda: desk.outbox()[0].attempts >= 1 and desk.outbox()[0].last_error)
    [row] = desk.outbox()
    assert row.status == "pending" and "503" in row.last_error

    desk.fake.clear_faults()
    desk.clock.advance(timedelta(seconds=2))  # the outbox's first back-off
    desk.runtime.worker.wake()
    await desk.delivered()
    assert titles(desk, "service-desk") == ["INC-1 · P3 · Mail stuck"]


async def test_an_unknown_channel_fails_for_good_and_holds_up_nobody(desk):
    del desk.fake.channels[desk.fake.channel_ids["messaging-team"]]  # the channel was deleted
    await report(desk, "Mail stuck", service="vpn")
    await desk.answer(await desk.command("bob", "incident", "assign", id="INC-1", to="messaging"))
    await desk.delivered()
    failed = [r for r in desk.outbox() if r.status == "failed"]
    assert [(r.kind, r.destination) for r in failed] == [("incident_escalated", "messaging-team")]
    assert "Unknown Channel" in failed[0].last_error
    # The triage card and frank's DM (he leads messaging) went out all the same.
    assert any(m["content"].startswith("INC-1 [P3]") for m in desk.dm_messages("frank"))
    card = await desk.card(1)
    assert [m["content"].split(" — ")[0] for m in desk.thread_of(card)] == [
        "INC-1 assigned to team messaging by @bob"
    ]


async def test_a_dm_channel_is_opened_once_per_person(desk):
    await report(desk, "VPN drops", service="vpn")
    for action in ("claim", "resolve"):
        options = {"resolution": "new PSU"} if action == "resolve" else {}
        await desk.answer(await desk.command("carol", "incident", action, id="INC-1", **options))
    await desk.delivered()
    opened = desk.fake.calls("POST", "/users/@me/channels", ok=True)
    assert [c.json["recipient_id"] for c in opened] == [int(desk.user_id("alice"))]
    assert len(desk.dm_messages("alice")) == 2


async def test_a_deleted_card_gets_the_change_posted_in_the_channel(desk):
    await report(desk, "VPN drops", service="vpn")
    card = await desk.card(1)
    del desk.fake.messages[card["id"]]  # someone deleted the card
    await desk.answer(await desk.command("carol", "incident", "claim", id="INC-1"))
    await desk.delivered()
    [post] = desk.channel_messages("service-desk")
    assert post["content"].startswith("INC-1 claimed by @carol — now In progress")
    assert all(r.status == "sent" for r in desk.outbox())


async def test_without_thread_permission_the_change_is_a_reply_to_the_card(desk):
    desk.fake.fail("POST", "/channels/*/messages/*/threads", status=403)
    await report(desk, "VPN drops", service="vpn")
    card = await desk.card(1)
    await desk.answer(await desk.command("carol", "incident", "claim", id="INC-1"))
    await desk.delivered()
    card_now, reply = desk.channel_messages("service-desk")
    assert card_now["id"] == card["id"]
    assert reply["content"].startswith("INC-1 claimed by @carol")
    assert reply["message_reference"]["message_id"] == card["id"]


async def test_text_people_write_can_never_ping_anyone(desk):
    title = "<@111> @everyone <@&222>"
    await report(desk, title, service="vpn")
    await desk.answer(await desk.command("carol", "incident", "claim", id="INC-1"))
    await desk.answer(await desk.command("carol", "incident", "assign", id="INC-1", to="messaging"))
    await desk.delivered()

    posted = [
        c for c in desk.fake.calls("POST", "/channels/", ok=True) if c.route.endswith("}/messages")
    ]
    card = await desk.card(1)
    dm = next(m for m in desk.dm_messages("alice") if "is working on" in m["content"])
    escalation = desk.channel_messages("messaging-team")[0]
    for message in (card, dm, escalation):
        shown = json.dumps([message["content"], message["embeds"]], ensure_ascii=False)
        for ping in ("<@111>", "@everyone", "<@&222>"):
            assert ping not in shown
    # ... yet it reads as typed (a zero-width space after each @), and real mentions stay.
    carol = desk.user_id("carol")
    assert dm["content"] == (
        f'<@{carol}> is working on your incident INC-1 "<@\u200b111> @\u200beveryone <@\u200b&222>".'
    )
    assert card["embeds"][0]["title"] == "INC-1 · P3 · <@\u200b111> @\u200beveryone <@\u200b&222>"
    # Every message deskbot posted may ping only the people its templates mentioned.
    sent = {c.response["id"]: c.json["allowed_mentions"] for c in posted if c.response}
    assert sent[dm["id"]] == {"parse": [], "users": [int(carol)]}
    assert sent[escalation["id"]] == {"parse": [], "users": [int(carol)]}
    assert sent[card["id"]]["parse"] == []
    assert all(a["parse"] == [] for a in sent.values())


async def test_a_delivery_that_would_outlast_the_outbox_lease_is_retried_later(desk):
    # The sender gives up on a delivery at its deadline (30 s; the outbox renews the row's
    # lease meanwhile); here a fraction of a second, against a rate limit ten times as long
    # that discord.py would otherwise sit out in place (it waits up to 30 s per 429).
    sender = desk.adapter.sender()
    assert sender.deadline == SEND_DEADLINE
    sender.deadline = 0.5
    path = f"/channels/{desk.fake.channel_ids['service-desk']}/messages"
    desk.fake.rate_limit("POST", path, retry_after=5.0)
    await report(desk, "VPN drops")
    await desk.until(lambda: desk.outbox()[0].last_error, what="the attempt was given up")

    [row] = desk.outbox()
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error.startswith("RetryLater: Discord did not take it within")
    assert [c.status for c in desk.fake.calls("POST", path)] == [429]

    desk.clock.advance(timedelta(seconds=3))  # the outbox's back-off after a first attempt
    desk.runtime.worker.wake()
    await desk.delivered()
    assert titles(desk, "service-desk") == ["INC-1 · P3 · VPN drops"]  # once, not lost
    assert [c.status for c in desk.fake.calls("POST", path)] == [429, 200]
    assert desk.outbox()[0].attempts == 2


async def test_a_delivery_looks_up_only_the_people_it_may_mention(desk, monkeypatch):
    found: list[dict[str, str]] = []

    def discord_ids(*args):
        ids = discord_people.discord_ids(*args)
        found.append(ids)
        return ids

    monkeypatch.setattr(discord_sender, "discord_ids", discord_ids)
    await report(desk, "VPN drops", service="vpn")
    await desk.answer(await desk.command("carol", "incident", "claim", id="INC-1"))
    await desk.delivered()
    # Not the whole directory (seven people have a Discord id): alice and carol, or fewer.
    assert found and all(set(ids) <= {"alice", "carol"} for ids in found)
    card = await desk.card(1)
    assert card["embeds"][0]["fields"][3]["value"] == f"<@{desk.user_id('alice')}>"
    dm = desk.dm_messages("alice")[-1]["content"]
    assert dm.startswith(f"<@{desk.user_id('carol')}> is working on your incident INC-1")


async def test_a_row_sent_again_after_a_crash_is_not_posted_twice(desk):
    # The worker posted the message and died before recording it: the row is sent again,
    # with the same nonce, and Discord hands back the message it already has.
    await report(desk, "VPN drops")
    await desk.delivered()
    with desk.runtime.database.transaction() as session:
        [row] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "incident_opened")
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(status="pending", next_attempt_at=desk.runtime.clock.now())
        )
    posted = len(desk.fake.messages)
    await desk.delivered()
    assert len(desk.fake.messages) == posted
    assert desk.outbox()[0].status == "sent"
