"""SLA clocks in business hours: deadlines, warnings, breaches and time left count only the
calendar's working time — across weekends, holidays and daylight-saving changes, with time
on hold (or resolved) left out and re-targeting recomputing from the same history.

The office: Europe/London, Monday to Friday 09:00-17:30 (8h30 a day), holidays on
2026-12-25 and 2026-12-28. P3 (respond 4h, resolve 2d = 48 business hours, warnings at
80%) counts in it; P2 (respond 30m, resolve 8h) stays in elapsed time unless a test says.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from domain.clock import ManualClock
from domain.incidents.sla import SLA_TIMER_KINDS
from domain.oncall_settings import BusinessHoursRule, Calendar, Window
from domain.records import Timer
from tests.harness import DeskHarness

OFFICE = Calendar(
    "office",
    "Europe/London",
    (Window(frozenset(range(5)), time(9), time(17, 30)),),
    frozenset({date(2026, 12, 25), date(2026, 12, 28)}),
)
NEW_P3 = '/incident new "VPN slow" --service vpn --impact medium --urgency medium'
NEW_P2 = '/incident new "VPN down" --service vpn --impact high --urgency medium'


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def with_rules(config, *rules: BusinessHoursRule):
    oncall = dataclasses.replace(
        config.policy.oncall, calendars={"office": OFFICE}, business_hours=rules
    )
    policy = dataclasses.replace(config.policy, oncall=oncall)
    return dataclasses.replace(config, policy=policy)


@pytest.fixture
def start_desk(database_url, example_config) -> Iterator[Callable[..., DeskHarness]]:
    """Start the example desk at an instant, P3-P5 in office hours (plus extra rules)."""
    started: list[DeskHarness] = []

    def start(at: datetime, *extra: BusinessHoursRule) -> DeskHarness:
        rules = (*extra, BusinessHoursRule("office", ("P3", "P4", "P5")))
        desk = DeskHarness.start(
            database_url, with_rules(example_config, *rules), clock=ManualClock(at)
        )
        started.append(desk)
        return desk

    yield start
    for desk in started:
        desk.close()


def advance_to(desk: DeskHarness, when: datetime) -> list[str]:
    """Move the clock to `when`, fire what fell due and return the SLA posts."""
    posts = desk.advance(seconds=(when - desk.clock.now()).total_seconds())
    return [p for p in posts if "SLA" in p]


def pending(desk: DeskHarness) -> dict[str, datetime]:
    """INC-1's pending SLA timers: kind -> due."""
    with desk.runtime.database.transaction() as session:
        rows = session.execute(
            select(Timer.kind, Timer.due_at).where(
                Timer.subject_type == "incident",
                Timer.subject_id == "1",
                Timer.state == "pending",
                Timer.kind.in_(SLA_TIMER_KINDS),
            )
        ).all()
    return dict(rows)


def times_left(desk: DeskHarness, who: str = "erin") -> list[str]:
    shown = desk.say(who, "/incident show INC-1")
    return [line for line in shown.splitlines() if line.startswith("Time to")]


def test_a_friday_afternoon_incident_runs_over_the_weekend_into_monday(start_desk):
    desk = start_desk(utc(2026, 7, 3, 15))  # Friday 16:00 BST
    desk.say("alice", NEW_P3)
    # Respond 4h: 1h30 on Friday, 2h30 on Monday; warn at 3h12m: 1h42m on Monday.
    # Resolve 48h: 1h30 on Friday, 42h30 Monday-Friday, 4h the Monday after.
    assert pending(desk) == {
        "respond_warning": utc(2026, 7, 6, 9, 42),
        "respond_breach": utc(2026, 7, 6, 10, 30),
        "resolve_warning": utc(2026, 7, 10, 10, 54),
        "resolve_breach": utc(2026, 7, 13, 12),
    }
    assert times_left(desk) == [
        "Time to respond: 4h left (business hours)",
        "Time to resolve: 2d left (business hours)",
    ]
    assert advance_to(desk, utc(2026, 7, 4, 12)) == []  # Saturday: the clock stands still
    assert times_left(desk) == [
        "Time to respond: 2h 30m left (business hours)",
        "Time to resolve: 1d 22h 30m left (business hours)",
    ]
    assert advance_to(desk, utc(2026, 7, 6, 9, 41)) == []
    warning = advance_to(desk, utc(2026, 7, 6, 9, 43))
    assert len(warning) == 1 and "SLA warning: INC-1 [P3]" in warning[0]
    assert advance_to(desk, utc(2026, 7, 6, 10, 29)) == []
    assert any("SLA BREACHED: INC-1" in p for p in advance_to(desk, utc(2026, 7, 6, 10, 31)))
    assert times_left(desk) == [
        "Time to respond: breached 1m ago (business hours)",
        "Time to resolve: 1d 19h 59m left (business hours)",  # 48h - 1h30 - 2h31m
    ]
    # Overdue time is business time too: Monday 11:30-17:30, none overnight.
    advance_to(desk, utc(2026, 7, 7, 7))  # Tuesday 08:00 BST
    assert "Time to respond: breached 6h ago (business hours)" in times_left(desk)


