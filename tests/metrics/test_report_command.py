"""/desk report on the console, through the real pipeline (grammar, dispatcher, domain,
outbox, console sender), on a small desk worked out by hand.

The fixture, Monday 5 January 2026 (UTC), the example company:
    09:00  alice opens INC-1, vpn, impact high × urgency medium = P2 (queued for network)
    09:10  carol claims INC-1                      → acknowledged after 10m
    11:00  carol resolves INC-1                    → resolved after 2h
    11:00  alice opens INC-2, wifi, medium × medium = P3 (network)
    11:30  erin claims INC-2                       → acknowledged after 30m
    15:00  erin resolves INC-2                     → resolved after 4h
    15:00  alice opens INC-3, email, low × medium = P4 (messaging), left open
    20:00  the reports below are asked for

So from 2026-01-05: 3 opened, 2 resolved. Percentiles are nearest-rank (docs/metrics.md):
the median of n values is the ceil(n/2)-th smallest, the 90th percentile the
ceil(0.9 n)-th. MTTR over [2h, 4h]: median 2h, p90 4h; MTTA over [10m, 30m]: median 10m,
p90 30m. SLA (P2: respond 30m, resolve 8h; P3: 4h, 2d): both met for INC-1 and INC-2.
Backlog now: INC-3, P4, open 5h → "under 1 day".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain.clock import ManualClock
from domain.records import OutboxMessage
from tests.harness import DeskHarness

MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def desk(database_url, example_config):
    harness = DeskHarness.start(database_url, example_config, clock=ManualClock(MONDAY))
    yield harness
    harness.close()


def worked_day(desk: DeskHarness) -> None:
    """The fixture's Monday, through the commands people type."""
    opened = desk.say(
        "alice", '/incident new "VPN drops" --service vpn --impact high --urgency medium'
    )
    assert opened.startswith("Opened INC-1 [P2]"), opened
    desk.advance(minutes=10)
    assert "INC-1" in desk.say("carol", "/incident claim INC-1")
    desk.advance(hours=1, minutes=50)
    assert "INC-1" in desk.say("carol", '/incident resolve INC-1 "restarted the gateway"')
    opened = desk.say(
        "alice", '/incident new "Wi-Fi slow" --service wifi --impact medium --urgency medium'
    )
    assert opened.startswith("Opened INC-2 [P3]"), opened
    desk.advance(minutes=30)
    assert "INC-2" in desk.say("erin", "/incident claim INC-2")
    desk.advance(hours=3, minutes=30)
    assert "INC-2" in desk.say("erin", '/incident resolve INC-2 "moved the access point"')
    opened = desk.say(
        "alice", '/incident new "Mail is late" --service email --impact low --urgency medium'
    )
    assert opened.startswith("Opened INC-3 [P4]"), opened
    desk.advance(hours=5)
    desk.posts()  # what the day's work posted is not what these tests look at


def outbox(desk: DeskHarness, kind: str | None = None) -> int:
    """Outbox rows written so far (of one kind)."""
    with desk.runtime.database.transaction() as session:
        query = select(func.count(OutboxMessage.id))
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return session.scalar(query)


def test_an_admins_report_has_every_number_and_the_chart_comes_by_dm(desk):
    worked_day(desk)
    reply = desk.say("grace", "/desk report --since 2026-01-05")
    lines = reply.splitlines()
    assert lines[0] == "Desk report for the whole desk, 2026-01-05 00:00 to 2026-01-05 20:00 UTC."
    assert "Incidents: 3 opened, 2 resolved." in lines
    assert (
        "Time to resolve (MTTR, elapsed, time on hold excluded): "
        "median 2h, 90th percentile 4h (2 incidents)." in lines
    )
    assert any("median 10m, 90th percentile 30m (2 incidents)" in line for line in lines)
    assert "• P2: respond 1 of 1 (100%); resolve 1 of 1 (100%)" in lines
    assert "• P3: respond 1 of 1 (100%); resolve 1 of 1 (100%)" in lines
    assert "Backlog, 1 open now, by age:" in lines
    assert any(line.startswith("• P4: 1 — under 1 day 1, 1–3 days 0") for line in lines)
    assert "• 2026-01-05: 3 opened, 2 resolved, MTTR median 2h" in lines
    assert lines[-1] == "The chart is on its way by DM."

    [dm] = [p for p in desk.posts() if p.startswith("[DM @grace]")]
    assert dm.startswith(
        "[DM @grace] Chart of the desk report for the whole desk, "
        "2026-01-05 00:00 to 2026-01-05 20:00 UTC: incidents opened and resolved each week"
    )
    assert "3 opened, 2 resolved; MTTR median 2h, MTTA median 10m" in dm
    # The console writes the chart as a PNG and prints its path (bot/late_files.py, C).
    [path] = re.findall(r"(\S+\.png)", dm)
    assert Path(path).read_bytes().startswith(PNG)


def test_stats_is_the_same_command_as_report(desk):
    worked_day(desk)
    assert desk.say("grace", "/desk stats --since 2026-01-05") == desk.say(
        "grace", "/desk report --since 2026-01-05"
    )


def test_periods_back_from_now_all_time_and_a_service(desk):
    worked_day(desk)
    # 6h back from 20:00 is 14:00: INC-3 opened since, INC-2 resolved since.
    assert "Incidents: 1 opened, 1 resolved." in desk.say("grace", "/desk report --since 6h")
    every = desk.say("grace", "/desk report --all")
    assert every.startswith("Desk report for the whole desk, all time up to 2026-01-05 20:00 UTC.")
    assert "Incidents: 3 opened, 2 resolved." in every
    # A day still running (or ahead) ends now, not at its midnight.
    ahead = desk.say("grace", "/desk report --since 2026-01-05 --until 2026-02-01")
    assert ahead.startswith("Desk report for the whole desk, 2026-01-05 00:00 to 2026-01-05 20:00")
    vpn = desk.say("grace", "/desk report --service vpn")
    assert vpn.startswith("Desk report for service vpn,")
    assert "Incidents: 1 opened, 1 resolved." in vpn


