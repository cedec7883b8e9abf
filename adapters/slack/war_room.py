"""Outbox posts to a subject's room on Slack, and what each asks besides posting (`room_op`).

The room is a channel the bot makes (`open`); where the bot may not make channels it is a
thread in the channel `beside_address`, whose reference is "C…:ts", so every later room
post goes into that thread. Each operation can be done again after a failure: the outbox
retries a message until it is sent, and a retried `open` completes the half-made room.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError

from adapters.slack.errors import slack_error
from adapters.slack.mrkdwn import escape
from adapters.slack.rooms import Refused, RoomsNotAllowed, SlackRooms
from bot.message_refs import ref_of, remember
from bot.outbox import OutboundMessage, PermanentFailure, RetryLater
from domain.clock import Clock

log = logging.getLogger(__name__)

PLATFORM = "slack"
# A status card that is gone, or no longer ours to edit: it is posted anew.
GONE = frozenset(
    {"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}
)
GRANT = (
    "I may not create channels in this workspace, so this thread is the war room. "
    "To get a channel for each major incident, add the `channels:manage` scope "
    "(and `groups:write` for private rooms) to the app and reinstall it."
)

Render = Callable[[OutboundMessage, str | None], tuple[str, list[dict] | None]]
Post = Callable[..., Awaitable[str]]


class WarRooms:
    """Does a room post's `room_op` (open, pin, edit, invite, archive, file) and posts it."""

    def __init__(
        self, *, rooms: SlackRooms, database, clock: Clock, render: Render, post: Post
    ) -> None:
        self.rooms = rooms
        self.database = database
        self.clock = clock
        self.render = render
        self.post = post

    async def send(self, message: OutboundMessage) -> str:
        """Deliver a room post; returns the room's ref (`open`) or the post's."""
        op = (message.room_op or {}).get("op")
        if op == "open":
            return await self._open(message, message.room_op or {})
        if op == "edit":
            return await self._edit(message)
        channel, thread_ts = await self._room(message)
        after = ""
        if op == "invite" and not thread_ts:
            await self._invite(channel, message.room_op or {})
        elif op == "invite":  # nobody is invited to a thread: a mention brings them to it
            after = _mentions(message.room_op or {})
        if op == "file":
            return await self._attach(message, channel, thread_ts)
        ref = await self._say(message, channel, thread_ts, after)
        if op == "pin":
            await self.rooms.pin(channel, ref.split(":", 1)[1])
        if op == "archive" and not thread_ts:  # a thread stands in for a room: post only
            await self.rooms.archive(channel)
        return ref

    # ------------------------------------------------------------------ open
    async def _open(self, message: OutboundMessage, op: dict[str, Any]) -> str:
        if message.address:  # the room exists already: make sure it is whole, and post
            channel, thread_ts = await self._room(message)
            room = f"{channel}:{thread_ts}" if thread_ts else channel
        else:
            try:
                channel = await self.rooms.make(str(op["name"]), private=bool(op.get("private")))
            except RoomsNotAllowed as refused:
                return await self._thread_instead(message, op, refused.error)
            thread_ts, room = None, channel
        if not thread_ts:
            refused = await self._invite(channel, op, tell=False)
            await self.rooms.describe(
                channel, topic=str(op.get("topic") or ""), purpose=str(op.get("purpose") or "")
            )
            # A room an earlier attempt made may have its first post already (the attempt
            # failed after posting): it is not posted twice.
            if channel not in self.rooms.completed or not await self.rooms.first_post(channel):
                await self._say(message, channel)
                await self._tell_refused(channel, op, refused)
        else:
            await self._say(message, channel, thread_ts)
        return room

    async def _thread_instead(self, message: OutboundMessage, op: dict[str, Any], error: str):
        """The room as a thread beside `beside_address`, saying which permission to grant."""
        beside = op.get("beside_address")
        if not beside:
            raise PermanentFailure(
                f"Slack will not let the bot create channels ({error}) and no channel is "
                "configured for a thread instead"
            )
        log.warning(
            "slack: may not create channels (%s); the room is a thread in %s", error, beside
        )
        text, blocks = await asyncio.to_thread(self.render, message, message.kind)
        note = GRANT + _mentions(op)
        if blocks:
            blocks = [*blocks, {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}]
        return await self.post(beside, f"{text}\n\n{note}", blocks)

    # ------------------------------------------------------------ invite
    async def _invite(self, channel: str, op: dict[str, Any], tell: bool = True) -> list[Refused]:
        refused = await self.rooms.invite(channel, [str(u) for u in op.get("member_ids") or []])
        if tell:
            await self._tell_refused(channel, op, refused)
        return refused

    async def _tell_refused(self, channel: str, op: dict[str, Any], refused: list[Refused]):
        """One line in the room naming who could not be invited and why (never retried)."""
        named = _names_by_id(op)
        problems = [f"{escape(named.get(r.user_id, r.user_id))} ({r.why})" for r in refused]
        problems += [
            f"{escape(str(name))} (no Slack account I know of)"
            for name in op.get("unreachable") or []
        ]
        if not problems:
            return
        try:
            await self.post(channel, "Could not invite: " + "; ".join(problems) + ".")
        except SlackApiError as exc:
            log.warning("slack: could not say who was not invited (%s)", slack_error(exc))

    # --------------------------------------------------------------- edit
    async def _edit(self, message: OutboundMessage) -> str:
        """Edit the status card in place; if it is gone, post it anew and pin it."""
        role = message.updates_ref or "status"
        ref = await asyncio.to_thread(
            ref_of,
            self.database,
            subject_type=message.subject_type,
            subject_id=message.subject_id,
            platform=PLATFORM,
            role=role,
        )
        text, blocks = await asyncio.to_thread(self.render, message, message.kind)
        if ref is not None:
            channel, ts = ref.split(":", 1)
            try:
                await self.client.chat_update(
                    channel=channel, ts=ts, text=text, blocks=blocks or []
                )
                return ref
            except SlackApiError as exc:
                if slack_error(exc) not in GONE:
                    raise
                log.warning("slack: status card %s is gone (%s); posting it anew", ref, exc)
        channel, thread_ts = await self._room(message)
        ref = await self.post(channel, text, blocks, thread_ts)
        await self.rooms.pin(channel, ref.split(":", 1)[1])
        if message.creates_ref != role:  # else the outbox remembers it
            await asyncio.to_thread(
                remember,
                self.database,
                self.clock,
                subject_type=message.subject_type,
                subject_id=message.subject_id,
                platform=PLATFORM,
                role=role,
                ref=ref,
            )
        return ref

    @property
    def client(self):
        return self.rooms.client

    # --------------------------------------------------------------- file
    async def _attach(self, message: OutboundMessage, channel: str, thread_ts: str | None) -> str:
        op = message.room_op or {}
        text, _ = await asyncio.to_thread(self.render, message, None)
        try:
            return await self.rooms.attach(
                channel,
                filename=str(op.get("filename") or "review.md"),
                content=str(op.get("content") or ""),
                comment=text,
                thread_ts=thread_ts,
            )
        except SlackRequestError as exc:  # the upload URL did not take the file
            raise RetryLater(f"Slack did not take the file: {exc}") from exc

    # ------------------------------------------------------------ posting
    async def _room(self, message: OutboundMessage) -> tuple[str, str | None]:
        """(channel, thread ts or None) of the subject's room: a fallback thread has a ts."""
        ref = None
        if message.subject_type and message.subject_id is not None:
            ref = await asyncio.to_thread(
                ref_of,
                self.database,
                subject_type=message.subject_type,
                subject_id=message.subject_id,
                platform=PLATFORM,
                role=message.room_role or message.destination,
            )
        if ref and ":" in ref:
            channel, ts = ref.split(":", 1)
            return channel, ts
        return ref or message.address, None

    async def _say(
        self, message: OutboundMessage, channel: str, thread_ts: str | None = None, after=""
    ) -> str:
        text, blocks = await asyncio.to_thread(self.render, message, message.kind)
        if after:
            text += after
            if blocks:
                item = {"type": "mrkdwn", "text": after.strip()}
                blocks = [*blocks, {"type": "context", "elements": [item]}]
        return await self.post(channel, text, blocks, thread_ts)


def _mentions(op: dict[str, Any]) -> str:
    """ "In this room: <@U1> <@U2>" for a thread that stands in for a room (or "")."""
    members = " ".join(f"<@{user}>" for user in op.get("member_ids") or [])
    return f"\nIn this room: {members}" if members else ""


def _names_by_id(op: dict[str, Any]) -> dict[str, str]:
    """Slack id → desk name: the outbox lists ids in the order of the members it found."""
    unreachable = set(op.get("unreachable") or [])
    found = [name for name in op.get("members") or [] if name not in unreachable]
    return dict(zip(op.get("member_ids") or [], found, strict=False))
