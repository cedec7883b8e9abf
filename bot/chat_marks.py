"""Chat messages marked for a major incident's timeline: the message action and 📌.

A platform's "Add to timeline" action (Slack's message shortcut, Discord's message
context-menu command) or a 📌 reaction carries the message itself; the adapter turns it
into a `ChatMessage` and runs `mark(...)` through the pipeline (`Pipeline.act`). Only
messages in a war room are kept, and nothing else of the room is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.commands import Reply
from bot.message_refs import ROOM
from domain import major
from domain.context import Actor, DeskContext
from domain.people import person_exists
from domain.records import MessageRef

MODES = ("toggle", "add", "remove")


@dataclass(frozen=True)
class ChatMessage:
    """A message in a platform's channel, as the platform described it."""

    platform: str  # "slack" / "discord"
    room: str  # the channel (or thread) id the message is in
    message_id: str  # Slack's ts, Discord's message id
    author_id: str  # the author's platform user id ("" for a bot or an unknown author)
    author_name: str  # a display name, used when the author is not a known person
    at: datetime  # when it was posted (aware, UTC)
    text: str
    # The thread the message is a reply in (Slack's thread_ts), if any: a room that is a
    # thread in a shared channel (the bot may not make channels) is that thread only.
    thread: str = ""


def mark(message: ChatMessage, mode: str = "toggle") -> Callable[[DeskContext, Actor], Reply]:
    """The work of marking (or unmarking) `message` on its war room's timeline."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")

    def work(ctx: DeskContext, actor: Actor) -> Reply:
        subject_id = room_subject(ctx, message.platform, message.room, message.thread)
        if subject_id is None:
            return Reply(
                "Only messages in a major incident's war room can go on a timeline.", ok=False
            )
        said = major.mark_message(
            ctx,
            actor,
            int(subject_id),
            source=f"{message.platform}:{message.room}:{message.message_id}",
            author=_author(ctx, message),
            at=message.at,
            text=message.text,
            mode=mode,
        )
        return Reply(said)

    return work


def is_war_room(database, platform: str, room: str) -> bool:
    """Whether `room` on `platform` is (or holds, as a thread) a major incident's war room:
    checked before reading a message from the platform for a 📌."""
    with database.transaction() as session:
        return (
            session.scalar(
                select(MessageRef.id).where(
                    MessageRef.subject_type == major.SUBJECT_TYPE,
                    MessageRef.platform == platform,
                    MessageRef.role == ROOM,
                    (MessageRef.ref == room) | MessageRef.ref.like(f"{room}:%"),
                )
            )
            is not None
        )


def room_subject(ctx: DeskContext, platform: str, room: str, thread: str = "") -> str | None:
    """The major incident whose war room is `room` (or the thread `thread` in it) on
    `platform`, if it is one."""
    refs = [room] + ([f"{room}:{thread}"] if thread else [])
    return ctx.session.scalar(
        select(MessageRef.subject_id).where(
            MessageRef.subject_type == major.SUBJECT_TYPE,
            MessageRef.platform == platform,
            MessageRef.role == ROOM,
            MessageRef.ref.in_(refs),
        )
    )


def _author(ctx: DeskContext, message: ChatMessage) -> str:
    """The author's desk name if they are a known person, else the platform's name."""
    if message.author_id and message.platform in ctx.by_name:
        # The console names people by their desk names.
        if person_exists(ctx, message.author_id):
            return message.author_id
    elif message.author_id:
        name = major.person_of_account(ctx, message.platform, message.author_id)
        if name:
            return name
    # Not a desk person: the platform's display name, which anyone can set, is marked as
    # such, so it never reads as a desk person's name in the timeline or the review.
    return f"{(message.author_name or 'someone')[:40]} (on {message.platform})"
