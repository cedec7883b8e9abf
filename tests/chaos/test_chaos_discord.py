"""The chaos test on Discord: two `deskbot discord` and two `deskbot worker` processes on a
PostgreSQL of their own, Discord played locally by FakeDiscord (gateway and REST); a few
dozen `/incident new` interactions over the gateway while one `deskbot discord` and one
worker are killed with SIGKILL and PostgreSQL is restarted.

Asserted afterwards: every acknowledged (deferred) interaction was acted on exactly once and
answered; every card was posted once, in order, in the triage channel; every SLA warning
that fell due fired once and was posted once. Runs on PostgreSQL only; the figures go to
docs/reliability.md.

Which processes: `deskbot serve` holds no Discord connection (bot/cli.py `run_services`:
serve runs only Slack live), so the Discord replicas are `deskbot discord` (gateway,
interactions, taking over abandoned work) and `deskbot worker` (outbox delivery over REST,
taking over abandoned work too).

What the test relies on in FakeDiscord with two gateway sessions for one token: its gateway
keeps one `current_session`; an IDENTIFY marks the session before it invalidated (its socket
stays open) and `gateway.dispatch` / `dispatch_interaction` send only on the current session,
so the first process to connect would never hear of anything. What real Discord does with
two unsharded sessions of one bot is not documented (reports differ: every session, or one
of them); deskbot copes with either, as it stores `interaction:<id>` before deferring. So
the test chooses the sessions itself: `DiscordThread.dispatch` registers the interaction as
`FakeDiscord.dispatch_interaction` does and sends INTERACTION_CREATE on the chosen sessions
whose socket is open (through the gateway's `dispatch_on`, which ignores
`invalidated`). Interactions alternate between the two `deskbot discord` sessions, every
fifth goes to both (the same interaction on two replicas), and after the kill they go to the
survivor only. Bot messages the fake echoes over the gateway go to its current session; the
desk's intents (guilds, DMs) ask for none of the triage channel's.

Acknowledged = the fake recorded a deferred callback (type 5) within its 3-second deadline.
An interaction answered at once with a message (type 4: deskbot's apology when it could not
store it, e.g. while PostgreSQL restarts) was not acknowledged as work: the person was told
to try again. Answered = the deferred reply edited (PATCH @original, or a follow-up) or,
once taken over without a usable token, a DM, each saying `Opened INC-n [P3] "chaos k"`.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from tests.chaos.support import Deskbot, postgres_only, print_logs, query, sla_warnings, wait_for
from tests.discord.harness import ACCOUNTS, add_company, config_text
from tests.fakes import discord_interactions as ix
from tests.fakes.discord_server import FakeDiscord, InteractionRecord

COMMANDS = 60
BURST = 8  # interactions sent at once to the `deskbot discord` about to be killed
TWICE_EVERY = 5  # every fifth interaction goes to both sessions, as real Discord sends it
PACE = 0.1  # seconds between interactions
DUPLICATE_CARDS_ALLOWED = 0  # Discord posts carry the outbox row as nonce (enforce_nonce)
OPENED = re.compile(r'Opened INC-(\d+) \[P\d\] "chaos (\d+)"')
CARD = re.compile(r"INC-(\d+) · P\d · chaos (\d+)")
WARNING = re.compile(r"SLA warning: INC-(\d+) ")
INCIDENT = re.compile(r"INC-(\d+)\b")

pytestmark = postgres_only


def chaos_config(fake: FakeDiscord) -> str:
    """The Discord test company; P3 is answered within a minute, so its SLA warning (at 75%)
    falls due during the run."""
    text = config_text(fake)
    assert "P3: {respond: 4h, resolve: 2d}" in text
    return text.replace("P3: {respond: 4h, resolve: 2d}", "P3: {respond: 1m, resolve: 2d}")


@dataclass
class Seen:
    """What FakeDiscord holds, copied in its own thread so the test reads it at leisure."""

    interactions: dict[str, InteractionRecord]
    messages: dict[str, dict]
    calls: list[tuple[str, str, int, Any]]  # method, path, status, JSON body
    triage: str
    alice_dm: str | None
    app_id: str
    sent: dict[str, int] = field(default_factory=dict)  # interaction id -> n
    # The message each accepted channel post returned: an id twice is a post sent again
    # (after a crash) that the fake answered with the message it had for the nonce.
    posted: list[str] = field(default_factory=list)

    def messages_in(self, channel_id: str | None) -> list[dict]:
        found = [m for m in self.messages.values() if m["channel_id"] == channel_id]
        return sorted(found, key=lambda m: int(m["id"]))

    def webhook_answers(self, record: InteractionRecord) -> list[str]:
        """Texts the bot sent through an interaction's token (edits of @original, follow-ups)."""
        prefix = f"/webhooks/{self.app_id}/{record.token}"
        return [
            (body or {}).get("content") or ""
            for method, path, status, body in self.calls
            if 200 <= status < 300
            and (
                (method == "PATCH" and path == f"{prefix}/messages/@original")
                or (method == "POST" and path == prefix)
            )
        ]

    def dm_answers(self) -> dict[int, list[int]]:
        """k -> the incident of every DM in which the bot told alice that chaos k was opened."""
        found: dict[int, list[int]] = {}
        for message in self.messages_in(self.alice_dm):
            if message["author"]["id"] == self.app_id:
                for number, k in OPENED.findall(message["content"]):
                    found.setdefault(int(k), []).append(int(number))
        return found


