"""The `calendars:` and `oncall:` sections of deskbot.yaml: the example's network team on
call, every mistake named with its file and line, and warnings for hours nobody covers and
for people on a rotation from outside the team."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.config import load_config_text
from domain.oncall_settings import (
    BusinessHoursRule,
    Calendar,
    EscalationPolicy,
    Layer,
    Schedule,
    Step,
    TeamOncall,
    Window,
)
from domain.schedules import on_call
from tests.bot.test_config import EXAMPLE, line_of, problems_of

LONDON = ZoneInfo("Europe/London")
# The example up to its calendars (the catalogue after them may be left out).
BEFORE_ONCALL = EXAMPLE.split("\ncalendars:\n")[0] + "\n"
WEEKDAYS = frozenset(range(5))


def oncall_of(text: str):
    return load_config_text(BEFORE_ONCALL + text, "deskbot.yaml").policy.oncall


def warnings_of(text: str) -> list[str]:
    return list(load_config_text(BEFORE_ONCALL + text, "deskbot.yaml").warnings)


def test_the_example_network_team_is_on_call():
    oncall = load_config_text(EXAMPLE, "deskbot.yaml").policy.oncall
    # The date is the example's to choose (the test desk's clock starts on it); the hand-over
    # is Monday 09:00 in London.
    start = oncall.teams["network"].schedules["primary"].layers[0].start
    assert start.tzinfo == LONDON and start.weekday() == 0 and start.time() == time(9, 0)
    week = timedelta(weeks=1)
    primary = Schedule(
        "network",
        "primary",
        "Europe/London",
        (Layer("weekly", ("carol", "erin"), start, week, "Europe/London"),),
    )
    secondary = Schedule(
        "network",
        "secondary",
        "Europe/London",
        (Layer("layer-1", ("erin", "carol"), start, week, "Europe/London"),),
    )
    assert oncall.teams == {
        "network": TeamOncall(
            "network",
            "Europe/London",
            {"primary": primary, "secondary": secondary},
            EscalationPolicy(
                (Step("primary"), Step("secondary"), Step("lead"), Step("channel")), repeat=1
            ),
        )
    }
    assert oncall.teams["network"].schedules["primary"].layers[0].calendar_length
    # A page goes to carol first, then to erin.
    assert on_call(primary, start + timedelta(hours=1)).person == "carol"
    assert on_call(secondary, start + timedelta(hours=1)).person == "erin"
    assert oncall.calendars == {
        "office": Calendar(
            "office",
            "Europe/London",
            (Window(WEEKDAYS, time(9, 0), time(17, 30)),),
            frozenset({date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)}),
        )
    }
    assert oncall.business_hours == (BusinessHoursRule("office", ("P3", "P4", "P5")),)
    assert oncall.calendar_for("network", "vpn", "P4") == oncall.calendars["office"]
    assert oncall.calendar_for("network", "vpn", "P1") is None
    assert oncall.page_priorities == ("P1",)  # the example pages for P1 only
    assert oncall.max_override == timedelta(days=14)


def test_the_example_has_no_warnings():
    assert load_config_text(EXAMPLE, "deskbot.yaml").warnings == ()


def test_without_the_sections_nobody_is_on_call_and_clocks_run_elapsed():
    oncall = oncall_of("")
    assert oncall.teams == {} and oncall.calendars == {} and oncall.business_hours == ()
    assert oncall.page_priorities == ("P1", "P2")  # the default


BAD_CALENDARS = """
calendars:
  office:
    zone: Europe/Lndon
    hours:
      mon-fri: "9-17"
      weekdays: "09:00-17:00"
      sat: "10:00-10:00"
    holidays: [2026-12-25, Christmas]
    holdays: []
  support: {zone: UTC, hours: {sat,sun: "10:00-14:00"}}
  empty: {zone: UTC}

oncall:
  page_priorities: [P1, P0]
  max_overide: 7d
  business_hours:
    - {calendar: ofice, priorities: [P3]}
    - {calendar: support, service: emial, priorities: [P9]}
    - {calendar: support, team: netwrok}
