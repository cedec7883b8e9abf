"""A real deskbot (database, dispatcher, outbox worker, Bolt app under uvicorn) wired to the fake Slack.

async with SlackDeskHarness.start(database_url, slack) as desk:
    await desk.command("U0ALICE", '/incident new "VPN drops"')
    [card] = await desk.slack.async_wait_for("chat.postMessage")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
from sqlalchemy import select, text

from adapters.slack import SlackAdapter
from bot.config import load_config_text
from bot.message_refs import CARD, ref_of
from bot.runtime import Runtime
from bot.settings import Settings
from bot.web import build_web_app
from domain.clock import Clock
from domain.incidents import IncidentRecord
from domain.records import OutboxMessage
from tests.fakes.asgi_server import UvicornThread
from tests.fakes.slack_api import FakeSlackApi, RecordedCall
from tests.fakes.slack_signing import (
    SignedRequest,
    SlackSigner,
    app_home_opened_event,
    message_im_event,
    plain_text_values,
    reaction_event,
)
from tests.harness import TEST_AUDIT_KEY

T = TypeVar("T")
SECRET = "test-signing-secret"
TRIAGE = "C0DESK"
NETWORK = "C0NETWORK"

# Slack user ids of the example company; erin is only known by email (no slack_id in the config).
USERS = {
    "alice": ("U0ALICE", "Alice Archer"),
    "bob": ("U0BOB", "Bob Baker"),
    "dave": ("U0DAVE", "Dave Dalton"),
    "carol": ("U0CAROL", "Carol Chen"),
    "erin": ("U0ERIN", "Erin Evans"),
    "frank": ("U0FRANK", "Frank Fischer"),
    "grace": ("U0GRACE", "Grace Hopper"),
}

CONFIG = """
desk:
  name: Example Corp Service Desk
  default_role: employee
channels:
  service-desk: {slack: C0DESK}
  network-team: {slack: C0NETWORK}
  messaging-team: {slack: C0MESSAGING}
  major-incidents: {slack: C0MAJOR}
routing:
  triage: service-desk
  escalation: major-incidents
  triage_team: service-desk
people:
  alice: {display_name: Alice Archer, email: alice@example.com, roles: [employee], slack_id: U0ALICE}
  bob: {display_name: Bob Baker, email: bob@example.com, roles: [agent], slack_id: U0BOB}
  dave: {display_name: Dave Dalton, email: dave@example.com, roles: [agent], slack_id: U0DAVE}
  carol: {display_name: Carol Chen, email: carol@example.com, roles: [agent], slack_id: U0CAROL}
  erin: {display_name: Erin Evans, email: erin@example.com, roles: [agent]}
  frank: {display_name: Frank Fischer, email: frank@example.com, roles: [agent], slack_id: U0FRANK}
  grace: {display_name: Grace Hopper, email: grace@example.com, roles: [admin], slack_id: U0GRACE}
teams:
  service-desk: {members: [bob, dave], lead: dave, channel: service-desk}
  network: {members: [carol, erin], lead: carol, channel: network-team}
  messaging: {members: [frank], lead: frank, channel: messaging-team}
services:
  vpn: {display_name: Corporate VPN, owner: network, categories: [connectivity, performance]}
  wifi: {display_name: Office Wi-Fi, owner: network}
  email: {display_name: Email and calendars, owner: messaging}
  laptop: {display_name: Laptops and desktops, owner: service-desk}
sla:
  P1: {respond: 15m, resolve: 4h}
  P2: {respond: 30m, resolve: 8h}
  P3: {respond: 4h, resolve: 2d}
  P4: {respond: 1d, resolve: 5d}
  P5: {respond: 2d, resolve: 10d}
"""


def add_company_users(slack: FakeSlackApi) -> None:
    """The example company's Slack accounts, plus a stranger the config does not know."""
    for name, (user_id, real_name) in USERS.items():
        slack.add_user(user_id, name, real_name=real_name, email=f"{name}@example.com")
    slack.add_user("U0ZED", "zed", real_name="Zed Zimmer", email="zed@example.com")


def user_name(user_id: str) -> str:
    return next((n for n, (uid, _) in USERS.items() if uid == user_id), "zed")