def test_holidays_have_no_business_hours(start_desk):
    desk = start_desk(utc(2026, 12, 24, 15))  # Thursday 15:00 GMT
    desk.say("alice", NEW_P3)
    # 2h30 on Thursday; Friday 25th and Monday 28th are holidays; 1h30 on Tuesday 29th.
    due = pending(desk)
    assert due["respond_warning"] == utc(2026, 12, 29, 9, 42)
    assert due["respond_breach"] == utc(2026, 12, 29, 10, 30)
    assert advance_to(desk, utc(2026, 12, 28, 17)) == []  # a holiday Monday: nothing moves
    assert times_left(desk)[0] == "Time to respond: 1h 30m left (business hours)"
    assert advance_to(desk, utc(2026, 12, 29, 9, 41)) == []
    assert any("SLA warning: INC-1" in p for p in advance_to(desk, utc(2026, 12, 29, 9, 43)))
    assert any("SLA BREACHED: INC-1" in p for p in advance_to(desk, utc(2026, 12, 29, 10, 31)))


def test_spring_forward_weekend_counts_wall_clock_office_hours(start_desk):
    # London goes from GMT to BST on Sunday 2026-03-29.
    desk = start_desk(utc(2026, 3, 27, 16, 30))  # Friday 16:30 GMT
    desk.say("alice", NEW_P3)
    # 1h on Friday, 3h from Monday 09:00 BST (08:00Z): 12:00 BST is 11:00Z; the warning
    # at 3h12m: 11:12 BST.
    due = pending(desk)
    assert due["respond_warning"] == utc(2026, 3, 30, 10, 12)
    assert due["respond_breach"] == utc(2026, 3, 30, 11)
    assert advance_to(desk, utc(2026, 3, 29, 12)) == []
    assert times_left(desk)[0] == "Time to respond: 3h left (business hours)"
    assert advance_to(desk, utc(2026, 3, 30, 10, 11)) == []
    assert any("SLA warning: INC-1" in p for p in advance_to(desk, utc(2026, 3, 30, 10, 13)))
    assert advance_to(desk, utc(2026, 3, 30, 10, 59)) == []
    assert any("SLA BREACHED: INC-1" in p for p in advance_to(desk, utc(2026, 3, 30, 11, 1)))


def test_fall_back_weekend_counts_wall_clock_office_hours(start_desk):
    # London goes from BST to GMT on Sunday 2026-10-25.
    desk = start_desk(utc(2026, 10, 23, 15, 30))  # Friday 16:30 BST
    desk.say("alice", NEW_P3)
    # 1h on Friday, 3h from Monday 09:00 GMT: 12:00Z; the warning at 3h12m is 11:12Z.
    due = pending(desk)
    assert due["respond_warning"] == utc(2026, 10, 26, 11, 12)
    assert due["respond_breach"] == utc(2026, 10, 26, 12)
    assert advance_to(desk, utc(2026, 10, 26, 11, 11)) == []
    assert any("SLA warning: INC-1" in p for p in advance_to(desk, utc(2026, 10, 26, 11, 13)))
    assert advance_to(desk, utc(2026, 10, 26, 11, 59)) == []
    assert any("SLA BREACHED: INC-1" in p for p in advance_to(desk, utc(2026, 10, 26, 12, 1)))