"""


def test_every_calendar_and_business_hours_mistake_is_named_with_its_line():
    bad = BEFORE_ONCALL + BAD_CALENDARS
    example = '"09:00-17:30", or "22:00-06:00" past midnight, "00:00-24:00" the whole day'

    def at(needle: str, message: str) -> str:
        return f"deskbot.yaml:{line_of(bad, needle)}: {message}"

    assert problems_of(bad) == [
        at(
            "zone: Europe/Lndon",
            "unknown time zone 'Europe/Lndon' — did you mean 'Europe/London'? "
            "(an IANA name: Europe/London)",
        ),
        at('mon-fri: "9-17"', f"'9-17' is not hours as HH:MM-HH:MM: {example}"),
        at(
            "weekdays:",
            "'weekdays' is not a day (mon), a range of days (mon-fri) or a list (sat,sun)",
        ),
        at('sat: "10:00-10:00"', f"'10:00-10:00' starts and ends at the same time: {example}"),
        at("Christmas", "holiday 'Christmas' is not a date as YYYY-MM-DD"),
        at("holdays:", "unknown key 'holdays' in calendar 'office' — did you mean 'holidays'?"),
        at(
            "support: {zone: UTC",
            "no hours for 'sat' (within {braces}, a comma separates keys: "
            'write "sat,sun" in quotes there)',
        ),
        at(
            "empty: {zone: UTC}",
            "calendar 'empty' needs hours, e.g. hours: {mon-fri: \"09:00-17:30\"}",
        ),
        at("page_priorities: [P1, P0]", "unknown priority 'P0' (P1–P5)"),
        at("max_overide:", "unknown key 'max_overide' in oncall — did you mean 'max_override'?"),
        at(
            "calendar: ofice",
            "oncall.business_hours.0.calendar: unknown calendar 'ofice' — did you mean 'office'?",
        ),
        at(
            "service: emial",
            "oncall.business_hours.1.service: unknown service 'emial' — did you mean 'email'?",
        ),
        at("service: emial", "unknown priority 'P9' (P1–P5)"),
        at(
            "team: netwrok",
            "oncall.business_hours.2.team: unknown team 'netwrok' — did you mean 'network'?",
        ),
        at("team: netwrok", "a business_hours rule needs priorities, e.g. [P3, P4, P5]"),
    ]


BAD_TEAMS = """
oncall:
  teams:
    netwrk: {}
    network:
      zones: UTC
      schedules:
        primary:
          - name: weekly
            members: [carol, erinn]
            start: next monday
            every: weekly
          - name: weekly          # again
            members: []
            start: "2026-11-30 09:00"
            every: 30m
            zone: Mars/Base
            hours: {mon-fri: "09:00-17:00"}
        Primary:
          - {members: [carol], start: "2026-11-30 09:00", every: 1d}
        lead:
          - {members: [carol], start: "2026-11-30 09:00", every: 1d}
      escalation:
        steps:
          - {notify: primary, wait: 30s}
          - {notify: tertiary}
          - {notify: "person:bobb"}
          - {notify: primary, wiat: 5m}
        repeat: 11
    messaging:
      schedules:
        days: [{members: [frank], start: "2026-11-30", every: 1d}]
      escalation:
        steps: [{notify: lead}, {notify: channel}]
        repeat: -1
    service-desk:
      escalation:
        steps: [{notify: team}]