class SlackDeskHarness:
    """deskbot with platforms ("slack",) (or console too), its worker running in the test's loop."""

    _ids = itertools.count(1)

    def __init__(
        self, runtime: Runtime, adapter: SlackAdapter, server: UvicornThread, slack: FakeSlackApi
    ) -> None:
        self.runtime = runtime
        self.adapter = adapter
        self.server = server
        self.slack = slack
        self.signer = SlackSigner(SECRET)
        self.http = httpx.AsyncClient(base_url=server.url, timeout=10)
        self.stop = asyncio.Event()
        self._worker: asyncio.Task | None = None

    @classmethod
    def build(
        cls,
        database_url: str,
        slack: FakeSlackApi,
        *,
        platforms: tuple[str, ...] = ("slack",),
        clock: Clock | None = None,
        channel_interval: float = 0.0,
        config_text: str = CONFIG,
    ) -> SlackDeskHarness:
        settings = Settings(
            database_url=database_url,
            config_path=None,
            slack_bot_token=slack.token,
            slack_signing_secret=SECRET,
            slack_api_url=slack.base_url,
            audit_key=TEST_AUDIT_KEY,
        )
        runtime = Runtime(settings, load_config_text(config_text), platforms=platforms, clock=clock)
        runtime.prepare()
        adapter = SlackAdapter(runtime, channel_interval=channel_interval)
        server = UvicornThread(build_web_app(runtime, adapter.routes())).start()
        return cls(runtime, adapter, server, slack)

    def start_worker(self) -> None:
        """Deliver the outbox in the background, as `deskbot run` does."""
        self.runtime.add_sender("slack", self.adapter.sender())
        self._worker = asyncio.create_task(self.runtime.worker.run(self.stop))

    async def close(self) -> None:
        self.stop.set()
        if self._worker is not None:
            await self._worker
        await self.adapter.client.close()  # its sessions, in the web server's loop too
        await self.http.aclose()
        self.server.stop()
        self.runtime.close()

    # ------------------------------------------------------------ inbound
    async def post(self, request: SignedRequest) -> httpx.Response:
        """Deliver a signed request to POST /slack/events, as Slack would."""
        return await self.http.post(
            "/slack/events", content=request.content, headers=request.headers
        )

    def response_id(self) -> str:
        return f"r{next(self._ids)}"

    async def command(self, user_id: str, line: str, **fields: Any) -> str:
        """Type a slash command (e.g. '/incident claim INC-1'); returns its response_url id."""
        command, _, text = line.partition(" ")
        rid = self.response_id()
        fields.setdefault("channel_id", "C0GENERAL")
        response = await self.post(
            self.signer.slash_command(
                command=command,
                text=text,
                user_id=user_id,
                user_name=user_name(user_id),
                response_url=self.slack.response_url(rid),
                **fields,
            )
        )
        assert response.status_code == 200, response.text
        return rid

    async def reply(self, rid: str, timeout: float = 10) -> RecordedCall:
        """The one reply sent to a command's response_url."""
        [call] = await self.slack.async_wait_for(
            "response_url", timeout=timeout, where=lambda c: c.path.endswith("/" + rid)
        )
        return call

    async def say(self, user_id: str, line: str) -> str:
        """Type a slash command and return the text of the ephemeral reply."""
        call = await self.reply(await self.command(user_id, line))
        assert call.args.get("response_type") == "ephemeral"
        return call.args["text"]

    async def press(
        self,
        user_id: str,
        action_id: str,
        value: str,
        *,
        channel: str = TRIAGE,
        message_ts: str = "1700000000.000100",
        **fields: Any,
    ) -> str:
        """Press a button on a message; returns the response_url id of the interaction."""
        rid = self.response_id()
        response = await self.post(
            self.signer.block_action(
                action_id=action_id,
                value=value,
                user_id=user_id,
                user_name=user_name(user_id),
                channel_id=channel,
                message_ts=message_ts,
                response_url=self.slack.response_url(rid),
                **fields,
            )
        )
        assert response.status_code == 200, response.text
        return rid

    async def submit(
        self,
        user_id: str,
        view: dict,
        values: dict[str, str],
        selects: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Submit a modal the app opened, filling its plain-text fields and selects."""
        state = plain_text_values({block: {"value": text} for block, text in values.items()})
        for block, value in (selects or {}).items():
            state[block] = {"value": {"type": "static_select", "selected_option": {"value": value}}}
        return await self.post(
            self.signer.view_submission(
                callback_id=view["callback_id"],
                private_metadata=view["private_metadata"],
                view_id=view["id"],
                values=state,
                user_id=user_id,
                user_name=user_name(user_id),
            )
        )

    async def dm(
        self,
        user_id: str,
        text: str,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        thread_ts: str | None = None,
        ts: str | None = None,
    ) -> dict:
        """The user writes to the bot in its DM; returns the inner event sent."""
        event = message_im_event(text=text, user_id=user_id, ts=ts)
        if thread_ts:
            event["thread_ts"] = thread_ts
        response = await self.post(self.signer.event(event, event_id=event_id, retry_num=retry_num))
        assert response.status_code == 200
        return event

    async def shortcut(
        self,
        user_id: str,
        channel: str,
        message_ts: str,
        *,
        text: str = "",
        author: str | None = "U0BOB",
        callback_id: str = "add_to_timeline",
    ) -> str:
        """Choose a message shortcut on a message; returns the response_url id."""
        rid = self.response_id()
        response = await self.post(
            self.signer.message_action(
                callback_id=callback_id,
                message_ts=message_ts,
                message_text=text,
                message_user=author,
                user_id=user_id,
                user_name=user_name(user_id),
                channel_id=channel,
                response_url=self.slack.response_url(rid),
            )
        )
        assert response.status_code == 200, response.text
        return rid

    async def react(
        self, user_id: str, channel: str, ts: str, *, reaction: str = "pushpin", added=True
    ) -> None:
        """Add (or remove) a reaction on a message."""
        event = reaction_event(
            reaction=reaction, channel_id=channel, ts=ts, user_id=user_id, added=added
        )
        response = await self.post(self.signer.event(event))
        assert response.status_code == 200, response.text

    async def open_home(self, user_id: str) -> None:
        response = await self.post(self.signer.event(app_home_opened_event(user_id=user_id)))
        assert response.status_code == 200

    # ------------------------------------------------------------ outbound
    async def posts(
        self,
        count: int,
        channel: str | None = None,
        timeout: float = 10,
        where: Callable[[RecordedCall], bool] | None = None,
    ) -> list[RecordedCall]:
        """Wait for `count` successful chat.postMessage calls (to `channel`, if given)."""

        def match(call: RecordedCall) -> bool:
            return (
                call.ok
                and (channel is None or call.args.get("channel") == channel)
                and (where is None or where(call))
            )

        return await self.slack.async_wait_for("chat.postMessage", count, timeout, match)

    async def card(self, number: int, subject_type: str = "incident") -> dict:
        """A subject's card as Slack shows it now (after every chat.update)."""
        channel, ts = (await self.card_ref(number, subject_type)).split(":", 1)
        return self.slack.message(channel, ts)

    async def card_ref(self, number: int, subject_type: str = "incident") -> str:
        """Where a subject's card is ("C…:ts"), once its delivery is recorded."""
        return await self.until(
            lambda: ref_of(
                self.runtime.database,
                subject_type=subject_type,
                subject_id=number,
                platform="slack",
                role=CARD,
            ),
            what=f"{subject_type} {number} has a card on Slack",
        )

    async def until(self, condition: Callable[[], Any], timeout: float = 10, what: str = "") -> Any:
        """Poll `condition` (run in a thread) until it is truthy or the deadline passes."""
        deadline = time.monotonic() + timeout
        while True:
            value = await asyncio.to_thread(condition)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s: {what or condition}")
            await asyncio.sleep(0.02)

    def incident(self, number: int) -> IncidentRecord | None:
        with self.runtime.database.transaction() as session:
            return session.get(IncidentRecord, number)

    def record(self, record_type: type[T], number: int) -> T | None:
        """Any stored record by its id (a problem, a suggestion…), as it is now."""
        with self.runtime.database.transaction() as session:
            return session.get(record_type, number)

    def incident_count(self) -> int:
        with self.runtime.database.transaction() as session:
            return len(list(session.scalars(select(IncidentRecord.id))))

    def outbox(self, platform: str = "slack") -> list[OutboxMessage]:
        with self.runtime.database.transaction() as session:
            return list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.platform == platform)
                    .order_by(OutboxMessage.id)
                )
            )

    async def idle(self, timeout: float = 15) -> None:
        """Wait until all work started by requests is done and the outbox is delivered."""
        await self.until(lambda: self.adapter.pipeline.pending == 0, timeout, "requests handled")
        await self.until(
            lambda: all(r.status in ("sent", "failed") for r in self.outbox()),
            timeout,
            "outbox delivered",
        )


@contextlib.contextmanager
def database_held(database) -> Iterator[None]:
    """Hold the database's write lock, so any command's work must wait for it."""
    with database.engine.connect() as connection:
        transaction = connection.begin()  # on SQLite this is BEGIN IMMEDIATE: the write lock
        if not database.is_sqlite:
            connection.execute(text("LOCK TABLE people, incidents IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            transaction.rollback()


def blocks_text(blocks: list[dict] | None) -> str:
    """All the text in a list of Block Kit blocks, for assertions."""
    return json.dumps(blocks or [], ensure_ascii=False)


def button_ids(blocks: list[dict] | None) -> list[str]:
    """The action ids of every button in `blocks`, in order."""
    found = []
    for block in blocks or []:
        for element in block.get("elements", []) + (
            [block["accessory"]] if "accessory" in block else []
        ):
            if element.get("type") == "button":
                found.append(element["action_id"])
    return found
