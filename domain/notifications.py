"""Writing notifications into the outbox, in the same transaction as the change.

Every process registers the notification kinds it writes (`register_kinds`), each with the
actions its message offers the reader (a Claim button under an escalation), and how its
subjects look to templates (`register_subject`). A notification about a subject carries a
snapshot of it, frozen at the moment of the change, under the subject's type name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select

from domain.context import SYSTEM, DeskContext
from domain.records import OutboxMessage, PersonRecord, PlatformAccount
from domain.states import StateMachine


class Subject(Protocol):
    """A record notifications and timers can be about (an incident, later a problem…)."""

    subject_type: str
    id: Any
    state: str


@dataclass(frozen=True)
class Offer:
    """An action a notification's reader is offered, with the words on its button."""

    action: str
    label: str


@dataclass(frozen=True)
class SubjectType:
    """How a process's subjects appear in notifications."""

    name: str
    machine: StateMachine
    snapshot: Callable[[Any], dict[str, Any]]
    key_prefix: str = ""  # how its keys start: "INC" for INC-42


def subject_of_key(key: str) -> SubjectType | None:
    """The kind of subject a key such as PRB-2 names, or None."""
    prefix = key.partition("-")[0].upper()
    return next((s for s in SUBJECTS.values() if s.key_prefix and s.key_prefix == prefix), None)


# The reference a DM creates when it starts a person's thread about a subject.
DM_THREAD = "dm_thread"

KINDS: dict[str, str] = {}  # notification kind → the process that owns it
OFFERS: dict[str, tuple[Offer, ...]] = {}
SUBJECTS: dict[str, SubjectType] = {}


def register_kinds(process: str, kinds: dict[str, tuple[Offer, ...]]) -> None:
    """Declare a process's notification kinds and what each offers its reader."""
    for kind, offers in kinds.items():
        owner = KINDS.setdefault(kind, process)
        if owner != process:
            raise ValueError(f"notification kind {kind} belongs to {owner}, not {process}")
        OFFERS[kind] = offers


def register_subject(subject_type: SubjectType) -> None:
    """Declare how subjects of one type are snapshotted for templates."""
    SUBJECTS[subject_type.name] = subject_type


def process_of(kind: str) -> str | None:
    """The process whose templates render this kind, or None for an unknown kind."""
    return KINDS.get(kind)


def snapshot(subject: Subject) -> dict[str, Any]:
    """The subject as templates see it: its fields and the actions its state allows now."""
    kind = SUBJECTS[subject.subject_type]
    view = _state_view(kind, subject.state)
    data = kind.snapshot(subject)
    data.update(view.describe)
    data["actions"] = [dict(action) for action in view.actions]  # the caller's to change
    return data


@dataclass(frozen=True)
class _StateView:
    describe: dict[str, Any]
    actions: tuple[dict[str, Any], ...]
    allowed: frozenset[str]


# How a state looks to templates depends on the state alone: worked out once per state,
# not for every notification (thousands of them when timers fall due together).
_STATE_VIEWS: dict[tuple[str, str], _StateView] = {}


def _state_view(kind: SubjectType, state: str) -> _StateView:
    key = (kind.name, state)
    if key not in _STATE_VIEWS:
        actions = kind.machine.available_actions(state)
        _STATE_VIEWS[key] = _StateView(
            describe=kind.machine.describe(state),
            actions=tuple(kind.machine.as_data(actions)),
            allowed=frozenset(a.name for a in actions),
        )
    return _STATE_VIEWS[key]


def notify(
    ctx: DeskContext,
    kind: str,
    *,
    subject: Subject | None = None,
    channel: str | None = None,
    person: str | None = None,
    creates_ref: str | None = None,
    updates_ref: str | None = None,
    **context: Any,
) -> int:
    """Queue one message to a logical channel and/or a person, its body built once.

    `creates_ref` and `updates_ref` (a card the post creates or updates) apply to the
    channel post only. Returns how many outbox rows were written.
    """
    destinations = [
        *_channel_destinations(ctx, channel, (creates_ref, updates_ref)),
        *_person_destinations(ctx, person),
    ]
    return _queue(ctx, destinations, kind, subject, context)


def notify_channel(
    ctx: DeskContext,
    channel: str | None,
    kind: str,
    *,
    subject: Subject | None = None,
    creates_ref: str | None = None,
    updates_ref: str | None = None,
    **context: Any,
) -> int:
    """Queue a post to a logical channel on every platform that has an address for it."""
    destinations = _channel_destinations(ctx, channel, (creates_ref, updates_ref))
    return _queue(ctx, destinations, kind, subject, context)


def notify_person(
    ctx: DeskContext,
    person: str | None,
    kind: str,
    *,
    subject: Subject | None = None,
    creates_ref: str | None = None,
    platform: str | None = None,
    **context: Any,
) -> int:
    """Queue a direct message to a person on every platform where we can reach them (or on
    `platform` only, for a message that must exist once: a one-time link).

    With `creates_ref` (a DM thread), the message sent becomes that person's reference for
    the subject: later DMs about it go into its thread where the platform has threads.
    """
    destinations = _person_destinations(ctx, person)
    if platform is not None:
        destinations = [d for d in destinations if d.platform == platform] or destinations[:1]
    if creates_ref:
        destinations = [_Destination(d.platform, d.kind, d.name, creates_ref) for d in destinations]
    return _queue(ctx, destinations, kind, subject, context)


