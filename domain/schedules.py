"""On-call schedules as arithmetic: who is on call when, from rotation layers and overrides.

Pure functions over the settings in domain/oncall_settings.py (no database). A layer's
turn at an instant is computed, never walked to: for a length in whole days, the local
calendar days between the layer's first hand-over and the instant (a hand-over stays at
its wall-clock time across daylight-saving changes, so such a turn lasts 23 or 25 hours
there); for any other length, elapsed time divided by the length.

Semantics chosen where the contract leaves room:
- A layer covers nothing before its `start` (the first hand-over): no turns are
  extrapolated backwards.
- A hand-over wall time that does not exist on some day (spring forward) happens at the
  end of the gap; an ambiguous one (fall back) at its first occurrence.
- Two overlapping covers: the one that starts later wins; on equal starts, the higher id.
- `on_call` and `next_change` look at most `HORIZON` (400 days) either way; a piece that
  runs further is cut there.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from domain.calendars import local_instant, window_intervals
from domain.oncall_settings import Layer, Schedule

HORIZON = timedelta(days=400)
# How far around an instant on_call first looks; grown fourfold while the piece touches
# an edge. Most pieces (a 12 h turn, business hours) are found in the first look.
_FIRST_LOOK = timedelta(hours=18)


@dataclass(frozen=True)
class Cover:
    """An override: `person` covers [start, end) of a schedule."""

    id: int
    person: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Shift:
    """One piece of the final timeline, in UTC."""

    person: str | None  # None: a gap nobody covers
    start: datetime
    end: datetime
    layer: str | None  # the layer's name; None for an override or a gap
    override: int | None = None  # the Cover's id when an override made it


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()}: schedules need aware times")
    return value.astimezone(UTC)


# Hand-overs fall on the same few days again and again (every "who" asks for today's):
# remember their instants rather than convert each time.
_handover_at = lru_cache(maxsize=16384)(local_instant)


class _Rotation:
    """A layer's turns as arithmetic: turn k (from 0 at the first hand-over) and its bounds."""

    __slots__ = ("day0", "days", "handover", "length", "origin", "tz")

    def __init__(self, layer: Layer) -> None:
        self.tz = ZoneInfo(layer.zone)
        start = layer.start
        in_zone = getattr(start.tzinfo, "key", None) == layer.zone
        # A start written in the layer's zone keeps its wall time as written (even one a
        # DST change skips); one given with an offset is read in the zone.
        wall = start.replace(tzinfo=None) if in_zone else start.astimezone(self.tz)
        self.day0 = wall.date()
        self.handover = wall.time().replace(tzinfo=None)
        self.length = layer.length
        self.days = layer.length.days if layer.calendar_length else 0
        if self.days or in_zone:
            self.origin = _handover_at(self.day0, self.handover, self.tz)
        else:
            self.origin = _utc(start)

    def index(self, at: datetime) -> int:
        """The turn at `at` (UTC, not before the origin)."""
        if not self.days:
            return (at - self.origin) // self.length
        local_day = at.astimezone(self.tz).date()
        elapsed = (local_day - self.day0).days
        if at < _handover_at(local_day, self.handover, self.tz):
            elapsed -= 1  # before today's hand-over: still yesterday's day
        return elapsed // self.days

    def begins(self, turn: int) -> datetime:
        """The instant turn `turn` begins (UTC)."""
        if not self.days:
            return self.origin + self.length * turn
        day = self.day0 + timedelta(days=self.days * turn)
        return _handover_at(day, self.handover, self.tz)

    def turns(self, start: datetime, end: datetime) -> Iterator[tuple[int, datetime, datetime]]:
        """(turn, begin, end) of the turns meeting [start, end), clipped to it."""
        first = max(start, self.origin)
        if first >= end:
            return
        turn = self.index(first)
        begin = self.begins(turn)
        while begin < end:
            finish = self.begins(turn + 1)
            yield turn, max(begin, start), min(finish, end)
            turn += 1
            begin = finish


# Settings are long-lived values: read each layer's arithmetic once.
_rotation = lru_cache(maxsize=4096)(_Rotation)

Piece = tuple[str, datetime, datetime]  # person, start, end (UTC)


