"""On-call schedule arithmetic: rotations, layers, windows, overrides, gaps and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendars import in_windows
from domain.oncall_settings import Layer, Schedule, Window
from domain.schedules import Cover, Shift, gaps, layer_shifts, next_change, on_call, shifts

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
DAY, WEEK, HOUR = timedelta(days=1), timedelta(weeks=1), timedelta(hours=1)
WEEKDAYS_9_TO_5 = Window(frozenset(range(5)), time(9), time(17))
EVERY_NIGHT = Window(frozenset(range(7)), time(22), time(6))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def layer(name, members, start, length, zone="Europe/London", windows=()) -> Layer:
    return Layer(name, tuple(members), start, length, zone, tuple(windows))


def schedule(*layers: Layer, zone: str = "Europe/London") -> Schedule:
    return Schedule("network", "primary", zone, tuple(layers))


def local(shift: Shift, zone: ZoneInfo = LONDON) -> tuple[str | None, str, str]:
    """A piece as people read it: who, from and to in local wall time."""
    fmt = "%a %d %H:%M"
    return (
        shift.person,
        shift.start.astimezone(zone).strftime(fmt),
        shift.end.astimezone(zone).strftime(fmt),
    )


# 2026-01-05 is a Monday.
DAILY = layer("daily", "abc", datetime(2026, 1, 5, 9, tzinfo=LONDON), DAY)
WEEKLY = layer("weekly", ["carol", "erin"], datetime(2026, 1, 5, 9, tzinfo=LONDON), WEEK)
BUSINESS = layer(
    "business",
    ["xena", "yuri"],
    datetime(2026, 1, 5, 9, tzinfo=LONDON),
    DAY,
    windows=[WEEKDAYS_9_TO_5],
)


def test_a_daily_rotation_hands_over_at_its_time_and_cycles_through_members() -> None:
    plan = schedule(DAILY)
    assert on_call(plan, utc(2026, 1, 5, 10)) == Shift(
        "a", utc(2026, 1, 5, 9), utc(2026, 1, 6, 9), "daily"
    )
    assert on_call(plan, utc(2026, 1, 6, 8, 59)).person == "a"
    assert on_call(plan, utc(2026, 1, 6, 9)).person == "b"
    assert on_call(plan, utc(2026, 1, 7, 9)).person == "c"
    assert on_call(plan, utc(2026, 1, 8, 9)).person == "a"
    # 365 days later (in summer time): day 365 → member 365 % 3 = 2, at 09:00 BST.
    assert on_call(plan, utc(2027, 1, 5, 9)).person == "c"
    assert on_call(plan, utc(2026, 7, 6, 8)) == Shift(
        "c", utc(2026, 7, 6, 8), utc(2026, 7, 7, 8), "daily"
    )  # day 182, from 09:00 BST to 09:00 BST


def test_a_weekly_rotation_runs_monday_to_monday_and_on_call_gives_the_real_bounds() -> None:
    plan = schedule(WEEKLY)
    thursday = on_call(plan, utc(2026, 1, 15, 3))
    assert thursday == Shift("erin", utc(2026, 1, 12, 9), utc(2026, 1, 19, 9), "weekly")
    assert on_call(plan, utc(2026, 1, 19, 9)).person == "carol"


def test_on_call_is_half_open_at_a_hand_over() -> None:
    plan = schedule(WEEKLY)
    hand_over = utc(2026, 1, 12, 9)
    assert on_call(plan, hand_over - timedelta(microseconds=1)).person == "carol"
    assert on_call(plan, hand_over).person == "erin"
    assert on_call(plan, hand_over).start == hand_over


def test_an_hour_rotation_is_elapsed_time_from_its_start() -> None:
    plan = schedule(layer("12h", "ab", datetime(2026, 1, 5, 8, tzinfo=LONDON), 12 * HOUR))
    assert [local(s) for s in shifts(plan, utc(2026, 1, 5, 8), utc(2026, 1, 6, 20))] == [
        ("a", "Mon 05 08:00", "Mon 05 20:00"),
        ("b", "Mon 05 20:00", "Tue 06 08:00"),
        ("a", "Tue 06 08:00", "Tue 06 20:00"),
    ]
    # An 8 h rotation of three: 1001 turns later is turn 1001 % 3 = 2.
    eights = schedule(layer("8h", "abc", datetime(2026, 1, 5, 0, tzinfo=UTC), 8 * HOUR))
    assert on_call(eights, utc(2026, 1, 5) + 1001 * 8 * HOUR + HOUR).person == "c"


def test_nobody_is_on_call_before_a_layer_starts() -> None:
    plan = schedule(DAILY)
    assert on_call(plan, utc(2026, 1, 5, 8)) == Shift(
        None, utc(2026, 1, 5, 8) - timedelta(days=400), utc(2026, 1, 5, 9), None
    )
    assert gaps(plan, utc(2026, 1, 4), utc(2026, 1, 6)) == [(utc(2026, 1, 4), utc(2026, 1, 5, 9))]


def test_later_layers_win_within_their_windows() -> None:
    plan = schedule(WEEKLY, BUSINESS)
    week = shifts(plan, utc(2026, 1, 9, 0), utc(2026, 1, 13, 0))  # Fri to Tue
    assert [(*local(s), s.layer) for s in week] == [
        ("carol", "Fri 09 00:00", "Fri 09 09:00", "weekly"),
        ("xena", "Fri 09 09:00", "Fri 09 17:00", "business"),  # day 4 → xena
        ("carol", "Fri 09 17:00", "Mon 12 09:00", "weekly"),
        ("yuri", "Mon 12 09:00", "Mon 12 17:00", "business"),
        ("erin", "Mon 12 17:00", "Tue 13 00:00", "weekly"),
    ]
    # A layer's own shifts are only its windows' hours.
    assert [local(s) for s in layer_shifts(BUSINESS, utc(2026, 1, 9), utc(2026, 1, 13))] == [
        ("xena", "Fri 09 09:00", "Fri 09 17:00"),
        ("yuri", "Mon 12 09:00", "Mon 12 17:00"),
    ]


def test_the_last_layer_wins_whatever_the_people() -> None:
    under = schedule(BUSINESS, WEEKLY)  # the 24/7 layer last hides the business one
    assert {s.layer for s in shifts(under, utc(2026, 1, 5, 9), utc(2026, 1, 20))} == {"weekly"}


def test_overrides_beat_every_layer_and_the_latest_starting_wins() -> None:
    plan = schedule(WEEKLY, BUSINESS)
    covers = [
        Cover(1, "bob", utc(2026, 1, 12, 8), utc(2026, 1, 12, 12)),
        Cover(2, "dan", utc(2026, 1, 12, 10), utc(2026, 1, 12, 11)),
        Cover(3, "eve", utc(2026, 1, 12, 10), utc(2026, 1, 12, 10, 30)),  # same start: id 3 wins
    ]
    found = shifts(plan, utc(2026, 1, 12, 7), utc(2026, 1, 12, 13), covers)
    assert [(s.person, s.start.hour, s.start.minute, s.layer, s.override) for s in found] == [
        ("carol", 7, 0, "weekly", None),
        ("bob", 8, 0, None, 1),
        ("eve", 10, 0, None, 3),
        ("dan", 10, 30, None, 2),
        ("bob", 11, 0, None, 1),
        ("yuri", 12, 0, "business", None),
    ]
    assert on_call(plan, utc(2026, 1, 12, 9), covers) == Shift(
        "bob", utc(2026, 1, 12, 8), utc(2026, 1, 12, 10), None, 1
    )
    # Covers outside the range are ignored; those across an edge are cut at it.
    assert shifts(plan, utc(2026, 1, 12, 11, 30), utc(2026, 1, 12, 11, 45), covers) == [
        Shift("bob", utc(2026, 1, 12, 11, 30), utc(2026, 1, 12, 11, 45), None, 1)
    ]


def test_gaps_are_listed_and_are_pieces_of_nobody() -> None:
    plan = schedule(BUSINESS)
    found = shifts(plan, utc(2026, 1, 9, 0), utc(2026, 1, 12, 12))
    assert [local(s) for s in found] == [
        (None, "Fri 09 00:00", "Fri 09 09:00"),
        ("xena", "Fri 09 09:00", "Fri 09 17:00"),
        (None, "Fri 09 17:00", "Mon 12 09:00"),  # the weekend is one gap, merged
        ("yuri", "Mon 12 09:00", "Mon 12 12:00"),
    ]
    assert gaps(plan, utc(2026, 1, 9, 0), utc(2026, 1, 12, 12)) == [
        (utc(2026, 1, 9, 0), utc(2026, 1, 9, 9)),
        (utc(2026, 1, 9, 17), utc(2026, 1, 12, 9)),
    ]
    # An override fills a gap in the timeline, but gaps() is about the layers.
    cover = Cover(7, "bob", utc(2026, 1, 10), utc(2026, 1, 11))
    assert on_call(plan, utc(2026, 1, 10, 12), [cover]).person == "bob"
    assert on_call(plan, utc(2026, 1, 11, 12), [cover]) == Shift(
        None, utc(2026, 1, 11), utc(2026, 1, 12, 9), None
    )
    assert gaps(schedule(WEEKLY, BUSINESS), utc(2026, 1, 5, 9), utc(2026, 3, 1)) == []


def test_adjacent_pieces_merge_only_with_the_same_person_and_origin() -> None:
    alone = layer("solo", ["carol"], datetime(2026, 1, 5, 9, tzinfo=LONDON), DAY)
    assert shifts(schedule(alone), utc(2026, 1, 5, 9), utc(2026, 1, 9, 9)) == [
        Shift("carol", utc(2026, 1, 5, 9), utc(2026, 1, 9, 9), "solo")
    ]
    # carol in a later layer next to carol in an earlier one: two pieces, one person.
    days = layer(
        "days", ["carol"], datetime(2026, 1, 5, 9, tzinfo=LONDON), DAY, windows=[WEEKDAYS_9_TO_5]
    )
    nights = layer("nights", ["carol", "erin"], datetime(2026, 1, 5, 9, tzinfo=LONDON), DAY)
    found = shifts(schedule(nights, days), utc(2026, 1, 5, 9), utc(2026, 1, 6, 9))
    assert [(s.person, s.layer) for s in found] == [("carol", "days"), ("carol", "nights")]
    # An override by the person already on call is still an override.
    cover = Cover(4, "carol", utc(2026, 1, 5, 12), utc(2026, 1, 5, 13))
    found = shifts(schedule(alone), utc(2026, 1, 5, 9), utc(2026, 1, 5, 18), [cover])
    assert [(s.person, s.override) for s in found] == [
        ("carol", None),
        ("carol", 4),
        ("carol", None),
    ]


def test_next_change_is_when_the_person_changes() -> None:
    plan = schedule(WEEKLY, BUSINESS)
    assert next_change(plan, utc(2026, 1, 10, 12)) == utc(2026, 1, 12, 9)  # Sat → Mon yuri
    assert next_change(plan, utc(2026, 1, 12, 9)) == utc(2026, 1, 12, 17)  # strictly after
    # carol on nights then carol on days is no change of person.
    days = layer(
        "days", ["carol"], datetime(2026, 1, 5, 9, tzinfo=LONDON), DAY, windows=[WEEKDAYS_9_TO_5]
    )
    same = schedule(WEEKLY, days)
    # carol all week, and on Monday's business hours too: erin from Monday 17:00.
    assert next_change(same, utc(2026, 1, 5, 12)) == utc(2026, 1, 12, 17)
    # A gap is a change (to nobody) and so is its end.
    assert next_change(schedule(BUSINESS), utc(2026, 1, 9, 12)) == utc(2026, 1, 9, 17)
    assert next_change(schedule(BUSINESS), utc(2026, 1, 9, 18)) == utc(2026, 1, 12, 9)
    alone = layer("solo", ["carol"], datetime(2026, 1, 5, 9, tzinfo=LONDON), WEEK)
    assert next_change(schedule(alone), utc(2026, 2, 1)) is None
    cover = Cover(1, "bob", utc(2026, 5, 1), utc(2026, 5, 2))
    assert next_change(schedule(alone), utc(2026, 2, 1), [cover]) == utc(2026, 5, 1)


def test_on_call_looks_far_for_the_real_bounds_but_no_further_than_400_days() -> None:
    alone = layer("solo", ["carol"], datetime(2026, 1, 5, 9, tzinfo=LONDON), WEEK)
    at = utc(2026, 6, 1)
    assert on_call(schedule(alone), at) == Shift(
        "carol", utc(2026, 1, 5, 9), at + 400 * DAY, "solo"
    )


@pytest.mark.parametrize(
    ("zone", "spring", "autumn", "winter_utc", "summer_utc"),
    [
        (LONDON, date(2026, 3, 29), date(2026, 10, 25), 9, 8),
        (NEW_YORK, date(2026, 3, 8), date(2026, 11, 1), 14, 13),
    ],
)
def test_a_daily_hand_over_stays_at_0900_local_across_both_dst_changes(
    zone, spring, autumn, winter_utc, summer_utc
) -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=zone)
    plan = schedule(layer("daily", "abc", start, DAY, zone.key), zone=zone.key)
    before, on = spring - DAY, spring
    around_spring = shifts(
        plan,
        utc(before.year, before.month, before.day, winter_utc),
        utc(on.year, on.month, on.day + 1, summer_utc),
    )
    assert [s.start.astimezone(zone).hour for s in around_spring] == [9, 9]
    assert around_spring[0].end - around_spring[0].start == 23 * HOUR  # the short day
    assert around_spring[0].end == utc(on.year, on.month, on.day, summer_utc)
    before = autumn - DAY
    around_autumn = shifts(
        plan,
        utc(before.year, before.month, before.day, summer_utc),
        utc(autumn.year, autumn.month, autumn.day + 1, winter_utc),
    )
    assert [s.start.astimezone(zone).hour for s in around_autumn] == [9, 9]
    assert around_autumn[0].end - around_autumn[0].start == 25 * HOUR  # the long day
    # The turn count is by calendar day: the person is the same as with no DST at all.
    for day in (spring, autumn):
        at = datetime.combine(day, time(10), tzinfo=zone)
        assert on_call(plan, at).person == "abc"[(day - date(2026, 1, 5)).days % 3]


def test_a_12h_rotation_is_elapsed_time_so_its_wall_clock_hand_over_moves() -> None:
    plan = schedule(layer("12h", "ab", datetime(2026, 3, 27, 9, tzinfo=LONDON), 12 * HOUR))
    spring = shifts(plan, utc(2026, 3, 28, 21), utc(2026, 3, 30, 21))
    assert all(s.end - s.start == 12 * HOUR for s in spring[1:-1])
    assert [local(s)[1] for s in spring] == [
        "Sat 28 21:00",
        "Sun 29 10:00",
        "Sun 29 22:00",
        "Mon 30 10:00",
    ]
    autumn = shifts(plan, utc(2026, 10, 24, 9), utc(2026, 10, 25, 21))
    assert [local(s)[1] for s in autumn] == ["Sat 24 10:00", "Sat 24 22:00", "Sun 25 09:00"]
    assert {s.end - s.start for s in autumn} == {12 * HOUR}


def test_a_night_window_across_each_dst_change_keeps_its_wall_clock_hours() -> None:
    nights = layer(
        "nights", ["olga"], datetime(2026, 1, 5, 9, tzinfo=LONDON), WEEK, windows=[EVERY_NIGHT]
    )
    spring = layer_shifts(nights, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))
    assert [local(s) for s in spring] == [("olga", "Sat 28 22:00", "Sun 29 06:00")]
    assert spring[0].end - spring[0].start == 7 * HOUR
    autumn = layer_shifts(nights, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))
    assert [local(s) for s in autumn] == [("olga", "Sat 24 22:00", "Sun 25 06:00")]
    assert autumn[0].end - autumn[0].start == 9 * HOUR
    york = layer(
        "nights",
        ["olga"],
        datetime(2026, 1, 5, 9, tzinfo=NEW_YORK),
        WEEK,
        "America/New_York",
        [EVERY_NIGHT],
    )
    piece = on_call(schedule(york, zone="America/New_York"), utc(2026, 3, 8, 7))
    assert (piece.start, piece.end) == (utc(2026, 3, 8, 3), utc(2026, 3, 8, 10))  # 7 h


def test_a_hand_over_at_a_skipped_or_repeated_wall_time() -> None:
    plan = schedule(layer("late", "ab", datetime(2026, 3, 1, 1, 30, tzinfo=LONDON), DAY))
    # 01:30 does not exist on 29 March: the hand-over is at the end of the gap (02:00 BST).
    assert on_call(plan, utc(2026, 3, 29, 0, 59)).end == utc(2026, 3, 29, 1)
    assert on_call(plan, utc(2026, 3, 29, 1)).start == utc(2026, 3, 29, 1)
    # 01:30 happens twice on 25 October: the first one (BST, 00:30 UTC).
    assert on_call(plan, utc(2026, 10, 25, 1)).start == utc(2026, 10, 25, 0, 30)


def test_a_start_given_with_an_offset_is_read_in_the_layer_zone() -> None:
    offset = layer("daily", "abc", datetime(2026, 1, 5, 9, tzinfo=UTC), DAY)  # 09:00 GMT
    assert on_call(schedule(offset), utc(2026, 7, 6, 8)).start == utc(2026, 7, 6, 8)  # 09:00 BST


def test_times_must_be_aware_and_empty_ranges_are_empty() -> None:
    with pytest.raises(ValueError, match="naive"):
        on_call(schedule(DAILY), datetime(2026, 1, 5, 9))
    assert shifts(schedule(DAILY), utc(2026, 1, 6), utc(2026, 1, 6)) == []
    assert on_call(schedule(DAILY), datetime(2026, 1, 6, 10, tzinfo=NEW_YORK)).start.tzinfo is UTC


# Against an oracle that walks turn by turn (the module never walks): for hand-over
# times no DST change skips, a plain zoneinfo conversion gives each hand-over instant.
def _oracle_person(plan: Schedule, at: datetime) -> str | None:
    for lay in reversed(plan.layers):
        zone = ZoneInfo(lay.zone)
        if at < lay.start or (lay.windows and not in_windows(lay.windows, lay.zone, at)):
            continue
        turn, begin = 0, lay.start.astimezone(UTC)  # aware arithmetic in UTC: elapsed
        while True:
            if lay.calendar_length:
                day = lay.start.date() + (turn + 1) * lay.length
                after = datetime.combine(day, lay.start.time(), tzinfo=zone)
            else:
                after = begin + lay.length
            if after > at:
                return lay.members[turn % len(lay.members)]
            turn, begin = turn + 1, after
    return None


ZONES = ["Europe/London", "America/New_York", "Australia/Sydney"]


@st.composite
def plans(draw) -> Schedule:
    zone = draw(st.sampled_from(ZONES))
    built = []
    for n in range(draw(st.integers(1, 3))):
        start = datetime(2026, 1, 1, draw(st.integers(5, 22)), tzinfo=ZoneInfo(zone)) + DAY * draw(
            st.integers(0, 60)
        )
        length = draw(st.sampled_from([DAY, 2 * DAY, WEEK, 12 * HOUR, 8 * HOUR, 36 * HOUR]))
        windows = draw(st.sampled_from([(), (WEEKDAYS_9_TO_5,), (EVERY_NIGHT,)]))
        members = draw(st.lists(st.sampled_from("abcde"), min_size=1, max_size=4))
        built.append(layer(f"l{n}", members, start, length, zone, windows))
    return schedule(*built, zone=zone)


@settings(max_examples=150, deadline=None)
@given(plan=plans(), offset=st.integers(0, 500 * 24 * 60), span=st.integers(1, 20 * 24 * 60))
def test_the_timeline_matches_a_turn_by_turn_walk(plan: Schedule, offset: int, span: int) -> None:
    start = utc(2026, 1, 1) + timedelta(minutes=offset)
    end = start + timedelta(minutes=span)
    found = shifts(plan, start, end)
    assert found[0].start == start and found[-1].end == end
    for a, b in zip(found, found[1:], strict=False):
        assert a.end == b.start
        assert (a.person, a.layer) != (b.person, b.layer)
    for piece in found[:: max(1, len(found) // 10)]:
        middle = piece.start + (piece.end - piece.start) / 2
        assert piece.person == _oracle_person(plan, middle)
        assert on_call(plan, piece.start).person == piece.person
    assert _oracle_person(plan, start) == found[0].person