class DiscordThread:
    """FakeDiscord served from an event loop on a thread of the test process (the deskbot
    processes reach it over loopback); everything touching it runs in that loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.fake: FakeDiscord | None = None
        self.sent: dict[str, int] = {}  # interaction id -> n

    def __enter__(self) -> DiscordThread:
        self.thread.start()
        self.fake = self.run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.fake is not None:
                self.run(self.fake.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    async def _start(self) -> FakeDiscord:
        fake = FakeDiscord()
        add_company(fake)
        return await fake.start()

    def run(self, coroutine, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, function, *args) -> Any:
        async def call():
            return function(*args)

        return self.run(call())

    # ------------------------------------------------------------ sessions
    def live_sessions(self) -> list[str]:
        """Ids of the identified sessions whose socket is open, oldest first."""

        def live() -> list[str]:
            return [
                s.session_id
                for s in self.fake.gateway.sessions.values()
                if s.connection is not None and not s.connection.closed
            ]

        return self.call(live)

    def wait_for_session(self, known: list[str], timeout: float = 60) -> str:
        """The id of a live session not in `known` (a process that just identified)."""
        found: list[str] = []
        wait_for(
            lambda: found.extend(s for s in self.live_sessions() if s not in known) or found,
            timeout,
            "a deskbot discord process to identify on the gateway",
        )
        return found[0]

    # ------------------------------------------------------------ interactions
    def dispatch(self, sessions: list[str], *options: dict, command: str, sub: str) -> str:
        """Send one slash command as alice in #service-desk on `sessions`; its interaction id."""

        async def dispatch() -> str:
            fake = self.fake
            payload = fake.command_interaction(
                command,
                [ix.subcommand(sub, list(options))],
                user=fake.user_by_name(ACCOUNTS["alice"][0]),
            )
            loop = asyncio.get_running_loop()
            record = InteractionRecord(payload=payload, dispatched_at=loop.time())
            fake.interactions[record.id] = record
            for session_id in sessions:
                session = fake.gateway.sessions[session_id]
                await fake.gateway.dispatch_on(session, "INTERACTION_CREATE", payload)
            return record.id

        return self.run(dispatch())

    def new_incident(self, n: int, sessions: list[str]) -> str:
        interaction = self.dispatch(
            sessions, ix.option("title", f"chaos {n}"), command="incident", sub="new"
        )
        self.sent[interaction] = n
        return interaction

    def callback(self, interaction: str) -> int | None:
        return self.call(lambda: self.fake.interactions[interaction].callback_type)

    def seen(self) -> Seen:
        def snapshot() -> Seen:
            fake = self.fake
            alice = fake.user_by_name(ACCOUNTS["alice"][0])["id"]
            return Seen(
                interactions=copy.deepcopy(fake.interactions),
                messages=copy.deepcopy(fake.messages),
                calls=[(c.method, c.path, c.status, copy.deepcopy(c.json)) for c in fake.requests],
                triage=fake.channel_ids["service-desk"],
                alice_dm=fake.dm_channels.get(alice),
                app_id=fake.app_id,
                sent=dict(self.sent),
                posted=[
                    c.response["id"]
                    for c in fake.requests
                    if c.ok and c.route == "/channels/{channel_id}/messages" and c.method == "POST"
                ],
            )

        return self.call(snapshot)