def _pieces(layer: Layer, start: datetime, end: datetime) -> list[Piece]:
    """layer_shifts as plain tuples, for [start, end) already in UTC."""
    members = layer.members
    if not members or end <= start:
        return []
    turns = _rotation(layer).turns(start, end)
    count = len(members)
    if not layer.windows:
        return [(members[turn % count], begin, finish) for turn, begin, finish in turns]
    open_ = window_intervals(layer.windows, layer.zone, start, end)
    found: list[Piece] = []
    i = 0
    for turn, begin, finish in turns:
        # Both lists are sorted and disjoint: walk the windows alongside the turns.
        while i < len(open_) and open_[i][1] <= begin:
            i += 1
        j = i
        while j < len(open_) and open_[j][0] < finish:
            low, high = max(begin, open_[j][0]), min(finish, open_[j][1])
            if low < high:
                found.append((members[turn % count], low, high))
            j += 1
    return found


def layer_shifts(layer: Layer, start: datetime, end: datetime) -> list[Shift]:
    """The layer's own turns clipped to [start, end) and to its windows (no gaps listed)."""
    return [
        Shift(person, low, high, layer.name)
        for person, low, high in _pieces(layer, _utc(start), _utc(end))
    ]


def shifts(
    schedule: Schedule, start: datetime, end: datetime, covers: Sequence[Cover] = ()
) -> list[Shift]:
    """The final timeline over [start, end): contiguous, gaps as person None.

    At each instant the last layer (in `schedule.layers` order) that covers it wins;
    covers beat every layer, the latest-starting one where two overlap. Adjacent pieces
    with the same person and the same layer or override are merged.
    """
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    by_layer = [_pieces(layer, start, end) for layer in schedule.layers]
    names = [layer.name for layer in schedule.layers]
    cuts = {start, end}
    for pieces in by_layer:
        for _, low, high in pieces:
            cuts.add(low)
            cuts.add(high)
    active: list[tuple[datetime, datetime, tuple[datetime, int], Cover]] = []
    for cover in covers:
        c_start, c_end = _utc(cover.start), _utc(cover.end)
        low, high = max(c_start, start), min(c_end, end)
        if low < high:
            active.append((low, high, (c_start, cover.id), cover))
            cuts.add(low)
            cuts.add(high)
    points = sorted(cuts)
    cursors = [0] * len(by_layer)
    order = range(len(by_layer) - 1, -1, -1)
    merged: list[list] = []  # [person, start, end, layer, override]
    for a, b in zip(points, points[1:], strict=False):
        person: str | None = None
        layer: str | None = None
        override: int | None = None
        best = None
        for low, high, rank, cover in active:
            if low <= a < high and (best is None or rank > best[0]):
                best = (rank, cover)
        if best is not None:
            person, override = best[1].person, best[1].id
        else:
            for i in order:
                pieces = by_layer[i]
                j = cursors[i]
                while j < len(pieces) and pieces[j][2] <= a:
                    j += 1
                cursors[i] = j
                if j < len(pieces) and pieces[j][1] <= a:
                    person, layer = pieces[j][0], names[i]
                    break
        last = merged[-1] if merged else None
        if last and last[0] == person and last[3] == layer and last[4] == override:
            last[2] = b
        else:
            merged.append([person, a, b, layer, override])
    return [Shift(p, s, e, layer, override) for p, s, e, layer, override in merged]


def on_call(schedule: Schedule, at: datetime, covers: Sequence[Cover] = ()) -> Shift:
    """The piece covering `at` (person None in a gap), with its real start and end
    (looked for at most HORIZON either way), so "until Mon 09:00" is right."""
    at = _utc(at)
    back = forward = _FIRST_LOOK
    while True:
        low, high = at - back, at + forward
        pieces = shifts(schedule, low, high, covers)
        piece = next(p for p in pieces if p.start <= at < p.end)
        grow_back = piece.start == low and back < HORIZON
        grow_forward = piece.end == high and forward < HORIZON
        if not (grow_back or grow_forward):
            return piece
        if grow_back:
            back = min(back * 4, HORIZON)
        if grow_forward:
            forward = min(forward * 4, HORIZON)


def next_change(
    schedule: Schedule, after: datetime, covers: Sequence[Cover] = ()
) -> datetime | None:
    """The first instant after `after` at which the on-call person changes (a gap counts
    as nobody), or None if it does not within HORIZON."""
    after = _utc(after)
    span = timedelta(days=2)
    while True:
        pieces = shifts(schedule, after, after + span, covers)
        now = pieces[0].person
        for piece in pieces[1:]:
            if piece.person != now:
                return piece.start
        if span >= HORIZON:
            return None
        span = min(span * 4, HORIZON)


def gaps(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The stretches of [start, end) no layer covers (overrides not counted), in UTC."""
    return [(s.start, s.end) for s in shifts(schedule, start, end) if s.person is None]
