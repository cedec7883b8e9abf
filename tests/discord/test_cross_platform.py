"""Both at once: one runtime, one event loop, Slack and Discord; a team's channel on both, and an
incident acted on from one platform updates its card on the other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import yaml

from adapters.discord import DiscordAdapter
from adapters.slack import SlackAdapter
from bot.config import load_config_text
from bot.message_refs import card_ref
from bot.runtime import Runtime
from bot.web import build_web_app, listen, serve
from domain.clock import ManualClock
from tests.discord.harness import DiscordDeskHarness, config_text, settings_for
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import SlackSigner
from tests.slack.harness import NETWORK, SECRET, TRIAGE, USERS, add_company_users, blocks_text

SLACK_CHANNELS = {
    "service-desk": TRIAGE,
    "network-team": NETWORK,
    "messaging-team": "C0MESSAGING",
    "major-incidents": "C0MAJOR",
}


def both_platforms(fake) -> str:
    """The Discord test company's config with every channel and person on Slack too."""
    data = yaml.safe_load(config_text(fake))
    for name, channel in SLACK_CHANNELS.items():
        data["channels"][name]["slack"] = channel
    for name, person in data["people"].items():
        person["slack_id"] = USERS[name][0]
    return yaml.safe_dump(data)


class BothDesks(DiscordDeskHarness):
    """The Discord harness plus Slack: its adapter, its events endpoint and its fake API."""

    slack: FakeSlackApi
    http: httpx.AsyncClient

    def slack_card_ts(self, number: int) -> str:
        return card_ref(self.runtime.database, "slack", number).split(":", 1)[1]


@pytest.fixture
async def both(database_url, fake, errors) -> AsyncIterator[BothDesks]:
    with FakeSlackApi() as slack:
        add_company_users(slack)
        settings = settings_for(
            database_url,
            fake,
            slack_bot_token=slack.token,
            slack_signing_secret=SECRET,
            slack_api_url=slack.base_url,
        )
        config = load_config_text(both_platforms(fake))
        clock = ManualClock()
        runtime = Runtime(settings, config, platforms=("slack", "discord"), clock=clock)
        await asyncio.to_thread(runtime.prepare)
        desk = BothDesks(runtime, fake, clock)
        slack_adapter = SlackAdapter(runtime, channel_interval=0.0)
        runtime.add_sender("slack", slack_adapter.sender())
        # As `deskbot run` does it: web server, worker and both adapters in this one loop.
        sock = listen(0, host="127.0.0.1")
        app = build_web_app(runtime, slack_adapter.routes())
        desk.tasks = [
            asyncio.create_task(serve(app, sock, desk.stop)),
            asyncio.create_task(runtime.worker.run(desk.stop)),
            asyncio.create_task(desk.adapter.run(desk.stop)),
            asyncio.create_task(slack_adapter.run(desk.stop)),
        ]
        desk.slack = slack
        desk.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}")
        await desk.until(desk.adapter.client.is_ready, thread=False)
        try:
            yield desk
        finally:
            await desk.http.aclose()
            await desk.close()


def discord_fields(card: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in card["embeds"][0]["fields"]}


async def test_a_claim_on_discord_updates_the_slack_card(both):
    assert isinstance(both.adapter, DiscordAdapter)
    opened = await both.command("alice", "incident", "new", title="VPN drops", service="vpn")
    assert (await both.answer(opened)).startswith('Opened INC-1 [P3] "VPN drops"')
    await both.delivered()
    [slack_card] = await both.slack.async_wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") == TRIAGE
    )
    discord_card = await both.card(1)

    press = await both.press("carol", "deskbot:claim:INC-1", discord_card["id"])
    assert await both.answer(press) == 'You are now working on INC-1 "VPN drops".'
    [update] = await both.slack.async_wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (TRIAGE, slack_card.response["ts"])
    shown = blocks_text(update.args["blocks"])
    assert "*State*\\nIn progress" in shown and "*Assignee*\\n<@U0CAROL>" in shown
    await both.delivered()
    assert discord_fields(await both.card(1))["State"] == "In progress"


async def test_a_claim_on_slack_edits_the_discord_card(both):
    opened = await both.command("alice", "incident", "new", title="Mail stuck", service="email")
    await both.answer(opened)
    await both.delivered()
    ts = await both.until(lambda: both.slack_card_ts(1))

    request = SlackSigner(SECRET).block_action(
        action_id="incident_claim",
        value="INC-1",
        user_id="U0FRANK",
        user_name="frank",
        channel_id=TRIAGE,
        message_ts=ts,
        response_url=both.slack.response_url("claim"),
    )
    response = await both.http.post(
        "/slack/events", content=request.content, headers=request.headers
    )
    assert response.status_code == 200
    [reply] = await both.slack.async_wait_for("response_url")
    assert reply.args["text"] == 'You are now working on INC-1 "Mail stuck".'

    await both.delivered()
    card = await both.card(1)
    assert discord_fields(card)["State"] == "In progress"
    assert discord_fields(card)["Assignee"] == f"<@{both.user_id('frank')}>"
    [line] = [m["content"] for m in both.thread_of(card)]
    assert line.startswith("INC-1 claimed by @frank — now In progress")
    # The team channel is routed to both platforms: the escalation goes to each.
    await both.answer(await both.command("frank", "incident", "assign", id="INC-1", to="network"))
    await both.delivered()
    assert both.channel_messages("network-team")[0]["content"].startswith(
        'INC-1 [P3] "Mail stuck" was escalated to network'
    )
    await both.slack.async_wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") == NETWORK
    )


async def test_a_reset_asked_on_discord_sends_its_one_time_link_there_only(both):
    # alice is on Slack and Discord; a second delivery would mint a second token and void
    # the first link, so the link goes to the platform she asked from.
    asked = await both.command("alice", "desk", "password")
    assert (await both.answer(asked)).startswith("I sent you a one-time link by DM")
    await both.delivered()

    def link() -> bool:
        return any("/reset/" in m.get("content", "") for m in both.dm_messages("alice"))

    assert await both.fake.wait_until(link, 10)
    rows = [m for m in both.outbox() if m.kind == "password_reset_link"]
    assert [m.platform for m in rows] == ["discord"]
    assert not [
        c for c in both.slack.calls("chat.postMessage") if "/reset/" in c.args.get("text", "")
    ]