def notify_room(
    ctx: DeskContext,
    room: str,
    kind: str,
    *,
    subject: Subject,
    creates_ref: str | None = None,
    updates_ref: str | None = None,
    room_op: dict[str, Any] | None = None,
    **context: Any,
) -> int:
    """Queue a post to the subject's own room (a channel made for it at run time).

    The address is found at delivery through the subject's message reference `room`, so
    the room may be created after the notification is written. `room_op` asks the platform
    for more than a post (see `ROOM_OPS`): pin it, archive the room after it, attach a file.
    """
    if room_op is not None:
        if room_op.get("op") not in ROOM_OPS:
            raise ValueError(f"unknown room operation {room_op!r}")
        context["room_op"] = room_op
    # One lane per subject's room: a room that cannot be made holds up only its own posts.
    lane = room_lane(room, subject)
    destinations = [_Destination(p, "room", lane, creates_ref, updates_ref) for p in ctx.platforms]
    return _queue(ctx, destinations, kind, subject, context)


def room_lane(room: str, subject: Subject) -> str:
    """A room post's destination: the room's reference role and whose room it is."""
    return f"{room}:{subject.subject_type}:{subject.id}"


def room_role(destination: str) -> str:
    """The reference role of a room post's destination ("room")."""
    return destination.split(":", 1)[0]


# What a room post may ask of the platform besides posting (the sender does it):
ROOM_OPS = {
    # make the room (or find the half-made one of an earlier attempt), invite `members`,
    # set `topic` and `purpose`, then post; the post's reference becomes the room's
    "open": ("name", "topic", "purpose", "members", "within", "beside", "private"),
    "pin": (),  # post and pin the post (a status card: with creates_ref)
    "edit": (),  # edit the `updates_ref` message in place and post nothing else
    "invite": ("members",),  # bring `members` into the room, then post
    "archive": (),  # post, then archive the room (or make it read-only)
    "file": ("filename", "content"),  # post with `content` attached as `filename`
}


def open_room(
    ctx: DeskContext,
    kind: str,
    *,
    subject: Subject,
    name: str,
    topic: str,
    purpose: str,
    members: list[str],
    within: str | None = None,
    beside: str | None = None,
    private: bool = False,
    room: str = "room",
    **context: Any,
) -> int:
    """Queue the making of the subject's room, named `name`, with `members` invited.

    The message of `kind` is the room's first post; when it is sent, its reference
    becomes the subject's `room` reference, where every later room post goes. `within` is
    the logical channel rooms are made in (a category), `beside` the one whose thread
    stands in for a room where the bot may not make channels.
    """
    op = {
        "op": "open",
        "name": name,
        "topic": topic,
        "purpose": purpose,
        "members": members,
        "within": within,
        "beside": beside,
        "private": private,
    }
    return notify_room(ctx, room, kind, subject=subject, creates_ref=room, room_op=op, **context)


@dataclass(frozen=True)
class _Destination:
    platform: str
    kind: str  # channel, dm or room
    name: str
    creates_ref: str | None = None
    updates_ref: str | None = None


def _channel_destinations(
    ctx: DeskContext, channel: str | None, refs: tuple[str | None, str | None]
) -> list[_Destination]:
    if not channel or channel not in ctx.policy.channels:
        return []
    addresses = ctx.policy.channels[channel].addresses
    return [
        _Destination(p, "channel", channel, *refs)
        for p in ctx.platforms
        if p in ctx.by_name or p in addresses
    ]


def _person_destinations(ctx: DeskContext, person: str | None) -> list[_Destination]:
    if not person or person == SYSTEM.name:  # deskbot itself (events' incidents) reads no DMs
        return []
    platforms = [p for p in ctx.platforms if p in ctx.by_name]
    if len(platforms) < len(ctx.platforms):  # only chat accounts cost a query
        held = _accounts(ctx, person)
        platforms += [p for p in ctx.platforms if p not in ctx.by_name and p in held]
    return [_Destination(p, "dm", person) for p in platforms]


def _accounts(ctx: DeskContext, person: str) -> frozenset[str]:
    """The platforms a person has an account on (cached for the unit of work)."""
    cache = ctx.cache.setdefault("accounts", {})
    if person not in cache:
        rows = ctx.session.scalars(
            select(PlatformAccount.platform)
            .join(PersonRecord, PersonRecord.id == PlatformAccount.person_id)
            .where(PersonRecord.name == person)
        )
        cache[person] = frozenset(rows)
    return cache[person]


def _queue(
    ctx: DeskContext,
    destinations: list[_Destination],
    kind: str,
    subject: Subject | None,
    context: dict[str, Any],
) -> int:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}: register it with its process")
    if not destinations:
        return 0
    now = ctx.clock.now()
    subject_type = subject_id = None
    if subject is not None:
        subject_type, subject_id = subject.subject_type, str(subject.id)
        allowed = _state_view(SUBJECTS[subject_type], subject.state).allowed
        offers = [{"name": o.action, "label": o.label} for o in OFFERS[kind] if o.action in allowed]
        context = {subject_type: snapshot(subject), "offers": offers, **context}
    body = json.dumps(context, default=str)
    for destination in destinations:
        ctx.record(
            OutboxMessage,
            created_at=now,
            platform=destination.platform,
            kind=kind,
            destination_kind=destination.kind,
            destination=destination.name,
            subject_type=subject_type,
            subject_id=subject_id,
            creates_ref=destination.creates_ref,
            updates_ref=destination.updates_ref,
            context=body,
            status="pending",
            attempts=0,
            next_attempt_at=now,
        )
    return len(destinations)