def test_agents_see_their_team_and_employees_their_own_history(desk):
    worked_day(desk)
    carol = desk.say("carol", "/desk report")
    assert carol.startswith("Desk report for team network,")
    assert "Incidents: 2 opened, 2 resolved." in carol
    alice = desk.say("alice", "/desk report")
    assert alice.startswith("Desk report for your own history,")
    assert "Incidents: 3 opened, 2 resolved." in alice


def test_refusals_store_nothing(desk):
    worked_day(desk)
    before = outbox(desk)
    refused = desk.say("alice", "/desk report --team network")
    assert "Team and service reports are for agents and admins" in refused
    assert "opened" not in refused
    assert "You are not in team network" in desk.say("bob", "/desk report --team network")
    assert "Service vpn belongs to team network" in desk.say("frank", "/desk report --service vpn")
    assert outbox(desk) == before
    assert desk.posts() == []


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (
            "--since 2026-01-05 --until 2026-01-04",
            "The period starts at 2026-01-05 00:00 UTC but ends at 2026-01-05 00:00 UTC "
            "(the end of 2026-01-04): put --since before --until.",
        ),
        ("--team netwrok", "There is no team 'netwrok'. Did you mean network?"),
        ("--service vnp", "There is no service 'vnp'. Did you mean vpn?"),
        ("--since 2026-13-01", "--since takes a day written YYYY-MM-DD (e.g. 2026-11-01)"),
        ("--until tomorrow", "--until takes a day written YYYY-MM-DD (e.g. 2026-11-01)"),
        ("--since yesterday", "'yesterday' is neither"),
        ("--since 500d", "at most 366d"),
        ("--since " + "9" * 5000 + "d", "at most 366d"),  # too many digits for int()
        ("--all --since 30d", "--all and --since contradict each other"),
        ("--since", "--since needs a value."),
    ],
)
def test_bad_input_says_what_is_wrong_and_stores_nothing(desk, options, problem):
    worked_day(desk)
    before = outbox(desk)
    reply = desk.say("grace", f"/desk report {options}")
    assert problem in reply
    assert "Incidents:" not in reply
    assert outbox(desk) == before
    assert desk.posts() == []


def test_usage_errors_show_how_to_write_the_command(desk):
    reply = desk.say("grace", "/desk stats --since 2026-02-30")
    assert reply.splitlines()[-1] == (
        "Usage: /desk stats [--team T] [--service S] [--since 30d|DATE] [--until DATE] [--all]"
    )


def test_an_empty_period_says_so_and_sends_no_chart(desk):
    worked_day(desk)
    reply = desk.say("grace", "/desk report --since 2025-12-01 --until 2025-12-31")
    assert reply.startswith(
        "Desk report for the whole desk, 2025-12-01 00:00 to 2026-01-01 00:00 UTC.\n"
        "No incidents were opened or resolved in this period."
    )
    assert "chart" not in reply
    assert outbox(desk, "report_chart") == 0
    assert not [p for p in desk.posts() if p.startswith("[DM @grace]")]


def test_the_weekly_digest_reads_well_in_its_channel(database_url, example_config):
    """The example company's digest (Mondays 09:00 London = 09:00 UTC in January) after the
    fixture's day, shifted by 30 minutes to start after this week's run: INC-1 and INC-2
    close by themselves three days after their resolution (asking alice for a score, one of
    which she gives with a comment), INC-3 is still open and has breached both clocks."""
    clock = ManualClock(MONDAY.replace(minute=30))
    desk = DeskHarness.start(database_url, example_config, clock=clock, periodic_jobs=True)
    try:
        worked_day(desk)  # ends Monday 20:30
        desk.advance(days=4)  # INC-1 and INC-2 closed: alice is asked to rate them
        answered = desk.say("alice", '/survey score-2 SRV-1 "took all morning"')
        assert "2" in answered, answered
        posted = desk.advance(days=2, hours=12, minutes=30)  # to Monday 12 January, 09:00
        [digest] = [p for p in posted if p.startswith("[#service-desk] Weekly desk report")]
    finally:
        desk.close()
    lines = [line.removeprefix("  │ ") for line in digest.splitlines()]
    assert lines[0] == (
        "[#service-desk] Weekly desk report, 2026-01-05 09:00 to 2026-01-12 09:00 UTC:"
    )
    assert lines[1] == (
        "Incidents: 3 opened, 2 resolved. MTTA median 10m (90th percentile 30m); "
        "MTTR median 2h (90th percentile 4h)."
    )
    assert "Satisfaction: 1 of 2 surveys answered (50%), average 2.0 of 5." in lines
    # INC-3 opened Monday 15:30: 6 days 17 hours 30 minutes before the digest.
    assert '• INC-3 [P4] "Mail is late" — open 6d 17h 30m, messaging' in lines
    assert "SLA breaches this week:" in lines
    assert '• INC-3 [P4] "Mail is late" — time to respond, messaging' in lines
    assert "Lowest scores:" in lines
    assert any(
        line.startswith("• 2 of 5 for INC-") and "took all morning" in line for line in lines
    )
    [path] = re.findall(r"(\S+\.png)", digest)
    assert Path(path).read_bytes().startswith(PNG)
