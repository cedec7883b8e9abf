"""The measures an incident keeps (domain/incidents/measures.py) are written by the real
commands, and migration 0016's backfill derives the very same ones from the instants,
paused time and timeline of incidents stored before it: an upgraded desk reports the same
numbers as one that kept them from the start."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from domain.incidents.records import IncidentRecord
from domain.requests.records import RequestRecord

MIGRATION = Path(__file__).parents[2] / "migrations/versions/0016_incident_measures.py"
MEASURES = ("response_seconds", "resolution_seconds", "reopen_count", "team_changes")


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0016", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _measures(desk) -> dict[int, tuple]:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        rows = ctx.session.execute(
            select(IncidentRecord.id, *(getattr(IncidentRecord, m) for m in MEASURES)).order_by(
                IncidentRecord.id
            )
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _history(desk) -> None:
    """Incidents through the commands, each exercising a different writer."""
    # INC-1: claimed after 10m, held 30m, resolved, reopened 2h later, resolved 1h later
    # (tests/metrics/test_report_figures.py works it out: MTTA 600, MTTR 11400).
    desk.say("alice", '/incident new "VPN drops" --service vpn --impact high --urgency medium')
    desk.advance(minutes=10)
    desk.say("erin", "/incident claim INC-1")
    desk.advance(hours=1)
    desk.say("erin", '/incident hold INC-1 "waiting for the ISP"')
    desk.advance(minutes=30)
    desk.say("erin", "/incident resume INC-1")
    desk.advance(hours=1)
    desk.say("erin", '/incident resolve INC-1 "restarted"')
    desk.advance(hours=2)
    desk.say("alice", '/incident reopen INC-1 "still drops"')
    desk.advance(hours=1)
    desk.say("erin", '/incident resolve INC-1 "replaced the router"')
    # INC-2: sent to two teams, then claimed and resolved; a fraction of a second matters.
    desk.say("alice", '/incident new "Printer jams"')
    desk.advance(milliseconds=1250)
    desk.say("bob", "/incident assign INC-2 network")
    desk.advance(minutes=3)
    desk.say("bob", "/incident assign INC-2 messaging")
    desk.advance(minutes=2, milliseconds=375)
    desk.say("frank", "/incident claim INC-2")
    desk.advance(minutes=55)
    desk.say("frank", '/incident resolve INC-2 "cleared the tray"')
    # INC-3: an agent's note is the first response; then it is cancelled.
    desk.say("alice", '/incident new "Screen flickers"')
    desk.advance(minutes=7)
    desk.say("bob", '/incident note INC-3 "which screen?"')
    desk.say("alice", "/incident cancel INC-3")
    # INC-4: nobody answers.
    desk.say("alice", '/incident new "Mouse squeaks"')
    # INC-5: assigned to a person (not a team), held, resolved while on hold.
    desk.say("alice", '/incident new "Email slow" --service email')
    desk.advance(minutes=20)
    desk.say("bob", "/incident assign INC-5 frank")
    desk.advance(minutes=10)
    desk.say("frank", '/incident hold INC-5 "waiting for the user"')
    desk.advance(hours=3)
    desk.say("frank", '/incident resolve INC-5 "user fixed it"')
    # INC-6: resolved and reopened twice, running again now.
    desk.say("alice", '/incident new "Wifi drops" --service wifi')
    for _ in range(2):
        desk.advance(minutes=15)
        desk.say("erin", '/incident resolve INC-6 "rebooted the access point"')
        desk.advance(minutes=45)
        desk.say("alice", '/incident reopen INC-6 "again"')
    desk.advance(minutes=1)


def test_the_lifecycle_writes_each_measure(desk):
    _history(desk)
    found = _measures(desk)
    assert found[1] == (600.0, 11400.0, 1, 0)
    # Assigned to network at +1.25 s, messaging +3 min, claimed +2 min 0.375 s later.
    assert found[2] == (pytest.approx(301.625), pytest.approx(3601.625), 0, 2)
    assert found[3] == (420.0, None, 0, 0)
    assert found[4] == (None, None, 0, 0)
    # Assigned to frank after 20 min (the first response); 3 h on hold counts as paused.
    assert found[5] == (1200.0, 30 * 60.0, 0, 0)
    # Resolved after 15 min (the first response), twice reopened, unresolved now.
    assert found[6] == (900.0, None, 2, 0)


def test_the_migrations_backfill_gives_the_same_measures(desk):
    _history(desk)
    kept = _measures(desk)
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        ctx.session.execute(
            update(IncidentRecord).values(
                response_seconds=None, resolution_seconds=None, reopen_count=0, team_changes=0
            )
        )
    assert all(v == (None, None, 0, 0) for v in _measures(desk).values())
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        dialect = ctx.session.get_bind().dialect.name
        for statement in _migration().backfill_statements(dialect):
            ctx.session.execute(text(statement))
    backfilled = _measures(desk)
    assert backfilled.keys() == kept.keys()
    for key, measures in kept.items():
        # SQLite's Julian days carry float noise below the millisecond the values keep.
        assert backfilled[key] == tuple(
            pytest.approx(v, abs=0.0015) if isinstance(v, float) else v for v in measures
        ), f"INC-{key}"


def _approval_times(desk) -> dict[int, float | None]:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        rows = ctx.session.execute(
            select(RequestRecord.id, RequestRecord.approval_seconds).order_by(RequestRecord.id)
        ).all()
    return dict(rows)


def test_a_request_keeps_its_approval_time_and_the_backfill_agrees(desk):
    licence = "/request new software-licence product=Visio Professional seats=2"
    desk.say("alice", licence)  # REQ-1: approved by carol 2 h 30 min later
    desk.advance(hours=2, minutes=30)
    desk.say("carol", "/request approve REQ-1")
    desk.say("alice", licence)  # REQ-2: denied, so never approved
    desk.advance(minutes=5)
    desk.say("carol", '/request deny REQ-2 "one is enough"')
    desk.say("alice", licence)  # REQ-3: still waiting
    kept = _approval_times(desk)
    assert kept == {1: 9000.0, 2: None, 3: None}
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        ctx.session.execute(update(RequestRecord).values(approval_seconds=None))
        dialect = ctx.session.get_bind().dialect.name
        for statement in _migration().backfill_statements(dialect):
            ctx.session.execute(text(statement))
    assert _approval_times(desk) == {1: pytest.approx(9000.0, abs=0.0015), 2: None, 3: None}