def test_no_acknowledged_discord_interaction_is_lost_or_done_twice_through_kills_and_a_restart(
    cluster, tmp_path
):
    pg, url = cluster
    with DiscordThread() as discord:
        fake = discord.fake
        config = tmp_path / "deskbot.yaml"
        config.write_text(discord.call(chaos_config, fake))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
        env |= {
            "DATABASE_URL": url,
            "DESKBOT_CONFIG": str(config),
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_URL": fake.api_url,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
        }
        processes: list[Deskbot] = []
        try:
            first = Deskbot("discord", env, tmp_path / "discord-1.log")
            processes.append(first)
            first_session = discord.wait_for_session([])  # it migrated the empty database
            second = Deskbot("discord", env, tmp_path / "discord-2.log")
            workers = [Deskbot("worker", env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
            processes += [second, *workers]
            second_session = discord.wait_for_session([first_session])
            for session in (first_session, second_session):
                _warm_up(discord, session)
            sent, figures = _send_interactions(
                discord, (first, second), (first_session, second_session), workers, pg
            )
            # Callbacks come within the fake's 3-second deadline or never.
            time.sleep(fake.interaction_deadline + 1)
            acknowledged = _acknowledged(discord.seen())

            def incidents() -> int:
                return query(url, "SELECT count(*) FROM incidents")[0][0]

            # Waits that time out are not failures yet: _check says what is missing.
            waits = [
                (120, "every answer", lambda: _answered(discord.seen(), acknowledged)),
                (90, "no work left", lambda: _pending_work(url) == 0),
                (120, "every card", lambda: len(_posted(discord.seen(), "card")) >= incidents()),
                # The SLA warnings fall due 45 s after each incident.
                (180, "SLA warnings fired", lambda: sla_warnings(url) >= incidents()),
                (
                    60,
                    "SLA warnings posted",
                    lambda: len(_posted(discord.seen(), "warning")) >= sla_warnings(url),
                ),
            ]
            for timeout, what, condition in waits:
                if not _settle(condition, timeout):
                    figures[f"timed out waiting for {what}"] = timeout
                    break
            time.sleep(3)
            _check(discord.seen(), url, sent, figures)
        finally:
            for process in processes:
                process.stop()
            print_logs(tmp_path)


def _settle(condition, timeout: float) -> bool:
    """Whether `condition` came true within `timeout` seconds."""
    try:
        wait_for(condition, timeout, "")
    except TimeoutError:
        return False
    return True


def _pending_work(url: str) -> int:
    return query(url, "SELECT count(*) FROM inbound_work WHERE state = 'pending'")[0][0]


def _warm_up(discord: DiscordThread, session: str) -> None:
    """`/desk whoami` on a session until it is answered: the process is ready for commands."""
    interaction = discord.dispatch([session], command="desk", sub="whoami")

    def answered() -> bool:
        seen = discord.seen()
        record = seen.interactions[interaction]
        return any(a.startswith("You are alice") for a in seen.webhook_answers(record))

    wait_for(answered, 60, "the warm-up command answered")


def _send_interactions(discord, gateways, sessions, workers, pg) -> tuple[list[str], Counter]:
    """Send the interactions, paced; break things on the way."""
    figures: Counter = Counter()
    sent: list[str] = []
    restart: threading.Thread | None = None
    restart_failed: list[BaseException] = []

    def restart_database() -> None:
        figures["at restart"] = round(time.monotonic(), 2)
        try:
            pg.restart()
        except BaseException as exc:
            restart_failed.append(exc)
        figures["at restarted"] = round(time.monotonic(), 2)

    for n in range(COMMANDS):
        # Both processes' sessions, then only the survivor's (or a session opened again).
        live = discord.live_sessions() or list(sessions)
        targets = live if n % TWICE_EVERY == 0 and len(live) > 1 else [live[n % len(live)]]
        figures["sent to both sessions"] += len(targets) > 1
        sent.append(discord.new_incident(n, targets))
        if n == COMMANDS // 3:
            # A burst at the first `deskbot discord`, killed while it is still working on
            # it: what it deferred and did not finish is left for the others to take over.
            burst = [discord.new_incident(COMMANDS + k, [sessions[0]]) for k in range(BURST)]
            sent += burst
            deadline = time.monotonic() + 5
            while sum(discord.callback(i) is not None for i in burst) < BURST // 2:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.005)
            figures["burst deferred before the kill"] = sum(
                discord.callback(i) is not None for i in burst
            )
            gateways[0].kill()  # deferred some of the burst, and still at work
            workers[0].kill()  # perhaps mid-send
            figures["killed"] = 2
            figures["at kill"] = round(time.monotonic(), 2)
        if n == COMMANDS * 2 // 3:
            # Interactions keep coming while PostgreSQL restarts.
            restart = threading.Thread(target=restart_database)
            restart.start()
            figures["database restarts"] = 1
        time.sleep(PACE)
    if restart is not None:
        restart.join(120)
    if restart_failed:
        raise restart_failed[0]
    figures["sent"] = len(sent)
    return sent, figures


def _acknowledged(seen: Seen) -> dict[str, int]:
    """Interaction id -> n of the interactions deferred in time."""
    return {
        i: n
        for i, n in seen.sent.items()
        if seen.interactions[i].callback_type == ix.CALLBACK_DEFERRED_CHANNEL_MESSAGE
    }


def _answers(seen: Seen, interaction: str, n: int, dms: dict[int, list[int]]) -> list[int]:
    """The incident named by every answer saying chaos n was opened: through the
    interaction's token, or by DM."""
    record = seen.interactions[interaction]
    said = [OPENED.search(text) for text in seen.webhook_answers(record)]
    return [int(found.group(1)) for found in said if found] + dms.get(n, [])


def _answered(seen: Seen, acknowledged: dict[str, int]) -> bool:
    dms = seen.dm_answers()
    return all(_answers(seen, i, n, dms) for i, n in acknowledged.items())


def _triage_posts(seen: Seen) -> list[tuple[int, str, int]]:
    """(incident number, what, outbox row) for every bot post in the triage channel naming an
    incident, in the order posted. What: "card", "warning" (its SLA warning) or "notice"
    (anything else, e.g. back to triage after the breach). The outbox row is the nonce."""
    found = []
    for message in seen.messages_in(seen.triage):
        if message["author"]["id"] != seen.app_id or "interaction_metadata" in message:
            continue
        row = int(str(message.get("nonce") or "deskbot-0").removeprefix("deskbot-"))
        titles = " ".join(e.get("title") or "" for e in message.get("embeds") or [])
        content = message.get("content") or ""
        if card := CARD.search(titles):
            found.append((int(card.group(1)), "card", row))
        elif warning := WARNING.match(content):
            found.append((int(warning.group(1)), "warning", row))
        else:
            text = content + " " + json.dumps(message.get("embeds") or [])
            found += [(int(k), "notice", row) for k in sorted(set(INCIDENT.findall(text)))]
    return found


def _posted(seen: Seen, what: str) -> Counter:
    """How many posts of a kind each incident has in the triage channel."""
    return Counter(number for number, kind, _ in _triage_posts(seen) if kind == what)


def _check(seen: Seen, url: str, sent: list[str], figures: Counter) -> None:
    acknowledged = _acknowledged(seen)
    callbacks = Counter(seen.interactions[i].callback_type for i in sent)
    incidents = {title: number for number, title in query(url, "SELECT id, title FROM incidents")}
    titles = Counter(t for (t,) in query(url, "SELECT title FROM incidents"))
    dms = seen.dm_answers()
    answers = {n: _answers(seen, i, n, dms) for i, n in acknowledged.items()}
    lost = sorted(n for n in acknowledged.values() if titles[f"chaos {n}"] == 0)
    unanswered = sorted(n for n, said in answers.items() if not said)
    posts = _triage_posts(seen)
    cards = [number for number, what, _ in posts if what == "card"]
    duplicated_cards = len(cards) - len(set(cards))
    rows = [row for _, _, row in posts]
    warnings = Counter(
        i
        for (i,) in query(
            url, "SELECT incident_id FROM timeline_entries WHERE kind = 'sla_warning'"
        )
    )
    taken_over = query(url, "SELECT count(*) FROM inbound_work WHERE attempts >= 1")[0][0]
    done = Counter(
        seen.interactions[i].callback_type for i, n in seen.sent.items() if titles[f"chaos {n}"]
    )
    figures = dict(figures) | {
        "acknowledged": len(acknowledged),
        "answered at once (not stored: told to try again)": callbacks[ix.CALLBACK_CHANNEL_MESSAGE],
        "not acknowledged": callbacks[None],
        "not acknowledged, done anyway": done[None],
        "told to try again, done anyway": done[ix.CALLBACK_CHANNEL_MESSAGE],
        "incidents": sum(titles.values()),
        "taken over from a dead process": taken_over,
        "answers repeated": sum(len(said) - 1 for said in answers.values() if said),
        "answered by DM": sum(len(found) for found in dms.values()),
        "cards duplicated": duplicated_cards,
        "posts sent again, kept once by their nonce": len(seen.posted) - len(set(seen.posted)),
        "SLA warnings": sum(warnings.values()),
        "SLA warnings posted": sum(_posted(seen, "warning").values()),
        "triage posts after a later-written one": sum(a > b for a, b in pairwise(rows)),
        "acknowledged but lost": len(lost),
        "acknowledged but unanswered": len(unanswered),
    }
    print("discord chaos figures:", dict(sorted(figures.items())))

    # Inbound: every acknowledged interaction acted on once, and answered.
    assert lost == [], f"acknowledged, never acted on: chaos {lost}"
    acted = {n: titles[f"chaos {n}"] for n in acknowledged.values()}
    assert all(count == 1 for count in acted.values()), {n: c for n, c in acted.items() if c != 1}
    # Unacknowledged interactions may or may not have been acted on; none twice.
    assert max(titles.values(), default=0) <= 1, [t for t, c in titles.items() if c > 1]
    assert unanswered == [], f"acknowledged, never answered: chaos {unanswered}"
    # Every answer names the incident its interaction opened.
    wrong = {n: said for n, said in answers.items() if set(said) != {incidents[f"chaos {n}"]}}
    assert wrong == {}, f"answers naming another incident: {wrong}"
    # The documented bound: at most one repeated answer per crash (two kills, one restart).
    repeated = figures["answers repeated"]
    assert repeated <= 3 * BURST, f"{repeated} answers repeated"

    # Outbound: one card per incident, none twice (nonce), nothing about an incident before
    # its card, and an incident's posts in the order they were written.
    assert set(cards) == set(incidents.values()), "an incident's card never reached the channel"
    assert duplicated_cards <= DUPLICATE_CARDS_ALLOWED, f"cards posted twice: {cards}"
    first: dict[int, str] = {}
    for number, what, _ in posts:
        first.setdefault(number, what)
    early = sorted(n for n, what in first.items() if what != "card")
    assert early == [], f"posts before their incident's card: {early}"
    by_incident: dict[int, list[int]] = {}
    for number, _, row in posts:
        by_incident.setdefault(number, []).append(row)
    disordered = {n: rs for n, rs in by_incident.items() if rs != sorted(rs)}
    assert disordered == {}, f"an incident's posts out of written order: {disordered}"

    # Timers: every SLA warning that fell due fired once and was posted once.
    assert set(warnings.values()) == {1}, "an SLA warning fired twice"
    never = sorted(set(incidents.values()) - set(warnings))
    assert never == [], f"SLA warnings that fell due and never fired: {never}"
    posted = _posted(seen, "warning")
    assert posted == Counter(dict.fromkeys(warnings, 1)), f"SLA warnings posted: {posted}"
    failed = query(url, "SELECT count(*) FROM timers WHERE state = 'failed'")[0][0]
    assert failed == 0, f"{failed} timers failed"
    failed = query(url, "SELECT count(*) FROM outbox WHERE status = 'failed'")[0][0]
    assert failed == 0, f"{failed} outbox rows failed"
    assert _pending_work(url) == 0, "inbound work left pending"
