"""Monitoring events on Discord: an alert storm is one card whose embed is edited with its
counts — no message per alert, no thread line per redraw."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from sqlalchemy import func, select

from bot.config import load_config_text
from bot.runtime import Runtime
from domain.clock import ManualClock
from domain.event_settings import EventSettings, Integration
from domain.events import EventRecord, Signal
from domain.events.inbox import put
from tests.discord.harness import DiscordDeskHarness, config_text, settings_for

PROMETHEUS = Integration("prometheus", "alertmanager", "t0ken", service="vpn")


async def _start(database_url: str, fake) -> DiscordDeskHarness:
    """The Discord harness, with a monitoring integration in its config."""
    clock = ManualClock()
    config = load_config_text(config_text(fake))
    events = EventSettings(integrations={"prometheus": PROMETHEUS})
    config = dataclasses.replace(config, policy=dataclasses.replace(config.policy, events=events))
    runtime = Runtime(settings_for(database_url, fake), config, platforms=("discord",), clock=clock)
    await asyncio.to_thread(runtime.prepare)
    desk = DiscordDeskHarness(runtime, fake, clock)
    desk.tasks = [
        asyncio.create_task(desk.adapter.run(desk.stop)),
        asyncio.create_task(runtime.worker.run(desk.stop)),
    ]
    await desk.until(desk.adapter.client.is_ready, what="the client is READY", thread=False)
    return desk


def _alerts(desk: DiscordDeskHarness, first: int, count: int) -> None:
    signals = [
        Signal(
            "alertmanager", f"fp{n}", "trigger", summary="VPN down", severity="critical", group="g"
        )
        for n in range(first, first + count)
    ]
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        put(ctx, "prometheus", signals)
    desk.runtime.worker.wake()


def _events(desk: DiscordDeskHarness) -> int:
    with desk.runtime.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(EventRecord))


def _alerts_field(card) -> str | None:
    fields = card["embeds"][0].get("fields", [])
    return next((f["value"] for f in fields if f["name"].startswith("Alerts from")), None)


async def test_a_storm_is_one_card_whose_embed_is_redrawn(database_url, fake, errors):
    desk = await _start(database_url, fake)
    try:
        _alerts(desk, 0, 100)
        card = await desk.card(1)
        assert _alerts_field(card) == "100 firing of 100 · 100 received"
        _alerts(desk, 100, 100)
        await desk.until(lambda: _events(desk) == 200, what="the second batch processed")
        desk.clock.advance(timedelta(seconds=11))  # the redraw planned 10 s after the first
        desk.runtime.worker.wake()
        await desk.until(
            lambda: (
                _alerts_field(desk.fake.messages[card["id"]]) == "200 firing of 200 · 200 received"
            ),
            what="the card redrawn with 200 alerts",
            thread=False,
        )
        await desk.delivered()
        assert len(desk.channel_messages("service-desk")) == 1  # the card alone
        assert desk.thread_of(card) == []  # no thread line for a redraw
        assert desk.incident(1).state == "new"
    finally:
        await desk.close()