def test_a_hold_in_business_hours_moves_the_deadline_by_the_business_time_held(start_desk):
    desk = start_desk(utc(2026, 7, 6, 8))  # Monday 09:00 BST
    desk.say("alice", NEW_P3)
    desk.say("erin", "/incident claim INC-1")  # the respond clock stops
    advance_to(desk, utc(2026, 7, 6, 9))  # 10:00 BST: 1h worked
    desk.say("erin", '/incident hold INC-1 "waiting for the ISP"')
    assert pending(desk) == {}
    advance_to(desk, utc(2026, 7, 6, 11))  # 12:00 BST: 2h of business time on hold
    assert times_left(desk) == ["Time to resolve: 1d 23h left (business hours)"]
    desk.say("erin", "/incident resume INC-1")
    assert times_left(desk) == ["Time to resolve: 1d 23h left (business hours)"]
    # 48h + 2h from Monday 09:00: 42h30 this week, 7h30 next Monday -> 16:30 BST.
    assert pending(desk) == {
        "resolve_warning": utc(2026, 7, 10, 14, 24),  # 38h24m + 2h: Friday 15:24 BST
        "resolve_breach": utc(2026, 7, 13, 15, 30),
    }
    assert advance_to(desk, utc(2026, 7, 13, 15, 29)) != []  # the warning, on Friday
    assert any("SLA BREACHED: INC-1" in p for p in advance_to(desk, utc(2026, 7, 13, 15, 31)))


def test_a_hold_over_the_weekend_only_moves_the_deadline_by_its_office_hours(start_desk):
    desk = start_desk(utc(2026, 7, 3, 8))  # Friday 09:00 BST
    desk.say("alice", NEW_P3)
    desk.say("erin", "/incident claim INC-1")
    advance_to(desk, utc(2026, 7, 3, 15))  # 16:00 BST: 7h worked
    desk.say("erin", '/incident hold INC-1 "waiting for the user"')
    advance_to(desk, utc(2026, 7, 6, 9))  # Monday 10:00 BST: 66h held, 2h30 of it business
    desk.say("erin", "/incident resume INC-1")
    assert times_left(desk) == ["Time to resolve: 1d 17h left (business hours)"]  # 48h - 7h
    # 41h from Monday 10:00: 7h30 Monday, 25h30 Tuesday-Thursday, 8h Friday -> 17:00 BST.
    assert pending(desk)["resolve_breach"] == utc(2026, 7, 10, 16)


def test_resolved_until_reopened_does_not_count_and_a_hold_then_resolve_is_one_pause(start_desk):
    desk = start_desk(utc(2026, 7, 6, 8))  # Monday 09:00 BST
    desk.say("alice", NEW_P3)
    desk.say("erin", "/incident claim INC-1")
    advance_to(desk, utc(2026, 7, 6, 10))  # 11:00 BST: 2h worked
    desk.say("erin", '/incident hold INC-1 "waiting for the user"')
    advance_to(desk, utc(2026, 7, 6, 11))
    desk.say("erin", '/incident resolve INC-1 "reset the token"')  # on hold -> resolved
    advance_to(desk, utc(2026, 7, 6, 13))  # 14:00 BST
    desk.say("alice", '/incident reopen INC-1 "still slow"')
    # Paused 11:00-14:00 BST: 3h of business time; 46h of the 48h left.
    assert times_left(desk) == ["Time to resolve: 1d 22h left (business hours)"]
    advance_to(desk, utc(2026, 7, 6, 15))  # 16:00 BST: 2h more worked
    desk.say("erin", '/incident resolve INC-1 "replaced the token"')
    advance_to(desk, utc(2026, 7, 7, 9))  # Tuesday 10:00 BST: 1h30 + 1h paused
    desk.say("alice", '/incident reopen INC-1 "slow again"')
    assert times_left(desk) == ["Time to resolve: 1d 20h left (business hours)"]  # 48-2-2
    # 44h from Tuesday 10:00 BST: 7h30 Tue, 25h30 Wed-Fri, 8.5h Mon 13th, 2h30 Tue 14th.
    assert pending(desk)["resolve_breach"] == utc(2026, 7, 14, 10, 30)


