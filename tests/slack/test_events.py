"""Monitoring events in Slack: an alert storm is one card in the triage channel, redrawn in
place with its counts — never a message per alert, nor a thread line per redraw."""

from __future__ import annotations

from datetime import timedelta

from domain.clock import ManualClock
from domain.events import Signal
from domain.events.inbox import put
from tests.slack.harness import CONFIG, TRIAGE, SlackDeskHarness, blocks_text

WITH_EVENTS = (
    CONFIG
    + """
events:
  integrations:
    prometheus: {kind: alertmanager, token: t0ken, service: vpn}
"""
)


def _alerts(desk: SlackDeskHarness, first: int, count: int) -> None:
    signals = [
        Signal(
            "alertmanager", f"fp{n}", "trigger", summary="VPN down", severity="critical", group="g"
        )
        for n in range(first, first + count)
    ]
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        put(ctx, "prometheus", signals)


async def test_a_storm_is_one_card_redrawn_with_its_counts(database_url, slack):
    clock = ManualClock()
    desk = SlackDeskHarness.build(database_url, slack, clock=clock, config_text=WITH_EVENTS)
    desk.runtime.add_sender("slack", desk.adapter.sender())
    worker = desk.runtime.worker
    try:
        _alerts(desk, 0, 100)
        await worker.run_once()
        [card] = [c for c in slack.calls("chat.postMessage") if c.ok]
        assert card.args["channel"] == TRIAGE and "INC-1" in card.args["text"]
        assert ":bell: Alerts from prometheus: *100* firing of 100" in blocks_text(
            card.args["blocks"]
        )
        for batch in range(1, 5):  # more of the group, within the 10 s between redraws
            _alerts(desk, batch * 100, 100)
            await worker.run_once()
        assert slack.calls("chat.update") == []  # nothing redrawn yet: it is planned
        clock.advance(timedelta(seconds=11))
        await worker.run_once()
        [update] = slack.calls("chat.update")
        assert update.args["ts"] == card.response["ts"]
        assert ":bell: Alerts from prometheus: *500* firing of 500 · 500 received" in blocks_text(
            update.args["blocks"]
        )
        # One message in all: the card. No thread line for a redraw.
        assert [c.args.get("thread_ts") for c in slack.calls("chat.postMessage")] == [None]
        assert desk.incident_count() == 1
    finally:
        await desk.close()
