"""Revision 0002 keeps a database made by 0001 working: its data moves, and the desk runs on it.

Each test builds a database at revision 0001 of its own (a file under tmp_path, or a fresh
PostgreSQL database when DATABASE_URL names one), writes rows with plain SQL the way the
0001-era code wrote them (the models describe the new schema), upgrades to head and then
checks the rows, or drives the real runtime over them.

The story: alice reported INC-1 on Slack 38 hours before the desk was stopped for the
upgrade; bob claimed it. Its card sits in the triage channel on Slack and Discord, alice's
DM thread follows it, one card edit was still waiting to go out, and the resolve-warning
timer fell due while the desk was down.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, create_engine, inspect, select, text

from adapters.slack.threads import dm_thread, incident_of_dm_thread
from bot.config import example_config_path, load_config
from bot.db import Database
from bot.identity import PlatformIdentity, platform_ids
from bot.message_refs import card_ref
from bot.runtime import Runtime
from bot.settings import Settings
from domain.clock import ManualClock
from domain.incidents.records import TimelineEntry
from domain.records import (
    MessageRef,
    OutboxMessage,
    PersonRecord,
    PlatformAccount,
    Timer,
    UtcDateTime,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the desk starts again after the upgrade
OPENED = NOW - timedelta(hours=39)  # a P3: respond in 4h, resolve in 2d, warnings at 80%
CLAIMED = OPENED + timedelta(hours=3, minutes=30)
# The SLA timers 0001-era code wrote for it, and where they stood when the desk stopped.
DUE = {
    "respond_warning": OPENED + timedelta(hours=3, minutes=12),
    "respond_breach": OPENED + timedelta(hours=4),
    "resolve_warning": OPENED + timedelta(hours=38, minutes=24),  # 36 minutes ago
    "resolve_breach": OPENED + timedelta(hours=48),  # 9 hours ahead
}
STATES = {
    "respond_warning": "fired",  # before bob answered
    "respond_breach": "cancelled",  # by bob's claim
    "resolve_warning": "pending",  # fell due while the desk was stopped for the upgrade
    "resolve_breach": "pending",
}

TRIAGE = "service-desk"  # routing.triage of the example configuration
SLACK_CARD = "C0TRIAGE:1700000000.000100"
DISCORD_CARD = "2001:3001"
ALICE_THREAD = "D0ALICE:1700000000.000200"


# -- a database of our own -------------------------------------------------------------------


@pytest.fixture
def empty_database_url(tmp_path, database_url: str) -> Iterator[str]:
    """An empty database for this test only: a file, or a PostgreSQL database made and dropped."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'from_0001.db'}"
        return
    name = f"deskbot_mig0002_{uuid.uuid4().hex[:8]}"
    admin = create_engine(Database(database_url).url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield database_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


@contextmanager
def opened(url: str) -> Iterator[Database]:
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()


def _insert(connection, table: str, **row) -> int:
    """INSERT one row with plain SQL; times are stored the way the 0001 models stored them."""
    names = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    statement = text(f"INSERT INTO {table} ({names}) VALUES ({values}) RETURNING id")
    times = [bindparam(k, type_=UtcDateTime()) for k, v in row.items() if isinstance(v, datetime)]
    if times:
        statement = statement.bindparams(*times)
    return connection.execute(statement, row).scalar_one()


def _person(connection, name, display_name, roles, slack_id=None, discord_id=None) -> int:
    return _insert(
        connection,
        "people",
        name=name,
        display_name=display_name,
        email=f"{name}@example.com",
        roles=roles,
        slack_id=slack_id,
        discord_id=discord_id,
        from_config=True,  # both are people of the example configuration
        created_at=OPENED - timedelta(days=30),
    )


def _outbox(connection, **row) -> int:
    defaults = {
        "created_at": OPENED,
        "context": json.dumps({"incident": {"id": 1, "key": "INC-1"}}),
        "attempts": 0,
        "next_attempt_at": OPENED,
    }
    return _insert(connection, "outbox", **{**defaults, **row})


def make_0001_database(url: str) -> None:
    """Revision 0001 and the rows 0001-era code wrote for INC-1."""
    with opened(url) as database:
        database.upgrade("0001")
        assert database.current_revision() == "0001"
        with database.engine.begin() as c:
            _person(c, "bob", "Bob Baker", "agent", slack_id="U0BOB", discord_id="1001")
            _person(c, "alice", "Alice Archer", "employee", slack_id="U0ALICE")
            incident = _insert(
                c,
                "incidents",
                title="VPN drops every few minutes",
                description="Since this morning, from home.",
                reporter="alice",
                service=None,
                category=None,
                impact="medium",
                urgency="medium",
                priority="P3",
                assignment_group=TRIAGE,
                assignee="bob",
                state="in_progress",
                hold_reason=None,
                resolution=None,
                opened_at=OPENED,
                first_response_at=CLAIMED,
                resolved_at=None,
                closed_at=None,
                updated_at=CLAIMED,
                paused_since=None,
                paused_seconds=0,
                respond_warned=True,
                respond_breached=False,
                resolve_warned=False,
                resolve_breached=False,
                escalation_level=0,
            )
            assert incident == 1
            for at, actor, kind, words in (
                (OPENED, "alice", "opened", "Opened with priority P3"),
                (DUE["respond_warning"], "system", "sla_warning", "SLA warning: time to respond"),
                (CLAIMED, "bob", "claimed", "Claimed by bob"),
            ):
                _insert(
                    c, "timeline_entries", incident_id=1, at=at, actor=actor, kind=kind, text=words
                )
            for kind, due in DUE.items():
                fired = due if STATES[kind] == "fired" else None
                _insert(
                    c,
                    "timers",
                    kind=kind,
                    incident_id=1,
                    due_at=due,
                    state=STATES[kind],
                    fired_at=fired,
                )
            for platform, ref in (("slack", SLACK_CARD), ("discord", DISCORD_CARD)):
                _outbox(
                    c,
                    platform=platform,
                    kind="incident_opened",
                    destination_kind="channel",
                    destination=TRIAGE,
                    incident_id=1,
                    status="sent",
                    attempts=1,
                    sent_at=OPENED + timedelta(seconds=2),
                    external_ref=ref,
                )
            # adapters.slack.threads (0001): a DM thread was a sent outbox row of its own.
            _outbox(
                c,
                platform="slack",
                kind="slack_dm_thread",
                destination_kind="dm",
                destination="alice",
                incident_id=1,
                context="{}",
                status="sent",
                sent_at=OPENED,
                external_ref=ALICE_THREAD,
            )
            # bob's claim edits the card; the desk stopped before that went out.
            _outbox(
                c,
                created_at=CLAIMED,
                platform="slack",
                kind="incident_updated",
                destination_kind="channel",
                destination=TRIAGE,
                incident_id=1,
                status="pending",
                next_attempt_at=CLAIMED,
            )


def upgraded_0001_database(url: str) -> None:
    make_0001_database(url)
    with opened(url) as database:
        database.upgrade("0002")
        assert database.current_revision() == "0002"


@contextmanager
def running_desk(url: str) -> Iterator[Runtime]:
    """The real application on the upgraded database, as `deskbot` builds it."""
    runtime = Runtime(
        Settings(database_url=url, config_path=None),
        load_config(example_config_path()),
        platforms=("console", "slack"),
        clock=ManualClock(NOW),
    )
    try:
        runtime.prepare()
        yield runtime
    finally:
        runtime.close()


def timer_states(database: Database) -> dict[str, tuple[str, str, str, datetime]]:
    with database.transaction() as session:
        return {
            t.kind: (t.subject_type, t.subject_id, t.state, t.due_at)
            for t in session.scalars(select(Timer))
        }


def timeline_kinds(database: Database) -> list[str]:
    with database.transaction() as session:
        query = select(TimelineEntry.kind).where(TimelineEntry.incident_id == 1)
        return list(session.scalars(query.order_by(TimelineEntry.id)))


# -- the data moved --------------------------------------------------------------------------


def test_upgrading_from_0001_moves_platform_ids_cards_dm_threads_and_timers_to_the_new_tables(
    empty_database_url,
):
    url = empty_database_url
    upgraded_0001_database(url)
    with opened(url) as database:
        columns = {c["name"] for c in inspect(database.engine).get_columns("people")}
        assert {"slack_id", "discord_id"}.isdisjoint(columns)
        assert "incident_id" not in {
            c["name"] for c in inspect(database.engine).get_columns("outbox")
        }
        with database.transaction() as session:
            accounts = session.execute(
                select(PersonRecord.name, PlatformAccount.platform, PlatformAccount.user_id).join(
                    PlatformAccount, PlatformAccount.person_id == PersonRecord.id
                )
            )
            assert sorted(accounts) == [
                ("alice", "slack", "U0ALICE"),
                ("bob", "discord", "1001"),
                ("bob", "slack", "U0BOB"),
            ]
            refs = session.scalars(select(MessageRef))
            assert sorted(
                (r.subject_type, r.subject_id, r.platform, r.role, r.person, r.ref) for r in refs
            ) == [
                ("incident", "1", "discord", "card", "", DISCORD_CARD),
                ("incident", "1", "slack", "card", "", SLACK_CARD),
                ("incident", "1", "slack", "dm_thread", "alice", ALICE_THREAD),
            ]
            outbox = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
            assert [(m.platform, m.kind, m.status) for m in outbox] == [
                ("slack", "incident_opened", "sent"),
                ("discord", "incident_opened", "sent"),
                ("slack", "incident_updated", "pending"),
            ]
            assert {(m.subject_type, m.subject_id) for m in outbox} == {("incident", "1")}
            assert [(m.creates_ref, m.updates_ref) for m in outbox] == [
                ("card", None),
                ("card", None),
                (None, "card"),
            ]
            assert outbox[-1].next_attempt_at == CLAIMED
        assert timer_states(database) == {
            kind: ("incident", "1", STATES[kind], DUE[kind]) for kind in DUE
        }
        with database.transaction() as session:
            fired = session.scalar(select(Timer).where(Timer.kind == "respond_warning"))
            assert fired.fired_at == DUE["respond_warning"]
        assert timeline_kinds(database) == ["opened", "sla_warning", "claimed"]


# -- and the desk runs on it -----------------------------------------------------------------


def test_upgrading_from_0001_keeps_cards_accounts_and_dm_threads_where_the_desk_looks(
    empty_database_url,
):
    upgraded_0001_database(empty_database_url)
    with running_desk(empty_database_url) as runtime:
        database = runtime.database
        assert card_ref(database, "slack", 1) == SLACK_CARD
        assert card_ref(database, "discord", 1) == DISCORD_CARD
        assert platform_ids(database, "slack", ["bob", "alice"]) == {
            "bob": "U0BOB",
            "alice": "U0ALICE",
        }
        assert platform_ids(database, "discord", ["bob", "alice"]) == {"bob": "1001"}
        thread = dm_thread(database, subject_type="incident", subject_id=1, person="alice")
        assert thread == ALICE_THREAD
        assert incident_of_dm_thread(database, ref=ALICE_THREAD, person="alice") == 1
        # The configured people were synced at start-up without losing their accounts.
        reply = runtime.dispatcher.execute(
            PlatformIdentity("slack", "U0BOB"), "/incident show INC-1"
        )
        assert reply.ok, reply.text
        assert "INC-1" in reply.text


def test_upgrading_from_0001_keeps_sla_timers_firing_when_they_fall_due(empty_database_url):
    upgraded_0001_database(empty_database_url)
    with running_desk(empty_database_url) as runtime:
        database = runtime.database
        # Only the warning that fell due during the upgrade fires; the breach is still ahead.
        assert runtime.timers.run_due() == 1
        states = timer_states(database)
        assert states["resolve_warning"][2] == "fired"
        assert states["resolve_breach"][2] == "pending"
        assert timeline_kinds(database)[-1] == "sla_warning"
        assert runtime.timers.run_due() == 0

        runtime.clock.advance(DUE["resolve_breach"] - NOW - timedelta(seconds=1))
        assert runtime.timers.run_due() == 0
        runtime.clock.advance(timedelta(seconds=1))
        assert runtime.timers.run_due() == 1
        assert timer_states(database)["resolve_breach"][2] == "fired"
        assert timeline_kinds(database)[-2:] == ["sla_warning", "sla_breach"]


def test_upgrading_from_0001_lets_an_agent_hold_the_incident_and_cancel_its_migrated_timers(
    empty_database_url,
):
    upgraded_0001_database(empty_database_url)
    with running_desk(empty_database_url) as runtime:
        reply = runtime.dispatcher.execute(
            PlatformIdentity("console", "bob"), '/incident hold INC-1 "waiting for the ISP"'
        )
        assert reply.ok, reply.text
        assert {
            kind: state for kind, (_, _, state, _) in timer_states(runtime.database).items()
        } == {
            "respond_warning": "fired",
            "respond_breach": "cancelled",
            "resolve_warning": "cancelled",
            "resolve_breach": "cancelled",
        }
        assert runtime.timers.run_due() == 0
        runtime.clock.advance(timedelta(days=3))
        assert runtime.timers.run_due() == 0
        assert timeline_kinds(runtime.database)[-1] == "held"