def test_reprioritising_moves_between_elapsed_and_business_time(start_desk):
    desk = start_desk(utc(2026, 7, 3, 15, 30))  # Friday 16:30 BST
    desk.say("alice", NEW_P2)
    assert times_left(desk)[0] == "Time to respond: 30m left"  # P2: elapsed
    advance_to(desk, utc(2026, 7, 3, 15, 40))
    desk.say("erin", "/incident update INC-1 --urgency medium --impact medium")  # P3
    # 4h of business time from the opening: 1h on Friday, 3h on Monday.
    assert pending(desk)["respond_breach"] == utc(2026, 7, 6, 11)
    assert times_left(desk)[0] == "Time to respond: 3h 50m left (business hours)"
    assert advance_to(desk, utc(2026, 7, 4, 12)) == []  # the P2 deadline passed unnoticed
    advance_to(desk, utc(2026, 7, 6, 8, 30))  # Monday 09:30 BST
    desk.say("erin", "/incident update INC-1 --impact high")  # P2 again: 30m since Friday
    assert times_left(desk)[0] == "Time to respond: breached 2d 16h 30m ago"
    assert any("SLA BREACHED: INC-1" in p for p in advance_to(desk, utc(2026, 7, 6, 8, 31)))


def test_reprioritising_after_a_hold_counts_the_hold_in_the_new_way(start_desk):
    desk = start_desk(utc(2026, 7, 3, 8))  # Friday 09:00 BST
    desk.say("alice", NEW_P2)
    desk.say("erin", "/incident claim INC-1")
    advance_to(desk, utc(2026, 7, 3, 9))  # 10:00 BST: 1h worked
    desk.say("erin", '/incident hold INC-1 "waiting for the user"')
    advance_to(desk, utc(2026, 7, 6, 9))  # Monday 10:00 BST: 72h held
    desk.say("erin", "/incident resume INC-1")
    assert times_left(desk) == ["Time to resolve: 7h left"]  # P2, elapsed: 8h - 1h
    desk.say("erin", "/incident update INC-1 --impact medium --urgency medium")  # P3
    # Held Friday 10:00 to Monday 10:00 BST, 8h30 of business time: 1h worked of 48h.
    assert times_left(desk) == ["Time to resolve: 1d 23h left (business hours)"]


def test_a_new_queue_with_business_hours_retargets_the_clocks(start_desk):
    team_rule = BusinessHoursRule("office", ("P2",), team="messaging")
    desk = start_desk(utc(2026, 7, 3, 16, 15), team_rule)  # Friday 17:15 BST
    desk.say("alice", NEW_P2)
    assert pending(desk)["respond_breach"] == utc(2026, 7, 3, 16, 45)  # network: elapsed
    advance_to(desk, utc(2026, 7, 3, 16, 20))
    desk.say("erin", "/incident assign INC-1 messaging")
    # 15m on Friday, 15m on Monday morning.
    assert pending(desk)["respond_breach"] == utc(2026, 7, 6, 8, 15)
    assert times_left(desk)[0] == "Time to respond: 25m left (business hours)"
    assert advance_to(desk, utc(2026, 7, 5, 12)) == []


def test_a_new_service_with_business_hours_retargets_the_clocks(start_desk):
    service_rule = BusinessHoursRule("office", ("P2",), service="email")
    desk = start_desk(utc(2026, 7, 3, 16, 15), service_rule)  # Friday 17:15 BST
    desk.say("alice", NEW_P2)
    desk.say("erin", "/incident update INC-1 --service email")
    assert pending(desk)["respond_breach"] == utc(2026, 7, 6, 8, 15)


def test_elapsed_clocks_are_untouched_by_calendars_for_other_priorities(start_desk):
    desk = start_desk(utc(2026, 7, 4, 12))  # Saturday noon
    desk.say("alice", NEW_P2)
    assert times_left(desk) == ["Time to respond: 30m left", "Time to resolve: 8h left"]
    assert pending(desk)["respond_breach"] == utc(2026, 7, 4, 12, 30)
