"""Every figure of a report against numbers worked out by hand from tests/metrics/fixture.py
(read its docstring first: the incidents, requests, grants and surveys, with their instants).

Nearest rank: of n sorted values the p-th percentile is the value at rank ceil(p/100 · n).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.context import SYSTEM, Actor
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.metrics import Stat, build_report
from tests.metrics import fixture
from tests.metrics.fixture import UNTIL, W0

ADMIN = Actor("grace", frozenset({"admin"}))
ERIN = Actor("erin", frozenset({"agent"}))  # network
ALICE = Actor("alice")  # an employee


@pytest.fixture
def history(desk):
    fixture.load(desk)
    return desk


def report(desk, actor=ADMIN, **options):
    options.setdefault("since", W0)
    options.setdefault("until", UNTIL)
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return build_report(ctx, actor, **options)


def test_the_whole_desk_over_two_weeks(history):
    r = report(history)
    # Opened in [Jan 5, Jan 19): INC-1..8 and INC-12 (INC-9, 11, 14 before; 10, 13 after).
    assert r.opened == 9
    # Last resolved in the window: INC-1, 2, 3, 4, 5 and 9 (opened in December).
    assert r.resolved == 6
    # First answered in the window: 600, 1200, 3600, 1800, 7200, 14400 (INC-1..6; INC-12's
    # answer came after the window). Sorted: 600 1200 1800 3600 7200 14400; n = 6:
    # median rank ceil(3) = 3 → 1800; p90 rank ceil(5.4) = 6 → 14400.
    assert r.mtta == Stat(6, 1800.0, 14400.0)
    # MTTR (open to last resolution less time paused): INC-1 7200, INC-2 18000 − 1800 =
    # 16200, INC-3 28800 − 7200 = 21600, INC-4 10800, INC-5 86400, INC-9 1728000.
    # Sorted: 7200 10800 16200 21600 86400 1728000: median rank 3 → 16200 (an interpolated
    # median would say 18900); p90 rank 6 → 1728000 (percentile_cont would say 907200).
    assert r.mttr == Stat(6, 16200.0, 1728000.0)
    # SLA verdicts of the incidents opened in the window, INC-8 (cancelled) left out:
    # P1 INC-4 answered late (0/1), resolved in time (1/1); P2 INC-1, 2 (2/2, 2/2);
    # P3 INC-3, 5 answered, INC-7 breached unanswered (2/3), INC-3, 5 resolved, INC-7 no
    # verdict yet (2/2); P4 INC-6, 12 answered in time (2/2), neither resolved (0/0).
    assert r.sla == [
        {"priority": "P1", "respond_met": 0, "respond_total": 1, "resolve_met": 1, "resolve_total": 1},
        {"priority": "P2", "respond_met": 2, "respond_total": 2, "resolve_met": 2, "resolve_total": 2},
        {"priority": "P3", "respond_met": 2, "respond_total": 3, "resolve_met": 2, "resolve_total": 2},
        {"priority": "P4", "respond_met": 2, "respond_total": 2, "resolve_met": 0, "resolve_total": 0},
    ]  # fmt: skip
    # Open now (Jan 20 12:00), by age: INC-13 6h (<1d, P1); INC-14 18.5d (7-30d, P2);
    # INC-10 1d10h (1-3d) and INC-7 5d3h (3-7d), P3; INC-12 1d16h (1-3d) and INC-6 6d3h
    # (3-7d), P4; INC-11 80 days (>30d, P5).
    empty = {"<1d": 0, "1-3d": 0, "3-7d": 0, "7-30d": 0, ">30d": 0}
    assert r.backlog == [
        {"priority": "P1", "buckets": empty | {"<1d": 1}, "total": 1},
        {"priority": "P2", "buckets": empty | {"7-30d": 1}, "total": 1},
        {"priority": "P3", "buckets": empty | {"1-3d": 1, "3-7d": 1}, "total": 2},
        {"priority": "P4", "buckets": empty | {"1-3d": 1, "3-7d": 1}, "total": 2},
        {"priority": "P5", "buckets": empty | {">30d": 1}, "total": 1},
    ]
    # Of the six resolved, INC-3 had been reopened: 1/6.
    assert (r.reopened, r.reopen_rate) == (1, 0.1667)
    # First contact: INC-1 (assigned to a person only) and INC-2; not INC-3 (reopened),
    # INC-4 and INC-9 (escalated to a lead), INC-5 (sent to another team): 2/6.
    assert (r.first_contact, r.fcr_rate) == (2, 0.3333)
    # Escalated, of those opened in the window: INC-4, INC-7 (lead), INC-5 (team).
    assert r.escalations == 3
    # Requests: REQ-1, 2, 3, 5 submitted; REQ-1, 2 fulfilled (REQ-4 on Jan 20). Approval
    # (approved in the window, approval needed): REQ-1 7200, REQ-3 1800, REQ-4 151200:
    # median rank ceil(1.5) = 2 → 7200; p90 rank ceil(2.7) = 3 → 151200.
    assert r.requests == {
        "measured": True,
        "submitted": 4,
        "fulfilled": 2,
        "approval": {"count": 3, "median_s": 7200.0, "p90_s": 151200.0},
    }
    # Access: ACC-1, 2, 3 given; ACC-2 revoked; ACC-1 expired (ACC-4 ended before).
    assert r.access == {"measured": True, "granted": 3, "revoked": 1, "expired": 1}
    # Surveys asked in the window: SRV-1..5; answered 1, 2, 4, 5: 4/5 = 0.8, mean
    # (5 + 2 + 4 + 1) / 4 = 3.0.
    assert r.csat == {"asked": 5, "answered": 4, "answer_rate": 0.8, "average": 3.0}
    # Opened in the window and linked: INC-3, 7 (PRB-1), INC-5 (PRB-2): 3 over 2 = 1.5.
    assert r.problems == {"problems": 2, "linked_incidents": 3, "incidents_per_problem": 1.5}
    # Services of INC-1..8, 12: vpn 1, 2, 4; wifi 3, 7, 12; email 5; laptop 6 (ties by name).
    assert r.top_services == [("vpn", 3), ("wifi", 3), ("email", 1), ("laptop", 1)]
    assert r.top_categories == [
        ("connectivity", 4),  # INC-1, 2, 3, 12
        ("performance", 2),  # INC-4, 7
        ("delivery", 1),
        ("hardware", 1),
    ]
    # Week of Jan 5: opened INC-1..4; resolved INC-1, 2, 3, 4, 9 — MTTRs 7200 10800 16200
    # 21600 1728000, median rank ceil(2.5) = 3 → 16200. Week of Jan 12: opened INC-5, 6, 7,
    # 8, 12; resolved INC-5 (86400).
    assert r.weeks == [
        {"start": "2026-01-05", "opened": 4, "resolved": 5, "mttr_median_s": 16200.0},
        {"start": "2026-01-12", "opened": 5, "resolved": 1, "mttr_median_s": 86400.0},
    ]
    assert r.scope.label == "the whole desk"
    assert not r.empty


def test_as_dict_is_plain_json(history):
    import json

    data = report(history).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["scope"] == {
        "label": "the whole desk",
        "team": None,
        "service": None,
        "since": "2026-01-05T00:00:00+00:00",
        "until": "2026-01-19T00:00:00+00:00",
        "all_time": False,
        "backlog_at": "2026-01-20T12:00:00+00:00",
    }
    assert data["mttr"] == {"count": 6, "median_s": 16200.0, "p90_s": 1728000.0}
    assert data["top_services"][0] == ["vpn", 3]


def test_an_agent_sees_their_team(history):
    r = report(history, ERIN)
    assert r.scope.label == "team network"
    # Network's incidents opened in the window: INC-1, 2, 3, 4, 7, 12.
    assert r.opened == 6
    # Resolved: INC-1, 2, 3, 4, 9 → MTTRs 7200 10800 16200 21600 1728000: median 16200,
    # p90 rank ceil(4.5) = 5 → 1728000.
    assert r.mttr == Stat(5, 16200.0, 1728000.0)
    # No request is fulfilled by network; its members' grants: ACC-2 (erin), revoked.
    assert (r.requests["submitted"], r.requests["fulfilled"]) == (0, 0)
    assert r.access == {"measured": True, "granted": 1, "revoked": 1, "expired": 0}
    # Network's surveys: SRV-1, 2, 3, 5; answered 5, 2, 1: mean 2.67.
    assert r.csat == {"asked": 4, "answered": 3, "answer_rate": 0.75, "average": 2.67}
    assert r.escalations == 2  # INC-4, INC-7


def test_an_employee_sees_their_own_history(history):
    r = report(history, ALICE)
    assert r.scope.label == "your own"
    # Alice reported INC-1, 2, 6, 8; INC-1 and 2 resolved (7200, 16200).
    assert (r.opened, r.resolved) == (4, 2)
    assert r.mttr == Stat(2, 7200.0, 16200.0)
    # Her requests REQ-1, 3, 5; REQ-1 fulfilled; approvals 7200 and 1800.
    assert r.requests == {
        "measured": True,
        "submitted": 3,
        "fulfilled": 1,
        "approval": {"count": 2, "median_s": 1800.0, "p90_s": 7200.0},
    }
    assert r.access == {"measured": True, "granted": 1, "revoked": 0, "expired": 1}
    # Her surveys SRV-1, 2, 4, all answered: (5 + 2 + 4) / 3 = 3.67.
    assert r.csat == {"asked": 3, "answered": 3, "answer_rate": 1.0, "average": 3.67}
    # Her open incident INC-6 only.
    assert [(row["priority"], row["total"]) for row in r.backlog] == [("P4", 1)]


def test_a_service_report(history):
    r = report(history, service="VPN")
    assert r.scope.label == "service vpn"
    assert r.opened == 3  # INC-1, 2, 4
    # Requests and grants have no service: not measured.
    assert r.requests["measured"] is False and r.access["measured"] is False
    # Surveys of vpn incidents: SRV-1 (5), SRV-2 (2), SRV-5 (1).
    assert r.csat == {"asked": 3, "answered": 3, "answer_rate": 1.0, "average": 2.67}


def test_all_time_counts_everything_and_shows_twelve_weeks(history):
    r = report(history, since=None, until=None, all_time=True)
    assert r.scope.all_time and r.scope.since is None
    assert r.opened == 14
    # Every resolution: the six above; MTTR sorted as before, rank 3 and 6.
    assert r.mttr == Stat(6, 16200.0, 1728000.0)
    assert len(r.weeks) == 12
    assert r.weeks[-1]["start"] == "2026-01-19"  # the week holding now (Jan 20)
    # INC-13 opened Jan 20, INC-10 Jan 19: the last week's two.
    assert r.weeks[-1]["opened"] == 2
    assert r.weeks[-3] == {
        "start": "2026-01-05",
        "opened": 4,
        "resolved": 5,
        "mttr_median_s": 16200.0,
    }


def test_default_window_is_the_last_thirty_days(history):
    with history.runtime.dispatcher.unit_of_work() as ctx:
        r = build_report(ctx, ADMIN)
    assert r.scope.until == fixture.NOW
    assert r.scope.since == fixture.NOW - timedelta(days=30)
    # Since Dec 21 12:00: INC-1..8, 10, 12, 13, 14 (INC-9 Dec 20 and INC-11 Nov before).
    assert r.opened == 12


def test_an_empty_period_has_no_figures_but_still_the_backlog(history):
    r = report(
        history, since=datetime(2025, 6, 1, tzinfo=UTC), until=datetime(2025, 7, 1, tzinfo=UTC)
    )
    assert r.empty
    assert (r.opened, r.resolved) == (0, 0)
    assert r.mtta == Stat(0, None, None) and r.mttr == Stat(0, None, None)
    assert r.sla == [] and r.reopen_rate is None and r.fcr_rate is None
    assert r.csat["answer_rate"] is None and r.csat["average"] is None
    assert r.problems["incidents_per_problem"] is None
    assert all(week["opened"] == 0 and week["mttr_median_s"] is None for week in r.weeks)
    assert sum(row["total"] for row in r.backlog) == 7


@pytest.mark.parametrize(
    ("actor", "options", "error", "words"),
    [
        (ADMIN, {"since": UNTIL, "until": W0}, InvalidInput, "start before the end"),
        (ADMIN, {"since": W0, "until": W0}, InvalidInput, "at or after it ends"),
        (ADMIN, {"team": "netwrk"}, NotFound, "There is no team 'netwrk'. Did you mean network?"),
        (ADMIN, {"service": "vnp"}, NotFound, "Did you mean vpn?"),
        (ALICE, {"team": "network"}, PermissionDenied, "your own history"),
        (ALICE, {"service": "vpn"}, PermissionDenied, "your own history"),
        (ERIN, {"team": "messaging"}, PermissionDenied, "not in team messaging"),
        (ERIN, {"service": "email"}, PermissionDenied, "belongs to team messaging"),
        (Actor("ghost", frozenset({"agent"})), {}, PermissionDenied, "in no team"),
    ],
)
def test_refusals_say_why(desk, actor, options, error, words):
    with desk.runtime.dispatcher.unit_of_work() as ctx, pytest.raises(error) as raised:
        build_report(ctx, actor, **options)
    assert words in raised.value.message


def test_admins_and_the_system_may_ask_for_any_team(history):
    assert report(history, SYSTEM, team="messaging").opened == 1  # INC-5
    assert report(history, ADMIN, team="network", service="wifi").opened == 3  # INC-3, 7, 12


def test_mttr_of_a_held_and_reopened_incident_made_through_the_commands(desk):
    """The real lifecycle writes what the report reads: INC-1 is claimed after 10 minutes,
    worked 1h, held 30m, worked 1h, resolved, reopened 2h later and resolved 1h after that.
    Open to last resolution: 10m + 1h + 30m + 1h + 2h + 1h = 5h40m = 20400 s; paused: the
    30m on hold and the 2h resolved = 9000 s; MTTR 11400 s. INC-2 (no service: the service
    desk's) is sent to team network, then claimed and resolved: an escalation, and not a
    first-contact resolution."""
    start = desk.clock.now()
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
    assert "resolved" in desk.say("erin", '/incident resolve INC-1 "replaced the router"')
    desk.say("alice", '/incident new "Printer jams"')
    desk.say("bob", "/incident assign INC-2 network")
    desk.advance(minutes=5)
    desk.say("erin", "/incident claim INC-2")
    desk.advance(minutes=55)
    desk.say("erin", '/incident resolve INC-2 "cleared the tray"')
    desk.advance(minutes=1)
    r = report(desk, since=start, until=desk.clock.now())
    # INC-1 11400; INC-2 open to resolution 1h, never paused: 3600. Sorted 3600 11400.
    assert r.mttr == Stat(2, 3600.0, 11400.0)
    assert r.mtta.count == 2 and r.mtta.p90_s == 600.0  # INC-1 10m; INC-2 claimed after 5m
    assert (r.resolved, r.reopened, r.first_contact, r.escalations) == (2, 1, 0, 1)