"""


def test_every_oncall_team_mistake_is_named_with_its_line():
    # The messaging team without a lead or channel: its steps cannot notify them.
    before = BEFORE_ONCALL.replace(
        "    members: [frank]\n    lead: frank\n    channel: messaging-team\n",
        "    members: [frank]\n",
    )
    assert before != BEFORE_ONCALL
    bad = before + BAD_TEAMS

    def at(needle: str, message: str) -> str:
        return f"deskbot.yaml:{line_of(bad, needle)}: {message}"

    assert problems_of(bad) == [
        at("netwrk: {}", "oncall.teams: unknown team 'netwrk' — did you mean 'network'?"),
        at(
            "zones: UTC",
            "unknown key 'zones' in the on-call of team 'network' — did you mean 'zone'?",
        ),
        at(
            "members: [carol, erinn]",
            "unknown person 'erinn' in oncall.teams.network.schedules.primary "
            "— did you mean 'erin'?",
        ),
        at(
            "start: next monday",
            "start: 'next monday' is not a date and time such as \"2026-11-30 09:00\" (local "
            'to the zone) or "2026-11-30T09:00+00:00"',
        ),
        at("every: weekly", "every: 'weekly' is not a duration such as 1w, 1d or 12h"),
        at("# again", "schedule 'primary' has two layers called 'weekly'"),
        at(
            "members: []",
            "a layer needs members: the people who take turns, e.g. [carol, erin]",
        ),
        at("every: 30m", "every: 30m is too short: a turn lasts 1h or more"),
        at("Mars/Base", "unknown time zone 'Mars/Base' (an IANA name: Europe/London)"),
        at("Primary:", "schedule name 'Primary' must be lowercase letters, digits, '_' or '-'"),
        at("        lead:", "a schedule cannot be called 'lead': steps use that word"),
        at("wait: 30s", "wait: 30s is too short: at least 1m"),
        at(
            "notify: tertiary",
            "notify: 'tertiary' is neither a schedule of team 'network' (primary) nor lead, "
            "channel, team or person:NAME — did you mean 'primary'?",
        ),
        at("person:bobb", "notify: unknown person 'bobb' — did you mean 'bob'?"),
        at(
            "wiat: 5m",
            "unknown key 'wiat' in an escalation step — did you mean 'wait'?",
        ),
        at("repeat: 11", "repeat must be a whole number from 0 to 10, not '11'"),
        at(
            "{notify: lead}",
            "notify: lead, but team 'messaging' has no lead (teams.messaging.lead)",
        ),
        at(
            "{notify: channel}",
            "notify: channel, but team 'messaging' has no channel (teams.messaging.channel)",
        ),
        at("repeat: -1", "repeat must be a whole number from 0 to 10, not '-1'"),
        # At its `escalation:`, the line before the steps.
        f"deskbot.yaml:{line_of(bad, 'steps: [{notify: team}]') - 1}: team 'service-desk' has "
        "an escalation policy but no schedules: add schedules, or leave escalation out",
    ]


@pytest.mark.parametrize(
    ("hours", "windows"),
    [
        ('{mon-fri: "09:00-17:30"}', [Window(WEEKDAYS, time(9), time(17, 30))]),
        ('{"sat,sun": "00:00-24:00"}', [Window(frozenset({5, 6}), time(0), time(0))]),
        ('{fri-mon: "22:00-06:00"}', [Window(frozenset({4, 5, 6, 0}), time(22), time(6))]),
        ('{Monday: "08:00 – 12:00"}', [Window(frozenset({0}), time(8), time(12))]),
        ('{daily: "00:00-00:00"}', [Window(frozenset(range(7)), time(0), time(0))]),
        (
            '{mon-fri: ["08:00-12:00", "13:00-17:00"], "mon,wed": "18:00-20:00"}',
            [
                Window(WEEKDAYS, time(8), time(12)),
                Window(WEEKDAYS, time(13), time(17)),
                Window(frozenset({0, 2}), time(18), time(20)),
            ],
        ),
    ],
)
def test_hours_are_read_into_windows(hours, windows):
    oncall = oncall_of(f"calendars:\n  office:\n    zone: Europe/Berlin\n    hours: {hours}\n")
    assert oncall.calendars["office"].windows == tuple(windows)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ('"2026-11-30 09:00"', datetime(2026, 11, 30, 9, tzinfo=LONDON)),
        ("2026-11-30 09:00:00", datetime(2026, 11, 30, 9, tzinfo=LONDON)),
        ('"2026-07-01T09:00+02:00"', datetime(2026, 7, 1, 7, tzinfo=UTC)),
        ('"2026-07-01T07:00Z"', datetime(2026, 7, 1, 7, tzinfo=UTC)),
        ("2026-11-30", datetime(2026, 11, 30, 0, tzinfo=LONDON)),
    ],
)
def test_a_layer_start_is_local_to_its_zone_unless_it_has_an_offset(start, expected):
    oncall = oncall_of(
        "oncall:\n  teams:\n    network:\n      zone: Europe/London\n      schedules:\n"
        f"        primary: [{{members: [carol, erin], start: {start}, every: 1w}}]\n"
    )
    layer = oncall.teams["network"].schedules["primary"].layers[0]
    assert layer.start == expected
    assert layer.start.tzinfo == LONDON  # kept in the zone, so hand-overs follow its clock


ONE_GAP = """
oncall:
  teams:
    network:
      zone: Europe/London
      schedules:
        primary:
          - name: days
            members: [carol, erin]
            start: "2026-11-30 09:00"
            every: 1w
            hours: {mon-fri: "09:00-17:30"}
          - name: nights
            members: [erin, carol]
            start: "2026-11-30 17:30"
            every: 1d
            hours: {mon-thu: "17:30-09:00"}
