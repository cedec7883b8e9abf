"""The event inbox writer (bot/event_intake.py): a row per request, committed before the
answer, many requests to a transaction, processing woken after the commit, and 503 once
the backlog reaches `max_backlog`."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, insert, text

from bot import event_intake
from bot.db import Database
from bot.event_intake import EventIntake, signal_json
from domain.clock import ManualClock
from domain.events.records import EventInbox
from domain.events.signals import ACTIONS, SOURCES, Signal
from tests.monitoring.conftest import (
    AM_TOKEN,
    BACKUPS_TOKEN,
    GENERIC_TOKEN,
    PD_KEY,
    Monitoring,
    bearer,
    event_settings,
    fixture,
)


def signal(key: str, **more) -> Signal:
    return Signal(source="generic", key=key, action="trigger", **more)


def fill_inbox(database: Database, signals: int) -> None:
    """Rows processing has not handled yet, written behind the intake's back."""
    with database.transaction() as session:
        session.execute(
            insert(EventInbox.__table__),
            [
                {
                    "integration": "hooks",
                    "signals": "[]",
                    "count": signals,
                    "received_at": datetime(2026, 1, 5, tzinfo=UTC),
                }
            ],
        )


class InboxHeld:
    """Another connection holding the inbox so nobody can write to it (SQLite: its write
    lock; PostgreSQL: a table lock that still lets the backlog be counted) until
    `release()`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._held, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        with self.database.transaction() as session:
            if not self.database.is_sqlite:
                session.execute(text("LOCK TABLE event_inbox IN EXCLUSIVE MODE"))
            self._held.set()
            self._release.wait(10)

    def __enter__(self) -> InboxHeld:
        self._thread.start()
        assert self._held.wait(5)
        return self

    def release(self) -> None:
        self._release.set()

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._thread.join(5)


def rename(database: Database, table: str, to: str) -> None:
    with database.transaction() as session:
        session.execute(text(f"ALTER TABLE {table} RENAME TO {to}"))


class Commits:
    """Counts the database's commits."""

    def __init__(self, database: Database) -> None:
        self.count = 0
        event.listen(database.engine, "commit", self._commit)

    def _commit(self, _connection) -> None:
        self.count += 1


async def test_each_store_is_one_row_with_its_signals_as_json(monitoring):
    await monitoring.intake.store("hooks", [signal("a", summary="A"), signal("b")])
    await monitoring.intake.store("pd", [signal("c", labels={"x": "1"})])

    first, second = monitoring.rows()
    assert (first.integration, first.count, second.integration, second.count) == (
        "hooks",
        2,
        "pd",
        1,
    )
    assert json.loads(first.signals) == [
        signal("a", summary="A").as_json(),
        signal("b").as_json(),
    ]
    assert [Signal.from_json(s) for s in json.loads(second.signals)] == [
        signal("c", labels={"x": "1"})
    ]


async def test_storing_nothing_writes_no_row(monitoring):
    await monitoring.intake.store("hooks", [])

    assert monitoring.rows() == []


async def test_many_requests_at_once_share_a_few_transactions(monitoring):
    commits = Commits(monitoring.database)

    await asyncio.gather(*(monitoring.intake.store("hooks", [signal(str(i))]) for i in range(300)))

    assert len(monitoring.rows()) == 300
    # One request at a time would take 300 commits; batches take a handful.
    assert commits.count <= 10


async def test_processing_is_woken_after_the_rows_are_committed(monitoring):
    await monitoring.intake.store("hooks", [signal("a")])
    await monitoring.intake.store("hooks", [signal("b")])

    assert monitoring.wakes.calls == 2
    # Each wake saw, from another connection, the row it announced.
    assert monitoring.wakes.rows_seen == [1, 2]


async def test_the_answer_waits_for_the_commit(monitoring):
    """While the database's write lock is held elsewhere, the request waits unanswered;
    it is answered once its row is committed, and the row is there then."""
    assert not await monitoring.intake.overloaded()  # counted: the request will not count
    with InboxHeld(monitoring.database) as held:
        async with monitoring.client() as client:
            request = asyncio.create_task(
                client.post(
                    "/api/v1/events/alertmanager",
                    json=fixture("alertmanager_webhook.json"),
                    headers=bearer(AM_TOKEN),
                )
            )
            await asyncio.sleep(0.5)
            assert not request.done()  # no answer while the row cannot be written
            held.release()
            response = await request

    assert response.status_code == 200
    assert len(monitoring.rows()) == 1


