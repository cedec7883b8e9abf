"""A real deskbot (database, dispatcher, outbox worker, discord.py client) wired to FakeDiscord.

    desk = await DiscordDeskHarness.start(database_url, fake)
    record = await desk.command("alice", "incident", "new", title="VPN drops", service="vpn")
    assert "Opened INC-1" in await desk.answer(record)
    card = await desk.card(1)          # the card message as the fake stores it

People are the example company's, each with a Discord account in the fake's guild (see
`add_company`); "zed" is a stranger, "nina" a stranger with the "Agents" role (mapped to
agent) and "olga" one with the "Duty Managers" role (mapped to admin). `role_mapping` maps
role ids, as deskbot.yaml must.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from adapters.discord import DiscordAdapter
from bot.config import load_config_text
from bot.message_refs import CARD, ref_of
from bot.runtime import Runtime
from bot.settings import Settings
from domain.clock import ManualClock
from domain.incidents import IncidentRecord
from domain.problems import ProblemLink, ProblemRecord, SuggestionRecord
from domain.records import OutboxMessage
from tests.fakes import discord_interactions as ix
from tests.fakes.discord_payloads import role_payload
from tests.fakes.discord_server import FakeDiscord, InteractionRecord
from tests.harness import TEST_AUDIT_KEY

JSON = dict[str, Any]

# Desk name → (Discord username, Discord roles); zed, nina and olga are not in the configuration.
ACCOUNTS = {
    "alice": ("alice.archer", ()),
    "bob": ("bob.baker", ()),
    "dave": ("dave.dalton", ()),
    "carol": ("carol.chen", ()),
    "erin": ("erin.evans", ()),
    "frank": ("frank.fischer", ()),
    "grace": ("grace.hopper", ()),
    "zed": ("zed", ()),
    "nina": ("nina", ("Agents",)),
    "olga": ("olga", ("Duty Managers",)),
}
CONFIGURED = ("alice", "bob", "dave", "carol", "erin", "frank", "grace")
EXTRA_CHANNELS = ("network-team", "messaging-team", "major-incidents", "security", "stakeholders")
ROOMS_CATEGORY = "War rooms"  # where war rooms are made (major.rooms_in)

CONFIG = """
desk: {{name: Example Corp Service Desk, default_role: employee}}
channels:
  service-desk: {{discord: "{service-desk}"}}
  network-team: {{discord: "{network-team}"}}
  messaging-team: {{discord: "{messaging-team}"}}
  major-incidents: {{discord: "{major-incidents}"}}
  security: {{discord: "{security}"}}
  stakeholders: {{discord: "{stakeholders}"}}
  war-rooms: {{discord: "{war-rooms}"}}
routing: {{triage: service-desk, escalation: major-incidents, triage_team: service-desk, security: security}}
people:
  alice: {{display_name: Alice Archer, roles: [employee], discord_id: "{alice}", manager: carol, recovery_email: alice@home.example}}
  bob: {{display_name: Bob Baker, roles: [agent], discord_id: "{bob}"}}
  dave: {{display_name: Dave Dalton, roles: [agent], discord_id: "{dave}"}}
  carol: {{display_name: Carol Chen, roles: [agent], discord_id: "{carol}"}}
  erin: {{display_name: Erin Evans, roles: [agent], discord_id: "{erin}"}}
  frank: {{display_name: Frank Fischer, roles: [agent], discord_id: "{frank}"}}
  grace: {{display_name: Grace Hopper, roles: [admin], discord_id: "{grace}"}}
teams:
  service-desk: {{members: [bob, dave], lead: dave, channel: service-desk}}
  network: {{display_name: Network Operations, members: [carol, erin], lead: carol, channel: network-team}}
  messaging: {{members: [frank], lead: frank, channel: messaging-team}}
services:
  vpn: {{display_name: Corporate VPN, owner: network, categories: [connectivity, performance]}}
  wifi: {{display_name: Office Wi-Fi, owner: network}}
  email: {{display_name: Email and calendars, owner: messaging}}
  laptop: {{display_name: Laptops and desktops, owner: service-desk}}
sla:
  P1: {{respond: 15m, resolve: 4h}}
  P2: {{respond: 30m, resolve: 8h}}
  P3: {{respond: 4h, resolve: 2d}}
  P4: {{respond: 1d, resolve: 5d}}
  P5: {{respond: 2d, resolve: 10d}}