"""


def test_hours_nobody_covers_are_a_warning_with_the_line_of_the_schedule():
    text = BEFORE_ONCALL + ONE_GAP
    assert warnings_of(ONE_GAP) == [
        f"deskbot.yaml:{line_of(text, 'primary:')}: oncall.teams.network.schedules.primary: "
        "nobody is on call Fri 17:30–Mon 09:00 (Europe/London) — a page then goes to the "
        "lead and the team channel"
    ]


def test_a_team_with_no_lead_and_no_channel_hears_that_a_page_in_a_gap_reaches_nobody():
    before = BEFORE_ONCALL.replace(
        "    members: [frank]\n    lead: frank\n    channel: messaging-team\n",
        "    members: [frank]\n",
    )
    text = before + (
        "oncall:\n  teams:\n    messaging:\n      schedules:\n        primary:\n"
        '          - {members: [frank], start: "2026-11-30 09:00", every: 1w, '
        'hours: {mon-fri: "09:00-17:00"}}\n'
    )
    (warning,) = load_config_text(text, "deskbot.yaml").warnings
    assert warning.endswith(
        "nobody is on call Mon 17:00–Tue 09:00, Tue 17:00–Wed 09:00, Wed 17:00–Thu 09:00, "
        "Thu 17:00–Fri 09:00, Fri 17:00–Mon 09:00 (UTC) — a page then reaches nobody"
    )


def test_a_rotation_member_from_outside_the_team_is_a_warning_not_an_error():
    text = (
        "oncall:\n  teams:\n    network:\n      schedules:\n        primary:\n"
        '          - {members: [carol, frank], start: "2026-11-30 09:00", every: 1w}\n'
    )
    config = load_config_text(BEFORE_ONCALL + text, "deskbot.yaml")
    assert config.policy.oncall.teams["network"].schedules["primary"].layers[0].members == (
        "carol",
        "frank",
    )
    assert list(config.warnings) == [
        f"deskbot.yaml:{line_of(BEFORE_ONCALL + text, 'frank], start')}: "
        "oncall.teams.network.schedules.primary: frank is on the primary rotation but not a "
        "member of team 'network' (teams.network.members)"
    ]


def test_a_start_that_does_not_exist_begins_when_the_clocks_have_gone_forward():
    text = (
        "oncall:\n  teams:\n    network:\n      zone: Europe/London\n      schedules:\n"
        '        primary: [{members: [carol, erin], start: "2027-03-28 01:30", every: 1w}]\n'
    )
    config = load_config_text(BEFORE_ONCALL + text, "deskbot.yaml")
    layer = config.policy.oncall.teams["network"].schedules["primary"].layers[0]
    assert layer.start == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 02:00 BST
    (warning,) = config.warnings
    assert warning.endswith(
        "start 2027-03-28 01:30 does not exist in Europe/London (the clocks go forward), "
        "so the rotation starts at 02:00"
    )


def test_config_check_prints_the_warnings_and_still_passes(tmp_path, capsys):
    path = tmp_path / "deskbot.yaml"
    text = BEFORE_ONCALL + ONE_GAP
    path.write_text(text)
    assert main(["config", "check", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{path}: OK — 7 people, 3 teams")
    assert out[1:] == [
        f"warning: {path}:{line_of(text, 'primary:')}: oncall.teams.network.schedules."
        "primary: nobody is on call Fri 17:30–Mon 09:00 (Europe/London) — a page then goes "
        "to the lead and the team channel"
    ]
