"""Overrides, swaps and hand-overs on the console, with the example company's network
on-call (carol primary in the week of 2026-01-05, erin the next; hand-over Monday 09:00
Europe/London)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from domain.clock import ManualClock
from domain.oncall.records import OncallOverride
from tests.harness import DeskHarness

WEDNESDAY = datetime(2026, 1, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def desk(database_url, example_config):
    harness = DeskHarness.start(
        database_url, example_config, clock=ManualClock(WEDNESDAY), periodic_jobs=True
    )
    yield harness
    harness.close()


def overrides(desk) -> list[OncallOverride]:
    with desk.runtime.database.transaction() as session:
        found = list(session.scalars(select(OncallOverride).order_by(OncallOverride.id)))
        session.expunge_all()
    return found


def test_who_says_now_and_next(desk):
    shown = desk.say("alice", "/oncall who")
    assert "primary: @carol until Mon 12 Jan 09:00 GMT, then @erin" in shown
    assert "secondary: @erin until Mon 12 Jan 09:00 GMT, then @carol" in shown


def test_an_override_covers_the_rota_and_hands_over_both_ways(desk):
    reply = desk.say("carol", "/oncall override network @erin --from now --to +2h dentist")
    assert "OVR-1: @erin is on call for network (primary)" in reply
    posts = desk.posts()
    assert any("put you on call" in p for p in posts if p.startswith("[DM @erin]"))
    assert any("Hand-over: @erin is on call for network (primary)" in p for p in posts)
    assert "primary: @erin (OVR-1) until Wed 07 Jan 12:00 GMT, then @carol" in desk.say(
        "alice", "/oncall who network"
    )
    back = desk.advance(hours=2)
    assert any("Hand-over: @carol is on call for network (primary)" in p for p in back)
    assert any(p.startswith("[DM @carol] You are now on call") for p in back)


def test_an_incoming_person_hears_what_they_inherit(desk):
    desk.say(
        "alice", '/incident new "VPN down for everyone" --service vpn --impact high --urgency high'
    )
    desk.posts()
    desk.say("carol", "/oncall override network @erin --from now --to +1h")
    inherited = "\n".join(desk.posts())
    assert "You are now on call for network (primary)" in inherited
    assert "INC-1 [P1] VPN down for everyone" in inherited
    assert "PAGE-1 about INC-1" in inherited


def test_the_weekly_hand_over_happens_at_nine_on_monday(desk):
    desk.advance(days=4, hours=22)  # Sunday 08:00 UTC: nothing yet
    assert not any("Hand-over" in p for p in desk.posts())
    posts = desk.advance(hours=25)  # past Monday 09:00 London (= 09:00 UTC in winter)
    assert any("Hand-over: @erin is on call for network (primary)" in p for p in posts)
    assert any("Hand-over: @carol is on call for network (secondary)" in p for p in posts)


@pytest.mark.parametrize(
    "who, command, answer",
    [
        ("alice", "/oncall override network @erin --to +2h", "Only agents of the network team"),
        ("bob", "/oncall override network @erin --to +2h", "Only agents of the network team"),
        ("carol", "/oncall override network @bob --to +2h", "bob is not in the network team"),
        ("carol", "/oncall override network @erin", "Say until when"),
        ("carol", "/oncall override network @erin --to +15d", "at most 14d"),
        (
            "carol",
            "/oncall override network @erin --from 2026-01-06 09:00 --to +1h",
            "over already",
        ),
        (
            "carol",
            "/oncall override network @erin --from 2026-01-06 09:00 --to +2d",
            "cannot start in the past",
        ),
        ("carol", "/oncall override network @erin --from now --to soon", "is not a time"),
        (
            "carol",
            '/oncall override network @erin --to "0001-01-01T00:00+05:00"',
            "is not a time I can use",
        ),
        ("carol", "/oncall override network @erin --to 2040-01-01", "more than ten years away"),
        ("carol", "/oncall override nettwork @erin --to +1h", "There is no team 'nettwork'"),
        ("carol", "/oncall override service-desk @bob --to +1h", "has no on-call schedule"),
        (
            "carol",
            "/oncall override network @erin --to +1h --schedule tertiary",
            "no schedule 'tertiary'",
        ),
    ],
)
def test_bad_overrides_are_refused_and_store_nothing(desk, who, command, answer):
    assert answer in desk.say(who, command)
    assert overrides(desk) == []


def test_an_override_in_the_zone_of_the_schedule_or_with_an_offset(desk):
    desk.say("carol", "/oncall override network @erin --from 2026-07-01 09:00 --to +1h")
    desk.say("carol", "/oncall override network @erin --from 2026-07-01T09:00+02:00 --to +1h")
    first, second = overrides(desk)
    assert first.starts_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert second.starts_at == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)


def test_cancel_and_swap(desk):
    desk.say("carol", "/oncall override network @erin --from fri 18:00 --to mon 09:00")
    assert "Cancelled OVR-1" in desk.say("erin", "/oncall cancel-override OVR-1")
    assert "cancelled already" in desk.say("erin", "/oncall cancel-override OVR-1")
    assert "Only agents of the network team" in desk.say("alice", "/oncall cancel-override OVR-1")

    reply = desk.say("carol", "/oncall swap network @erin")
    assert "Swapped: @erin takes" in reply
    mine, theirs = overrides(desk)[1:]
    assert (mine.person, theirs.person) == ("erin", "carol")
    assert "primary: @erin (OVR-2)" in desk.say("alice", "/oncall who network")
    assert "You are not on the network primary rotation" in desk.say(
        "frank", "/oncall swap network @erin"
    )


def test_the_schedule_is_a_table_in_the_teams_zone(desk):
    table = desk.say("alice", "/oncall schedule network --days 21")
    assert "network primary — the next 21 days (Europe/London)" in table
    assert "Mon 12 Jan 09:00 GMT   Mon 19 Jan 09:00 GMT   @erin" in table
    assert "--days takes a number" in desk.say("alice", "/oncall schedule network --days 400")