role_mapping:
  discord: {{"{agents}": agent, "{duty-managers}": admin}}
directory:
  groups: {{sales-news: [grace]}}
major:
  channel: major-incidents
  stakeholders: stakeholders
  rooms_in: war-rooms
  archive_after: 1d
access:
  resources:
    prod-db:
      description: Production PostgreSQL (customer data)
      roles: {{read: prod-db-read, admin: prod-db-admin}}
      owners: [carol, frank]
      max_duration: 8h
      default_duration: 4h
      managed: exclusive
      break_glass: {{teams: [network], roles: [read], max_duration: 1h}}
    grafana:
      description: Grafana dashboards
      roles: {{editor: grafana-editors}}
      owners: [dave]
      max_duration: 30d
      default_duration: 7d
      reason_required: false
      self_renew: true
catalog:
  software-licence:
    title: Software licence
    fields:
      product: {{type: text, max_length: 80}}
      seats: {{type: number, min: 1, max: 20, default: 1}}
    approval: {{approvers: [grace, carol]}}
    fulfilment: {{team: service-desk, sla: 1d}}
  new-laptop:
    title: New laptop
    fields:
      model: {{type: choice, choices: [standard, developer]}}
      needed_by: {{type: date}}
    approval: manager
    fulfilment: {{team: service-desk}}
  distribution-list:
    title: Distribution list membership
    fields:
      list: {{type: choice, choices: [sales-news]}}
    fulfilment: {{directory: add_to_group, group: "{{list}}"}}
  workstation:
    title: Engineering workstation
    fields:
      model: {{type: choice, choices: [tower, rack]}}
      owner: {{type: person}}
      needed_by: {{type: date}}
      cpu_cores: {{type: number, min: 8, max: 128}}
      purpose: {{type: long_text}}
      cost_centre: {{type: text, max_length: 12}}
    approval: manager
    fulfilment: {{team: service-desk, sla: 5d}}
"""


def add_company(fake: FakeDiscord) -> None:
    """Channels and accounts of the example company in the fake guild (before anyone connects)."""
    for name in EXTRA_CHANNELS:
        fake.add_text_channel(name)
    fake.add_category(ROOMS_CATEGORY, position=2)
    duty = fake.snowflakes.next()
    fake.role_ids["Duty Managers"] = duty
    fake.roles[duty] = role_payload(duty, "Duty Managers", position=1)
    for username, roles in ACCOUNTS.values():
        fake.add_user(username, roles=roles)


def config_text(fake: FakeDiscord) -> str:
    """deskbot.yaml for the example company with the fake's channel and user ids."""
    ids = {name: fake.channel_ids[name] for name in ("service-desk", *EXTRA_CHANNELS)}
    ids["war-rooms"] = fake.channel_ids[ROOMS_CATEGORY]
    ids |= {desk: fake.user_by_name(ACCOUNTS[desk][0])["id"] for desk in CONFIGURED}
    ids["agents"] = fake.role_ids["Agents"]
    ids["duty-managers"] = fake.role_ids["Duty Managers"]
    return CONFIG.format(**ids)


def settings_for(database_url: str, fake: FakeDiscord, **more: Any) -> Settings:
    """Settings as DISCORD_TOKEN / DISCORD_API_URL / DISCORD_GATEWAY_URL would give them."""
    return Settings(
        database_url=database_url,
        config_path=None,
        discord_token=fake.token,
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
        **{"audit_key": TEST_AUDIT_KEY, **more},
    )


