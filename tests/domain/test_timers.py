"""Timers for any subject: each kind fired by the handler its process registered, in
batches, where one failing handler undoes only its own timer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from domain import timers
from domain.context import SYSTEM
from domain.incidents import IncidentRecord, TimelineEntry, get_incident
from domain.incidents.lifecycle import record_event
from domain.records import Timer

NEW = '/incident new "Printer jams" --impact low --urgency low'


@pytest.fixture
def ping_kind():
    """A timer kind a test process registers: it writes a timeline entry, or fails for
    incidents whose title says so."""

    @timers.timer_handler("test_ping")
    def ping(ctx, timer, incident: IncidentRecord) -> None:
        if "boom" in incident.title:
            raise RuntimeError("this handler fails")
        record_event(ctx, incident, SYSTEM, "ping", f"ping {timer.id}")
        if "late" in incident.title:
            raise RuntimeError("this handler fails after writing")

    yield "test_ping"
    del timers.HANDLERS["test_ping"]


def _schedule(desk, number: int, kind: str, after: timedelta) -> None:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        incident = get_incident(ctx, number)
        timers.schedule(ctx, incident, kind, ctx.clock.now() + after)


def _timers(desk, kind: str) -> list[Timer]:
    with desk.runtime.database.transaction() as session:
        return list(session.scalars(select(Timer).where(Timer.kind == kind).order_by(Timer.id)))


def _pings(desk) -> list[int]:
    with desk.runtime.database.transaction() as session:
        return list(
            session.scalars(
                select(TimelineEntry.incident_id)
                .where(TimelineEntry.kind == "ping")
                .order_by(TimelineEntry.incident_id)
            )
        )


def test_a_process_s_own_timer_kind_fires_through_its_handler(desk, ping_kind):
    desk.say("alice", NEW)
    _schedule(desk, 1, ping_kind, timedelta(minutes=5))
    desk.advance(minutes=4)
    assert _pings(desk) == []
    desk.advance(minutes=1)
    assert _pings(desk) == [1]
    [timer] = _timers(desk, ping_kind)
    assert (timer.subject_type, timer.subject_id, timer.state) == ("incident", "1", "fired")


@pytest.mark.parametrize("failing", ["boom", "late failure"])
def test_one_failing_handler_does_not_undo_the_others_in_its_batch(desk, ping_kind, failing):
    # "late failure" writes its timeline entry before failing: that entry is gone with it,
    # and the others' are there once, though the batch was fired twice (whole, then one by
    # one).
    for title in ("first", failing, "third"):
        desk.say("alice", f'/incident new "{title}"')
    for number in (1, 2, 3):
        _schedule(desk, number, ping_kind, timedelta(minutes=1))
    desk.advance(minutes=1)
    assert _pings(desk) == [1, 3]
    assert [t.state for t in _timers(desk, ping_kind)] == ["fired", "failed", "fired"]
    desk.advance(minutes=10)  # a failed timer is not tried again
    assert _pings(desk) == [1, 3]


def test_a_timer_whose_subject_is_gone_is_failed_not_retried_forever(desk, ping_kind):
    desk.say("alice", NEW)
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        ctx.session.add(
            Timer(
                subject_type="incident",
                subject_id="999",
                kind=ping_kind,
                due_at=ctx.clock.now(),
                state="pending",
            )
        )
    desk.advance(seconds=1)
    assert [t.state for t in _timers(desk, ping_kind)] == ["failed"]


def test_a_timer_kind_nobody_handles_is_refused_when_scheduled(desk):
    desk.say("alice", NEW)
    with pytest.raises(ValueError, match="no handler for timer kind 'nobody_handles_this'"):
        _schedule(desk, 1, "nobody_handles_this", timedelta(minutes=1))


def test_thousands_due_at_once_fire_in_batches_each_once(desk, ping_kind):
    for n in range(3):
        desk.say("alice", f'/incident new "n{n}"')
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        due = ctx.clock.now() + timedelta(minutes=1)
        for n in range(450):  # more than two batches, all due at the same instant
            incident = get_incident(ctx, n % 3 + 1)
            timers.schedule(ctx, incident, ping_kind, due)
    desk.advance(minutes=1)
    assert len(_pings(desk)) == 450
    assert {t.state for t in _timers(desk, ping_kind)} == {"fired"}
    assert desk.runtime.timers.run_due() == 0
