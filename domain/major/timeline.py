"""The timeline of a major incident: chat messages marked in the war room, notes, and
everything the incident's own timeline holds (state changes, SLA events, updates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from domain.context import Actor, DeskContext
from domain.errors import InvalidInput
from domain.incidents.records import TimelineEntry
from domain.major.lifecycle import incident_of, require_live
from domain.major.records import MajorIncident, MajorMark
from domain.major.room import say_in_room
from domain.text import MAX_TEXT, check_text, clean_text


@dataclass(frozen=True)
class Line:
    """One line of the timeline, as the review and `/major timeline` show it."""

    at: datetime
    who: str
    what: str  # "chat", "note", or the incident timeline's kind ("major", "resolved", …)
    text: str


def add_note(ctx: DeskContext, actor: Actor, major: MajorIncident, text: str) -> MajorMark:
    """A line written straight onto the timeline (`/major note`)."""
    require_live(major, "note")
    text = check_text(text, "The note")
    if not text:
        raise InvalidInput('Say what to note: /major note "rolled back the 14:02 deploy".')
    now = ctx.clock.now()
    mark = MajorMark(
        major_id=major.id,
        source=f"note:{now.isoformat()}:{actor.name}",
        at=now,
        author=actor.name,
        text=text,
        added_by=actor.name,
        added_at=now,
        removed=False,
    )
    ctx.session.add(mark)
    ctx.session.flush()
    mark.source = f"note:{mark.id}"
    notify_line = f"Noted by @{actor.name}: {text}"
    say_in_room(ctx, major, incident_of(ctx, major), actor, "major_note", notify_line, text=text)
    return mark


def mark_message(
    ctx: DeskContext,
    actor: Actor,
    major_id: int,
    *,
    source: str,
    author: str,
    at: datetime,
    text: str,
    mode: str = "toggle",
) -> str:
    """Put a chat message on the timeline with its author and time, or take it off
    ("toggle": the same action again removes it). Returns the sentence for the person."""
    major = ctx.session.get(MajorIncident, major_id, with_for_update=True)
    if major is None:
        raise InvalidInput("That room is not a major incident's war room.")
    require_live(major, "note")
    text = clean_text(text).strip()[:MAX_TEXT]
    if not text:
        raise InvalidInput("That message has no text to put on the timeline.")
    found = ctx.session.scalar(
        select(MajorMark).where(MajorMark.major_id == major.id, MajorMark.source == source)
    )
    now = ctx.clock.now()
    if found is None:
        if mode == "remove":
            return "That message is not on the timeline."
        ctx.session.add(
            MajorMark(
                major_id=major.id,
                source=source[:200],
                at=at,
                author=author[:64],
                text=text,
                added_by=actor.name,
                added_at=now,
                removed=False,
            )
        )
        return f"Added to {major.key}'s timeline."
    if mode == "add" or (mode == "toggle" and found.removed):
        if not found.removed:
            return f"That message is already on {major.key}'s timeline."
        found.removed, found.added_by, found.added_at = False, actor.name, now
        return f"Added to {major.key}'s timeline again."
    if found.removed:
        return "That message is not on the timeline."
    found.removed = True
    return f"Taken off {major.key}'s timeline."


def lines(ctx: DeskContext, major: MajorIncident) -> list[Line]:
    """The whole timeline in time order: marks and notes, and the incident's own entries."""
    marks = ctx.session.scalars(
        select(MajorMark)
        .where(MajorMark.major_id == major.id, MajorMark.removed.is_(False))
        .order_by(MajorMark.id)
    )
    entries = ctx.session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == major.id)
        .order_by(TimelineEntry.id)
    )
    # Notes are marks already; the incident's entry for the same note would repeat it.
    found = [Line(e.at, e.actor, e.kind, e.text) for e in entries if e.kind != "major_note"]
    found += [
        Line(m.at, m.author, "note" if m.source.startswith("note:") else "chat", m.text)
        for m in marks
    ]
    return sorted(found, key=lambda line: line.at)  # stable: the incident's first at a tie