class DiscordDeskHarness:
    """deskbot on Discord only: the adapter holds the gateway, the worker delivers the outbox."""

    def __init__(self, runtime: Runtime, fake: FakeDiscord, clock: ManualClock) -> None:
        self.runtime = runtime
        self.fake = fake
        self.clock = clock
        self.adapter = DiscordAdapter(runtime, guild_ready_timeout=0.05, identify_delay=False)
        self.runtime.add_sender("discord", self.adapter.sender())
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    @classmethod
    async def start(
        cls, database_url: str, fake: FakeDiscord, clock: ManualClock | None = None
    ) -> DiscordDeskHarness:
        """Build the runtime, connect to the fake gateway and wait for READY."""
        clock = clock or ManualClock()
        config = load_config_text(config_text(fake))
        runtime = Runtime(
            settings_for(database_url, fake), config, platforms=("discord",), clock=clock
        )
        await asyncio.to_thread(runtime.prepare)
        desk = cls(runtime, fake, clock)
        desk.tasks = [
            asyncio.create_task(desk.adapter.run(desk.stop)),
            asyncio.create_task(runtime.worker.run(desk.stop)),
        ]
        await desk.until(desk.adapter.client.is_ready, what="the client is READY", thread=False)
        return desk

    async def close(self) -> None:
        """Stop like a process shutting down: gateway closed, worker stopped, database disposed."""
        self.stop.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks), 10)
        self.runtime.close()

    # ------------------------------------------------------------ people
    def user(self, name: str) -> JSON:
        """The Discord user object of a desk person (or of zed / nina)."""
        return self.fake.user_by_name(ACCOUNTS[name][0])

    def user_id(self, name: str) -> str:
        return self.user(name)["id"]

    # ------------------------------------------------------------ inbound
    async def command(
        self, who: str, command: str, sub: str, *, dm: bool = False, **options: Any
    ) -> InteractionRecord:
        """Use /command sub with typed options, as `who`, in #service-desk (or the bot's DM)."""
        leaves = [
            ix.option(
                name, value, ix.OPTION_BOOLEAN if isinstance(value, bool) else ix.OPTION_STRING
            )
            for name, value in options.items()
        ]
        payload = self.fake.command_interaction(
            command, [ix.subcommand(sub, leaves)], user=self.user(who), dm=dm
        )
        return await self.fake.dispatch_interaction(payload)

    async def autocomplete(
        self, who: str, command: str, sub: str, focused: str, typed: str, **options: Any
    ) -> list[JSON]:
        """Type into an option with autocomplete; returns the choices offered."""
        leaves = [ix.option(n, v) for n, v in options.items()]
        leaves.append(ix.option(focused, typed, focused=True))
        record = await self.fake.dispatch_interaction(
            self.fake.autocomplete_interaction(
                command, [ix.subcommand(sub, leaves)], user=self.user(who)
            )
        )
        await self.fake.wait_for_response(record)
        assert record.callback_type == ix.CALLBACK_AUTOCOMPLETE_RESULT
        return record.callback_data["choices"]  # type: ignore[index]

    async def press(self, who: str, custom_id: str, message_id: str) -> InteractionRecord:
        """Press the button `custom_id` on a stored message, as `who`."""
        message = self.fake.messages[message_id]
        shown = [b["custom_id"] for row in message["components"] for b in row["components"]]
        assert custom_id in shown, f"{custom_id} is not on the message (it has {shown})"
        payload = self.fake.button_interaction(
            custom_id, message=message_id, user=self.user(who), channel=message["channel_id"]
        )
        return await self.fake.dispatch_interaction(payload)

    async def choose(
        self, who: str, custom_id: str, message_id: str, value: str
    ) -> InteractionRecord:
        """Choose `value` in the select menu `custom_id` on a stored message, as `who`."""
        message = self.fake.messages[message_id]
        [menu] = [
            c
            for row in message["components"]
            for c in row["components"]
            if c["custom_id"] == custom_id
        ]
        offered = [o["value"] for o in menu["options"]]
        assert value in offered, f"{value} is not in the menu (it offers {offered})"
        payload = self.fake.button_interaction(
            custom_id,
            message=message_id,
            user=self.user(who),
            channel=message["channel_id"],
            component_type=ix.COMPONENT_STRING_SELECT,
            values=[value],
        )
        return await self.fake.dispatch_interaction(payload)

    async def submit(
        self, who: str, opened: InteractionRecord, values: dict[str, str]
    ) -> InteractionRecord:
        """Fill in and submit the form the bot opened in answer to `opened`."""
        await self.fake.wait_for_response(opened)
        assert opened.callback_type == ix.CALLBACK_MODAL, opened.callback_data
        payload = self.fake.modal_submit_for(opened, values, user=self.user(who))
        return await self.fake.dispatch_interaction(payload)

    async def dm(self, who: str, text: str) -> JSON:
        """`who` writes to the bot in their DM (MESSAGE_CREATE over the gateway)."""
        data = self.fake.user_message_create(text, author=self.user(who), dm=True)
        await self.fake.gateway.dispatch("MESSAGE_CREATE", data)
        return data

    # ------------------------------------------------------------ what people see
    async def answer(self, record: InteractionRecord, timeout: float = 10) -> str:
        """The text the person sees in answer to an interaction (deferred, then edited)."""
        await self.fake.wait_for_response(record, timeout)
        if record.callback_type == ix.CALLBACK_CHANNEL_MESSAGE:
            return record.callback_data["content"]  # type: ignore[index]

        def edited() -> str | None:
            message = self.fake.messages.get(record.original_message_id or "")
            if message is None or message["flags"] & ix.FLAG_LOADING:
                return None
            return message["content"]

        return await self.fake.wait_until(edited, timeout)

    def is_private(self, record: InteractionRecord) -> bool:
        """Whether only the asker sees the response (an ephemeral message)."""
        message = self.fake.messages[record.original_message_id]  # type: ignore[index]
        return bool(message["flags"] & ix.FLAG_EPHEMERAL)

    def channel_messages(self, channel: str) -> list[JSON]:
        """Messages posted in a channel (by name, or a DM/thread by id), oldest first.

        Interaction responses are left out: the fake keeps them in the channel too.
        """
        channel_id = self.fake.channel_ids.get(channel, channel)
        return [m for m in self.fake.messages_in(channel_id) if "interaction_metadata" not in m]

    def dm_messages(self, who: str) -> list[JSON]:
        """Messages posted in `who`'s DM with the bot (theirs and the bot's)."""
        channel_id = self.fake.dm_channels.get(self.user_id(who))
        return self.channel_messages(channel_id) if channel_id else []

    async def card(self, number: int, subject_type: str = "incident") -> JSON:
        """A subject's card message (an incident's by default) as the fake stores it now."""
        ref = await self.until(
            lambda: ref_of(
                self.runtime.database,
                subject_type=subject_type,
                subject_id=number,
                platform="discord",
                role=CARD,
            ),
            what=f"{subject_type} {number} card",
        )
        return self.fake.messages[ref.split(":")[1]]

    def thread_of(self, card: JSON) -> list[JSON]:
        """Messages in the thread started on a card (its id is the card's id)."""
        return self.channel_messages(card["id"])

    # ------------------------------------------------------------ the desk's own records
    def incident(self, number: int) -> IncidentRecord | None:
        with self.runtime.database.transaction() as session:
            return session.get(IncidentRecord, number)

    def problem(self, number: int) -> ProblemRecord | None:
        with self.runtime.database.transaction() as session:
            return session.get(ProblemRecord, number)

    def suggestion(self, number: int) -> SuggestionRecord | None:
        with self.runtime.database.transaction() as session:
            return session.get(SuggestionRecord, number)

    def linked(self, problem: int) -> list[int]:
        """The incidents linked to a problem, as stored."""
        with self.runtime.database.transaction() as session:
            query = select(ProblemLink.incident_id).where(ProblemLink.problem_id == problem)
            return sorted(session.scalars(query))

    def outbox(self) -> list[OutboxMessage]:
        with self.runtime.database.transaction() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    async def delivered(self, timeout: float = 10) -> None:
        """Wait until every outbox row is sent (or failed for good)."""
        await self.until(
            lambda: all(r.status in ("sent", "failed") for r in self.outbox()),
            timeout,
            "outbox delivered",
        )

    async def until(
        self,
        condition: Callable[[], Any],
        timeout: float = 10,
        what: str = "",
        *,
        thread: bool = True,
    ) -> Any:
        """Poll `condition` until it is truthy or the deadline passes (no fixed sleeps)."""
        deadline = time.monotonic() + timeout
        while True:
            value = await asyncio.to_thread(condition) if thread else condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"not within {timeout}s: {what or condition}")
            await asyncio.sleep(0.01)


class ErrorLog(logging.Handler):
    """ERROR records from discord.py and from the adapter: a test fails on any not allowed."""

    LOGGERS = ("discord", "adapters.discord", "bot.pipeline")

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.allowed: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def allow(self, text: str) -> None:
        """Tolerate ERROR records whose message contains `text`."""
        self.allowed.append(text)

    @property
    def unexpected(self) -> list[logging.LogRecord]:
        return [r for r in self.records if not any(a in r.getMessage() for a in self.allowed)]

    def install(self) -> ErrorLog:
        for name in self.LOGGERS:
            logging.getLogger(name).addHandler(self)
        return self

    def uninstall(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self)

    def report(self) -> str:
        fmt = logging.Formatter("%(name)s %(levelname)s: %(message)s")
        return "\n\n".join(fmt.format(r) for r in self.unexpected)
