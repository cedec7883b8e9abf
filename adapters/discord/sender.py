"""Outbox delivery to Discord: cards edited in place, changes in the card's thread, DMs.

discord.py already waits out short rate limits (429 and exhausted X-RateLimit buckets) and
retries some 5xx; what it gives up on is sorted for the outbox here: rate limits, outages and
network errors → RetryLater (the row waits, and the channel's later rows wait behind it);
unknown channels, missing access and bad requests → PermanentFailure.

Those waits add up (up to 30 s per 429, five tries, and a card update is several requests),
so one delivery is cut off at SEND_DEADLINE: the outbox renews the row's short lease while
the send runs, but a lane (and the channel's later messages) should not wait on one message
for minutes. Cut off, the row is RetryLater'd and goes out on a later attempt.

A major incident's room posts (`message.room_op`: make the room, pin, edit in place, invite,
archive, attach a file) are done by adapters/discord/rooms.py with the posting helpers here.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import discord
from discord.http import handle_message_parameters

from adapters.discord import render
from adapters.discord.people import Mentioner, discord_ids, names_in
from adapters.discord.rooms import Rooms
from adapters.discord.views import card_buttons, notification_buttons
from bot.message_refs import ref_of
from bot.outbox import OutboundMessage, PermanentFailure, RetryLater
from bot.templates import RenderError

log = logging.getLogger(__name__)

UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
THREAD_EXISTS = 160004
THREAD_ARCHIVE_MINUTES = 10080  # a week without updates before Discord hides the thread
NO_PINGS = discord.AllowedMentions.none()
SEND_DEADLINE = 30.0


class DiscordSender:
    """Delivers one outbox row; returns "channel_id:message_id" of what it posted."""

    def __init__(
        self,
        *,
        client: discord.Client,
        database,
        login: Callable[[], Awaitable[None]],
        deadline: float = SEND_DEADLINE,
    ) -> None:
        self.client = client
        self.database = database
        self.login = login
        self.deadline = deadline
        self._dm_channels: dict[str, int] = {}
        self.rooms = Rooms(self)

    async def send(self, message: OutboundMessage) -> str | None:
        """Deliver `message` within `deadline`, or raise RetryLater / PermanentFailure."""
        try:
            async with asyncio.timeout(self.deadline):
                return await self._deliver(message)
        except TimeoutError:  # _deliver turns its own errors into RetryLater: this is ours
            raise RetryLater(
                f"Discord did not take it within {self.deadline:.0f}s (rate limits, retries)"
            ) from None

    async def _deliver(self, message: OutboundMessage) -> str | None:
        try:
            await self.login()
            names = names_in(message.context)
            mention = Mentioner(await asyncio.to_thread(discord_ids, self.database, names))
            if message.room_op is not None:
                return await self.rooms.perform(message, mention)
            if message.updates_ref and message.subject_id is not None:
                return await self._update_card(message, mention)
            return await self._post(message, mention)
        except (RetryLater, PermanentFailure, RenderError):
            raise
        except Exception as exc:
            raise classify(exc) from exc

    async def _post(self, message: OutboundMessage, mention: Mentioner) -> str:
        # Files drawn at delivery (a report's chart, bot/late_files.py) go on the same post.
        channel_id = await self._channel(message)
        if not message.files:
            return await self.post(channel_id, message, mention)
        files = [
            discord.File(io.BytesIO(file.content), filename=file.filename, description=file.alt)
            for file in message.files
        ]
        try:
            return await self.post(channel_id, message, mention, files=files)
        except discord.HTTPException as exc:
            # Refused for its files (no Attach Files permission in the channel, too large):
            # the file costs the file, never the text, which goes on its own. Refused for
            # anything else, the text alone is refused the same and classified as before.
            if not isinstance(exc, discord.Forbidden) and exc.status != 413:
                raise
            log.warning(
                "discord: outbox %s: its file was refused (%s, code %s); posting the text alone",
                message.id,
                exc.status,
                exc.code,
            )
        return await self.post(channel_id, message, mention)

    async def post(
        self,
        channel_id: int,
        message: OutboundMessage,
        mention: Mentioner,
        *,
        note: str | None = None,
        files: list[discord.File] | None = None,
    ) -> str:
        """Post `message` rendered (with its buttons) in `channel_id`, a `note` after its text
        and `files` attached; returns "channel_id:message_id"."""
        body = render.body(message, mention)
        subject = _subject(message)
        if message.creates_ref == "card" and subject:
            view = card_buttons(subject)
        else:
            view = notification_buttons(subject, message.context.get("offers") or [])
        content = body.content
        if note:
            content = render.clip(f"{content}\n\n{note}" if content else note)
        pings = mention.allowed_mentions()
        return await self._send(
            channel_id, content, body.embeds, view, pings, nonce=nonce_of(message), files=files
        )

    async def say(self, channel_id: int, text: str, *, of: OutboundMessage, tag: str) -> str:
        """Post one more line for `of` (pinging nobody), once however often it is re-sent."""
        return await self._send(channel_id, text, [], None, NO_PINGS, nonce=nonce_of(of, tag))

    async def _update_card(self, message: OutboundMessage, mention: Mentioner) -> str:
        """Edit the card to the subject's new state, and write the change in its thread."""
        text = render.update_text(message, mention)
        pings = mention.allowed_mentions()
        ref = await asyncio.to_thread(
            ref_of,
            self.database,
            subject_type=message.subject_type,
            subject_id=message.subject_id,
            platform="discord",
            role=message.updates_ref,
        )
        quiet = not text.strip()  # a redraw only (alert counts): no thread line
        if ref is None and quiet:
            return None
        if ref is None:  # no card on Discord (posted before Discord was set up): just say it
            return await self._send(
                int(message.address), text, [], None, pings, nonce=nonce_of(message)
            )
        channel_id, card_id = (int(part) for part in ref.split(":"))
        subject = message.context[message.subject_type]
        embed = render.card(
            message.subject_type, message.updates_ref, subject, Mentioner(mention.ids)
        )  # an embed pings nobody
        with handle_message_parameters(
            embed=embed,
            view=card_buttons(subject),
            allowed_mentions=NO_PINGS,
        ) as params:
            try:
                await self.client.http.edit_message(channel_id, card_id, params=params)
            except discord.NotFound as exc:
                if exc.code != UNKNOWN_MESSAGE:
                    raise
                log.info("the card of %s is gone; posting the change", subject["key"])
                if quiet:
                    return None
                return await self._send(channel_id, text, [], None, pings, nonce=nonce_of(message))
        if quiet:
            return ref
        return await self._to_thread(
            channel_id, card_id, subject, text, pings, nonce=nonce_of(message)
        )

    async def _to_thread(
        self,
        channel_id: int,
        card_id: int,
        subject: dict,
        text: str,
        pings: discord.AllowedMentions,
        *,
        nonce: str,
    ) -> str:
        # A thread started on a message has the message's id, so nothing needs remembering.
        # Posting to an archived thread unarchives it, so only a missing thread needs work.
        try:
            return await self._send(card_id, text, [], None, pings, nonce=nonce)
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_CHANNEL:
                raise
        name = thread_name(subject)
        try:
            await self.client.http.start_thread_with_message(
                channel_id, card_id, name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.Forbidden:
            # No permission to start threads: still tell the channel, as a reply to the card.
            reply_to = {
                "message_id": str(card_id),
                "channel_id": str(channel_id),
                "fail_if_not_exists": False,
            }
            return await self._send(
                channel_id, text, [], None, pings, reference=reply_to, nonce=nonce
            )
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:  # another worker started it first
                raise
        return await self._send(card_id, text, [], None, pings, nonce=nonce)

    async def _channel(self, message: OutboundMessage) -> int:
        if message.destination_kind != "dm":  # a configured channel or the subject's room
            return int(message.address)
        if message.address not in self._dm_channels:
            channel = await self.client.http.start_private_message(int(message.address))
            self._dm_channels[message.address] = int(channel["id"])
        return self._dm_channels[message.address]

    async def _send(
        self,
        channel_id: int,
        content: str | None,
        embeds: list[discord.Embed],
        view: discord.ui.View | None,
        pings: discord.AllowedMentions,
        *,
        reference: dict | None = None,
        nonce: str | None = None,
        files: list[discord.File] | None = None,
    ) -> str:
        """Post a message that may ping only `pings` (the people the templates mentioned).

        With a `nonce`, Discord returns the message already posted with it (for a few
        minutes) instead of posting it again: a row re-sent after a crash is not doubled.
        """
        missing = discord.utils.MISSING
        with handle_message_parameters(
            content=content if content is not None else missing,
            embeds=embeds,
            view=view if view is not None else missing,
            allowed_mentions=pings,
            message_reference=reference if reference is not None else missing,
            nonce=nonce,
            files=files if files else missing,
        ) as params:
            data = await self.client.http.send_message(channel_id, params=params)
        return f"{data['channel_id']}:{data['id']}"


def _subject(message: OutboundMessage) -> dict | None:
    """The snapshot of the message's subject (an incident, a problem…), if it has one."""
    if not message.subject_type:
        return None
    subject = message.context.get(message.subject_type)
    return subject if isinstance(subject, dict) and subject.get("key") else None


def thread_name(subject: dict) -> str:
    """The name of the thread on a card: the key and what the subject is about."""
    about = subject.get("title") or " ".join(
        part for part in (subject.get("service"), subject.get("category")) if part
    )
    return f"{subject['key']} {about}".strip()[:100]


def nonce_of(message: OutboundMessage, tag: str = "") -> str:
    """The outbox row as a Discord nonce (at most 25 characters): one row, one message (and
    one more per `tag`, for a row that posts more than one)."""
    return f"deskbot-{message.id}{'-' + tag if tag else ''}"[:25]


def classify(exc: BaseException) -> Exception:
    """What the outbox should do about a failed delivery."""
    if isinstance(exc, discord.RateLimited):
        return RetryLater(f"Discord rate limit for {exc.retry_after:.1f}s", exc.retry_after)
    if isinstance(exc, discord.DiscordServerError):
        return RetryLater(f"Discord server error {exc.status}")
    if isinstance(exc, discord.LoginFailure):
        # A rotated or revoked token: keep the messages until someone fixes DISCORD_TOKEN.
        return RetryLater("Discord rejected DISCORD_TOKEN", 300.0)
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:  # a Cloudflare ban rather than an API rate limit: back off long
            return RetryLater("Discord (Cloudflare) rate limit", 60.0)
        if exc.status in (401, 408):
            return RetryLater(f"Discord answered {exc.status}: {exc.text}"[:200])
        return PermanentFailure(f"Discord refused it ({exc.status}, code {exc.code}): {exc.text}")
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return RetryLater(f"network error talking to Discord: {type(exc).__name__}")
    return RetryLater(f"{type(exc).__name__}: {exc}"[:200])
