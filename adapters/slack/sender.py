"""Outbox delivery to Slack: cards edited in place, updates in the card's thread, paced per channel.

Failures are sorted for the outbox: 429 → RetryLater(Retry-After), 5xx and network errors →
RetryLater (the outbox backs off), errors that no retry can fix → PermanentFailure.
A message with files (a report's chart) posts its text, then uploads each file beside it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import slack_error
from adapters.slack.mrkdwn import escape_all
from adapters.slack.pacing import ChannelPacer
from adapters.slack.people import SlackPeople
from adapters.slack.rooms import SlackRooms
from adapters.slack.threads import dm_thread
from adapters.slack.war_room import WarRooms
from bot.late_files import Attachment
from bot.message_refs import ref_of
from bot.outbox import OutboundMessage, PermanentFailure, RetryLater
from bot.templates import card_template, has_template, render
from domain.clock import Clock, SystemClock

log = logging.getLogger(__name__)

# Errors that mean "this message can never be delivered as it is".
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "user_not_found",
        "cannot_dm_bot",
        "user_disabled",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_arguments",
        "restricted_action",
        "restricted_action_read_only_channel",
        "team_access_not_granted",
        "ekm_access_denied",
        # A war room's name or topic Slack will never take as it is.
        "invalid_name",
        "invalid_name_specials",
        "invalid_name_maxlength",
        "invalid_name_punctuation",
        "invalid_name_required",
    }
)
# An upload Slack did not take (its API, the upload URL, or the network refused it).
UPLOAD_FAILED = (SlackApiError, SlackRequestError, TimeoutError, aiohttp.ClientError, OSError)
# The card is gone or not ours to edit: the change is still posted, just not in place.
CARD_GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


class SlackSender:
    """Delivers one outbox row through Slack's Web API; returns "channel:ts" of what it posted."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        database,
        people: SlackPeople,
        pacer: ChannelPacer,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.database = database
        self.people = people
        self.pacer = pacer
        self.war_rooms = WarRooms(
            rooms=SlackRooms(client),
            database=database,
            clock=clock or SystemClock(),
            render=self._render,
            post=self._post,
        )
        # About ten seconds of Slack's pace waiting in one channel is a flood (bot/outbox.py).
        self.digest_at = round(10 / pacer.interval) if pacer.interval > 0 else None

    async def close(self) -> None:
        """Close the client's HTTP session (the worker is stopping)."""
        close = getattr(self.client, "close", None)
        if close is not None:
            await close()

    async def send(self, message: OutboundMessage) -> str | None:
        """Deliver `message`, or raise RetryLater / PermanentFailure for the outbox."""
        try:
            if message.destination_kind == "room":  # a subject's own channel (war room)
                return await self.war_rooms.send(message)
            if message.updates_ref and message.subject_id is not None:
                return await self._update_card(message)
            return await self._post_notification(message)
        except SlackApiError as exc:
            raise classify(exc) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise RetryLater(f"network error talking to Slack: {type(exc).__name__}") from exc

    async def _post_notification(self, message: OutboundMessage) -> str:
        text, blocks = await asyncio.to_thread(self._render, message, message.kind)
        channel, thread_ts = message.address, None
        if message.destination_kind == "dm" and message.subject_id is not None:
            thread = await asyncio.to_thread(
                dm_thread,
                self.database,
                subject_type=message.subject_type,
                subject_id=message.subject_id,
                person=message.destination,
            )
            if thread:  # the employee reported this in a DM conversation: keep talking there
                channel, thread_ts = thread.split(":", 1)
        ref = await self._post(channel, text, blocks, thread_ts)
        # Slack answers with the conversation the text went to: for a DM addressed to a
        # person (U…), the DM's own id (D…), which is where a file can be shared. (So no
        # conversations.open, and no im:write scope, is needed.)
        posted_in = ref.split(":", 1)[0]
        for attachment in message.files:  # a chart drawn at delivery (bot/late_files.py)
            await self._attach(message, posted_in, thread_ts, attachment)
        return ref

    async def _attach(
        self, message: OutboundMessage, channel: str, thread_ts: str | None, file: Attachment
    ) -> None:
        """Upload `file` where the text just went, with its alt text.

        The text is out already: a file Slack will not take (after the client's own retry
        of a rate limit) is logged and left out, for re-sending the row would post the
        text twice.
        """
        try:
            await self.pacer.wait_turn(channel)
            await self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                filename=file.filename,
                title=file.title or file.filename,
                alt_txt=file.alt,
                content=file.content,
            )
        except UPLOAD_FAILED as exc:
            detail = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
            log.warning(
                "slack: outbox %s: the text went but not its file %s (%s)",
                message.id,
                file.filename,
                detail or exc,
            )

    async def _update_card(self, message: OutboundMessage) -> str:
        """Edit the card to show the subject as it is now, and say what changed in its thread."""
        text, _ = await asyncio.to_thread(self._render, message, None)
        ref = await asyncio.to_thread(
            ref_of,
            self.database,
            subject_type=message.subject_type,
            subject_id=message.subject_id,
            platform="slack",
            role=message.updates_ref,
        )
        quiet = not message.text().strip()  # a redraw only (alert counts): no thread line
        if ref is None:  # the card never reached Slack (e.g. Slack was added later)
            return None if quiet else await self._post(message.address, text)
        channel, ts = ref.split(":", 1)
        # The card is drawn by the kind that posted it: "<subject>_card", text "<subject>_opened".
        card_kind = card_template(message.subject_type, message.updates_ref)
        card_text, card = await asyncio.to_thread(
            self._render, message, card_kind, f"{message.subject_type}_opened"
        )
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=card_text, blocks=card)
        except SlackApiError as exc:
            if slack_error(exc) not in CARD_GONE:
                raise
            log.warning(
                "slack: card of incident %s cannot be edited (%s); posting the change alone",
                message.incident_id,
                slack_error(exc),
            )
            return None if quiet else await self._post(channel, text)
        if quiet:
            return ref
        return await self._post(channel, text, None, ts)

    def _render(
        self, message: OutboundMessage, slack_kind: str | None, text_kind: str | None = None
    ) -> tuple[str, list[dict] | None]:
        """(fallback text, blocks or None), with user-written text escaped and <@U…> mentions."""
        context = escape_all(message.context)
        if message.context.get("room_link"):  # "<#C…>", made by the outbox: a link to keep
            context["room_link"] = message.context["room_link"]
        mention = self.people.mention
        text = render(text_kind or message.kind, "text", mention=mention, **context)
        blocks = None
        if slack_kind and has_template(slack_kind, "slack"):
            blocks = json.loads(render(slack_kind, "slack", mention=mention, **context))
        elif slack_kind and context.get("offers") and message.subject_type:
            # Any notification that offers actions: its text with a button per offer.
            subject = context[message.subject_type]
            blocks = json.loads(
                render(
                    "_offers",
                    "slack",
                    mention=mention,
                    body=text,
                    subject_type=message.subject_type,
                    key=subject["key"],
                    offers=context["offers"],
                )
            )
        return text, blocks

    async def _post(
        self,
        channel: str,
        text: str,
        blocks: list[dict] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        await self.pacer.wait_turn(channel)
        args: dict[str, Any] = {"channel": channel, "text": text}
        if blocks:
            args["blocks"] = blocks
        if thread_ts:
            args["thread_ts"] = thread_ts
        try:
            response = await self.client.chat_postMessage(**args)
        except SlackApiError as exc:
            if slack_error(exc) != "not_in_channel" or not channel.startswith("C"):
                raise
            # A public channel the bot was never invited to: join it (channels:join) and retry.
            await self._join(channel)
            response = await self.client.chat_postMessage(**args)
        return f"{response['channel']}:{response['ts']}"

    async def _join(self, channel: str) -> None:
        try:
            await self.client.conversations_join(channel=channel)
        except SlackApiError as exc:
            log.warning(
                "slack: not in channel %s and cannot join it (%s): invite the bot there",
                channel,
                slack_error(exc),
            )
            raise RetryLater(f"not_in_channel: invite the bot to {channel}") from exc


def classify(exc: SlackApiError) -> Exception:
    """Turn a Slack API error into the outbox's RetryLater or PermanentFailure."""
    response = exc.response
    status = _status(response)
    error = slack_error(exc)
    if status == 429 or error == "ratelimited":
        headers = getattr(response, "headers", None)
        return RetryLater("rate limited by Slack", retry_after=_retry_after(headers))
    # A body slack_sdk could not read as JSON leaves it aiohttp's response, without `data`.
    detail = error or ("no error code" if hasattr(response, "data") else "the body was not JSON")
    if status >= 500:
        return RetryLater(f"Slack answered HTTP {status} ({detail})")
    if error in PERMANENT_ERRORS:
        return PermanentFailure(f"Slack refused the message: {error}")
    return RetryLater(f"Slack error: {detail} (HTTP {status})")


def _status(response: Any) -> int:
    """The HTTP status of a failed call: a SlackResponse has `status_code`, and aiohttp's
    ClientResponse (left when the body was not JSON) has `status`; 0 if neither."""
    for name in ("status_code", "status"):
        value = getattr(response, name, None)
        if isinstance(value, int):
            return value
    return 0


def _retry_after(headers: Any) -> float:
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                break
    return 1.0