async def test_every_route_answers_503_with_retry_after_when_the_backlog_is_full(
    database,
):
    fill_inbox(database, 100)
    world = Monitoring(database, event_settings(max_backlog=100))
    try:
        async with world.client() as client:
            answers = [
                await client.post(
                    "/api/v1/events/alertmanager",
                    json=fixture("alertmanager_webhook.json"),
                    headers=bearer(AM_TOKEN),
                ),
                await client.post(
                    "/api/v1/events", json={"key": "k"}, headers=bearer(GENERIC_TOKEN)
                ),
                await client.post(
                    "/api/v1/heartbeats/nightly-backup", headers=bearer(BACKUPS_TOKEN)
                ),
                await client.post(
                    "/v2/enqueue",
                    json=fixture("pagerduty_events_v2_resolve.json") | {"routing_key": PD_KEY},
                ),
            ]
    finally:
        world.close()

    assert [a.status_code for a in answers] == [503] * 4
    assert all(a.headers["Retry-After"] == "5" for a in answers)
    assert answers[0].json() == {"error": "overloaded: events are not being processed fast enough"}
    assert answers[3].json()["status"] == "unavailable"  # PagerDuty's error shape
    assert len(world.rows()) == 1  # only the backlog written beforehand


async def test_below_the_backlog_limit_events_are_accepted(database):
    fill_inbox(database, 99)
    world = Monitoring(database, event_settings(max_backlog=101))
    try:
        assert not await world.intake.overloaded()
        await world.intake.store("hooks", [signal("a")])  # 100 now
        assert not await world.intake.overloaded()
        await world.intake.store("hooks", [signal("b")])  # 101: counted without a re-read
        assert await world.intake.overloaded()
    finally:
        world.close()


async def test_the_backlog_is_read_again_at_most_once_a_second(database):
    world = Monitoring(database, event_settings(max_backlog=50))
    try:
        assert not await world.intake.overloaded()
        fill_inbox(database, 50)  # processing fell behind (rows the intake did not write)
        assert not await world.intake.overloaded()  # not re-read yet
        await asyncio.sleep(event_intake.RECOUNT + 0.1)
        assert await world.intake.overloaded()
        with database.transaction() as session:  # processing caught up
            session.query(EventInbox).delete()
        await asyncio.sleep(event_intake.RECOUNT + 0.1)
        assert not await world.intake.overloaded()
    finally:
        world.close()


async def test_signals_still_waiting_for_the_writer_count_toward_the_backlog(database):
    world = Monitoring(database, event_settings(max_backlog=3))
    try:
        assert not await world.intake.overloaded()
        with InboxHeld(database) as held:
            waiting = asyncio.gather(
                *(world.intake.store("hooks", [signal(str(i))]) for i in range(3))
            )
            await asyncio.sleep(0.1)
            assert not waiting.done()
            assert await world.intake.overloaded()  # three queued, none written yet
            held.release()
            await waiting
    finally:
        world.close()


async def test_a_store_that_fails_is_a_503_and_the_writer_goes_on(tmp_path):
    unmigrated = Database(f"sqlite:///{tmp_path / 'no-tables.db'}")  # no event_inbox table
    world = Monitoring(unmigrated, event_settings())
    try:
        async with world.client() as client:
            first = await client.post(
                "/api/v1/events", json={"key": "k"}, headers=bearer(GENERIC_TOKEN)
            )
            second = await client.post(
                "/api/v1/events", json={"key": "k"}, headers=bearer(GENERIC_TOKEN)
            )
    finally:
        world.close()
        unmigrated.dispose()

    # The backlog cannot be counted either: overloaded, and never a 2xx or a 500.
    assert first.status_code == second.status_code == 503
    assert first.headers["Retry-After"] == "5"


async def test_a_store_that_fails_after_the_backlog_check_is_a_503(monitoring, client):
    stored = await client.post("/api/v1/events", json={"key": "k"}, headers=bearer(GENERIC_TOKEN))
    rename(monitoring.database, "event_inbox", "event_inbox_away")  # the table goes missing
    try:
        # Within the second the backlog was counted: the check passes, the write fails.
        response = await client.post(
            "/api/v1/events", json={"key": "k"}, headers=bearer(GENERIC_TOKEN)
        )
    finally:
        rename(monitoring.database, "event_inbox_away", "event_inbox")

    assert stored.status_code == 202
    assert response.status_code == 503
    assert response.json() == {"error": "the events could not be stored; try again"}


async def test_close_writes_what_is_queued_and_a_later_store_starts_again(database):
    intake = EventIntake(database, ManualClock(), event_settings(), lambda: None)
    await intake.store("hooks", [signal("a")])
    intake.close()
    await intake.store("hooks", [signal("b")])
    intake.close()

    with database.transaction() as session:
        assert session.query(EventInbox).count() == 2


labels = st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3)
details = st.dictionaries(
    st.text(max_size=5), st.none() | st.integers() | st.text(max_size=5), max_size=3
)


@given(
    st.builds(
        Signal,
        source=st.sampled_from(SOURCES),
        key=st.text(min_size=1, max_size=10),
        action=st.sampled_from(ACTIONS),
        summary=st.text(max_size=10),
        severity=st.none() | st.text(max_size=5),
        group=st.none() | st.text(max_size=5),
        service=st.none() | st.text(max_size=5),
        labels=labels,
        details=details,
        url=st.none() | st.text(max_size=5),
        at=st.none() | st.text(max_size=5),
    )
)
def test_the_fast_json_of_a_signal_is_exactly_its_as_json(value: Signal):
    assert signal_json(value) == value.as_json()
