"""Windows and business calendars: local hours as UTC intervals, across DST and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.calendars import (
    add_business,
    business_between,
    business_intervals,
    in_windows,
    is_business,
    local_instant,
    window_intervals,
)
from domain.oncall_settings import Calendar, Window

LONDON = "Europe/London"
BERLIN = "Europe/Berlin"
WEEKDAYS = frozenset(range(5))
ALL_DAYS = frozenset(range(7))
OFFICE_HOURS = Window(WEEKDAYS, time(9), time(17, 30))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def office(*holidays: date) -> Calendar:
    return Calendar("office", LONDON, (OFFICE_HOURS,), frozenset(holidays))


# --- local_instant -----------------------------------------------------------------------


def test_local_instant_is_plain_conversion_on_an_ordinary_day() -> None:
    assert local_instant(date(2026, 7, 1), time(9), ZoneInfo(LONDON)) == utc(2026, 7, 1, 8)


def test_a_time_in_the_spring_gap_becomes_the_end_of_the_gap() -> None:
    # Berlin skips 02:00-03:00 on 2026-03-29: 02:30 does not exist, 03:00 CEST is 01:00Z.
    assert local_instant(date(2026, 3, 29), time(2, 30), ZoneInfo(BERLIN)) == utc(2026, 3, 29, 1)
    assert local_instant(date(2026, 3, 29), time(1, 0), ZoneInfo(LONDON)) == utc(2026, 3, 29, 1)


def test_a_repeated_time_in_autumn_is_its_first_occurrence() -> None:
    # Berlin repeats 02:00-03:00 on 2026-10-25; the first 02:30 is CEST (+2) = 00:30Z.
    assert local_instant(date(2026, 10, 25), time(2, 30), ZoneInfo(BERLIN)) == utc(
        2026, 10, 25, 0, 30
    )


# --- window_intervals / in_windows -------------------------------------------------------


def test_office_hours_over_a_week_skip_the_weekend() -> None:
    got = window_intervals([OFFICE_HOURS], LONDON, utc(2026, 7, 3), utc(2026, 7, 7))
    assert got == [
        (utc(2026, 7, 3, 8), utc(2026, 7, 3, 16, 30)),  # Friday, BST
        (utc(2026, 7, 6, 8), utc(2026, 7, 6, 16, 30)),  # Monday
    ]


def test_intervals_are_clipped_to_the_range() -> None:
    got = window_intervals([OFFICE_HOURS], LONDON, utc(2026, 7, 6, 12), utc(2026, 7, 6, 13))
    assert got == [(utc(2026, 7, 6, 12), utc(2026, 7, 6, 13))]


def test_empty_or_reversed_range_has_no_intervals() -> None:
    assert window_intervals([OFFICE_HOURS], LONDON, utc(2026, 7, 6, 12), utc(2026, 7, 6, 12)) == []
    assert window_intervals([OFFICE_HOURS], LONDON, utc(2026, 7, 7), utc(2026, 7, 6)) == []
    assert window_intervals([], LONDON, utc(2026, 7, 6), utc(2026, 7, 7)) == []


def test_a_night_window_crosses_midnight_from_the_day_it_starts() -> None:
    nights = Window(frozenset({4}), time(22), time(6))  # Friday night into Saturday
    got = window_intervals([nights], "UTC", utc(2026, 7, 1), utc(2026, 7, 8))
    assert got == [(utc(2026, 7, 3, 22), utc(2026, 7, 4, 6))]
    # The range can start inside a window that began the day before.
    got = window_intervals([nights], "UTC", utc(2026, 7, 4, 1), utc(2026, 7, 4, 2))
    assert got == [(utc(2026, 7, 4, 1), utc(2026, 7, 4, 2))]


def test_midnight_to_midnight_is_the_whole_day_and_adjacent_days_merge() -> None:
    weekend = Window(frozenset({5, 6}), time(0), time(0))
    got = window_intervals([weekend], LONDON, utc(2026, 7, 1), utc(2026, 7, 10))
    assert got == [(local(LONDON, 2026, 7, 4), local(LONDON, 2026, 7, 6))]


def test_overlapping_windows_merge() -> None:
    morning = Window(WEEKDAYS, time(8), time(12))
    afternoon = Window(WEEKDAYS, time(11), time(18))
    got = window_intervals([morning, afternoon], "UTC", utc(2026, 7, 6), utc(2026, 7, 7))
    assert got == [(utc(2026, 7, 6, 8), utc(2026, 7, 6, 18))]


def test_window_keeps_wall_clock_hours_across_spring_forward() -> None:
    # London 2026-03-29 01:00 GMT -> 02:00 BST: a Sunday night window 20:00-08:00 is 11h.
    night = Window(frozenset({5}), time(20), time(8))  # Saturday 20:00 to Sunday 08:00
    got = window_intervals([night], LONDON, utc(2026, 3, 27), utc(2026, 3, 31))
    assert got == [(utc(2026, 3, 28, 20), utc(2026, 3, 29, 7))]
    assert got[0][1] - got[0][0] == timedelta(hours=11)


def test_window_keeps_wall_clock_hours_across_fall_back() -> None:
    # London 2026-10-25 02:00 BST -> 01:00 GMT: Saturday 20:00 to Sunday 08:00 is 13h.
    night = Window(frozenset({5}), time(20), time(8))
    got = window_intervals([night], LONDON, utc(2026, 10, 23), utc(2026, 10, 27))
    assert got == [(utc(2026, 10, 24, 19), utc(2026, 10, 25, 8))]
    assert got[0][1] - got[0][0] == timedelta(hours=13)


def test_window_starting_in_the_gap_starts_when_the_gap_ends() -> None:
    early = Window(ALL_DAYS, time(2, 30), time(4))
    got = window_intervals([early], BERLIN, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))
    assert got == [(utc(2026, 3, 29, 1), utc(2026, 3, 29, 2))]  # 03:00-04:00 CEST


def test_whole_day_across_dst_is_23_or_25_hours() -> None:
    sundays = Window(frozenset({6}), time(0), time(0))
    spring = window_intervals([sundays], LONDON, utc(2026, 3, 28), utc(2026, 3, 31))
    autumn = window_intervals([sundays], LONDON, utc(2026, 10, 24), utc(2026, 10, 27))
    assert spring[0][1] - spring[0][0] == timedelta(hours=23)
    assert autumn[0][1] - autumn[0][0] == timedelta(hours=25)


def test_aware_inputs_in_any_zone_give_utc() -> None:
    start = datetime(2026, 7, 6, 10, tzinfo=ZoneInfo("Asia/Tokyo"))
    got = window_intervals([OFFICE_HOURS], LONDON, start, start + timedelta(days=1))
    assert got == [(utc(2026, 7, 6, 8), utc(2026, 7, 6, 16, 30))]
    assert got[0][0].tzinfo is UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        window_intervals([OFFICE_HOURS], LONDON, datetime(2026, 7, 6), utc(2026, 7, 7))


@pytest.mark.parametrize(
    ("at", "inside"),
    [
        (local(LONDON, 2026, 7, 6, 9), True),  # opening is inside
        (local(LONDON, 2026, 7, 6, 17, 29), True),
        (local(LONDON, 2026, 7, 6, 17, 30), False),  # closing is outside
        (local(LONDON, 2026, 7, 6, 8, 59), False),
        (local(LONDON, 2026, 7, 4, 12), False),  # Saturday
        (local(LONDON, 2026, 1, 5, 9), True),  # GMT
    ],
)
def test_in_windows(at: datetime, inside: bool) -> None:
    assert in_windows([OFFICE_HOURS], LONDON, at) is inside


def test_in_windows_sees_a_window_that_started_yesterday() -> None:
    nights = Window(frozenset({4}), time(22), time(6))
    assert in_windows([nights], LONDON, local(LONDON, 2026, 7, 4, 5, 59))
    assert not in_windows([nights], LONDON, local(LONDON, 2026, 7, 4, 6))


# --- calendars ---------------------------------------------------------------------------


def test_a_holiday_is_a_whole_local_day_without_business_hours() -> None:
    cal = office(date(2026, 12, 25))
    assert is_business(cal, local(LONDON, 2026, 12, 24, 12))
    assert not is_business(cal, local(LONDON, 2026, 12, 25, 12))
    assert is_business(cal, local(LONDON, 2026, 12, 28, 9))


def test_a_holiday_cuts_a_night_window_at_local_midnight() -> None:
    nights = Window(ALL_DAYS, time(22), time(6))
    cal = Calendar("nights", LONDON, (nights,), frozenset({date(2026, 12, 25)}))
    got = business_intervals(cal, utc(2026, 12, 24, 12), utc(2026, 12, 26, 12))
    assert got == [
        (utc(2026, 12, 24, 22), utc(2026, 12, 25)),
        (utc(2026, 12, 26), utc(2026, 12, 26, 6)),
    ]


def test_add_business_within_the_day() -> None:
    start = local(LONDON, 2026, 7, 6, 10)
    assert add_business(office(), start, timedelta(hours=4)) == local(LONDON, 2026, 7, 6, 14)


def test_add_business_outside_hours_starts_at_the_next_opening() -> None:
    saturday = local(LONDON, 2026, 7, 4, 12)
    assert add_business(office(), saturday, timedelta(hours=1)) == local(LONDON, 2026, 7, 6, 10)


def test_add_business_ending_at_closing_is_the_closing() -> None:
    friday = local(LONDON, 2026, 7, 3, 16, 30)
    assert add_business(office(), friday, timedelta(hours=1)) == local(LONDON, 2026, 7, 3, 17, 30)


def test_add_business_across_a_weekend_and_a_holiday() -> None:
    cal = office(date(2026, 12, 25), date(2026, 12, 28))
    thursday = local(LONDON, 2026, 12, 24, 16)
    # 1h30 on Thursday; Friday (holiday), weekend, Monday (holiday); 2h30 on Tuesday.
    assert add_business(cal, thursday, timedelta(hours=4)) == local(LONDON, 2026, 12, 29, 11, 30)


def test_add_business_zero_is_the_start() -> None:
    saturday = local(LONDON, 2026, 7, 4, 12)
    assert add_business(office(), saturday, timedelta(0)) == saturday


def test_add_business_refuses_negative_durations() -> None:
    with pytest.raises(ValueError):
        add_business(office(), utc(2026, 7, 6), timedelta(hours=-1))


def test_add_business_long_durations() -> None:
    # 10 days = 240h of business time = 28 working days of 8h30 and 2h: five weeks and
    # three days from Monday 09:00, then two hours on the Thursday.
    start = local(LONDON, 2026, 7, 6, 9)
    due = add_business(office(), start, timedelta(days=10))
    assert business_between(office(), start, due) == timedelta(days=10)
    assert due == local(LONDON, 2026, 8, 13, 11)  # Thursday of the 6th week, 2h in


def test_add_business_across_both_dst_changes_counts_wall_clock_hours() -> None:
    # Friday 16:30 GMT + 2h: 1h on Friday, 1h on Monday (BST since Sunday).
    due = add_business(office(), local(LONDON, 2026, 3, 27, 16, 30), timedelta(hours=2))
    assert due == local(LONDON, 2026, 3, 30, 10)
    due = add_business(office(), local(LONDON, 2026, 10, 23, 16, 30), timedelta(hours=2))
    assert due == local(LONDON, 2026, 10, 26, 10)


def test_a_calendar_without_hours_is_an_error_not_a_hang() -> None:
    cal = Calendar("never", LONDON, ())
    with pytest.raises(ValueError):
        add_business(cal, utc(2026, 7, 6), timedelta(hours=1))


def test_business_between() -> None:
    cal = office(date(2026, 12, 25))
    start, end = local(LONDON, 2026, 12, 24, 16), local(LONDON, 2026, 12, 28, 10)
    assert business_between(cal, start, end) == timedelta(hours=2, minutes=30)
    assert business_between(cal, end, start) == -timedelta(hours=2, minutes=30)
    assert business_between(cal, start, start) == timedelta(0)


def test_business_between_is_the_inverse_of_add_business() -> None:
    cal = office(date(2026, 12, 25))
    start = local(LONDON, 2026, 12, 20, 3)
    for hours in (1, 8, 8.5, 9, 40, 100):
        due = add_business(cal, start, timedelta(hours=hours))
        assert business_between(cal, start, due) == timedelta(hours=hours)
