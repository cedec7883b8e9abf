"""Messages marked for a major incident's timeline: the "Add to timeline" message shortcut
(pressed again, it takes the message off) and 📌 reactions (added: on; removed: off).

Both are stored before they are acknowledged, like every interaction, then marked through
the pipeline (bot/chat_marks.py). The shortcut's answer is shown to the person privately; a
📌 outside a war room is nobody's business, so it is only logged.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from adapters.slack.asker import Asker
from adapters.slack.desk import SlackDesk
from adapters.slack.errors import slack_error
from adapters.slack.mrkdwn import plain
from bot import chat_marks
from bot.inbound_work import Work

log = logging.getLogger(__name__)

SHORTCUT = "add_to_timeline"  # the manifest's message shortcut (callback_id)
PIN = "pushpin"
MODES = {"reaction_added": "add", "reaction_removed": "remove"}
KEPT = ("user", "text", "ts", "bot_id", "username")  # what is stored of a message


def chat_message(channel: str, message: dict[str, Any]) -> chat_marks.ChatMessage:
    """A Slack message as the desk reads it (a bot's message has no author id)."""
    ts = str(message.get("ts") or "0")
    author = "" if message.get("bot_id") else str(message.get("user") or "")
    return chat_marks.ChatMessage(
        platform="slack",
        room=channel,
        message_id=ts,
        author_id=author,
        author_name=str(message.get("username") or message.get("user") or ""),
        at=datetime.fromtimestamp(float(ts), UTC),
        text=plain(str(message.get("text") or "")),
        thread=str(message.get("thread_ts") or ""),
    )


def register(app: AsyncApp, desk: SlackDesk) -> None:
    """Listen for the message shortcut and for 📌 added or removed."""

    async def shortcut_job(asker: Asker, work: Work) -> None:
        message = chat_message(str(work.payload["channel"]), work.payload["message"])
        reply = await _mark(desk, asker, work, message, "toggle")
        if not reply.duplicate or work.replay:
            await desk.replies.tell(asker, reply.text)

    async def reaction_job(asker: Asker, work: Work) -> None:
        channel, ts = str(work.payload["channel"]), str(work.payload["ts"])
        database = desk.pipeline.dispatcher.database
        if not await desk.pipeline.run(chat_marks.is_war_room, database, "slack", channel):
            log.info("slack: 📌 on %s:%s is outside any war room; not read", channel, ts)
            return
        found = await _read(desk, channel, ts)
        if found is None:
            return
        reply = await _mark(desk, asker, work, chat_message(channel, found), work.payload["mode"])
        if not reply.ok:
            log.info("slack: 📌 on %s:%s not marked: %s", channel, ts, reply.text)
        elif not reply.duplicate or work.replay:
            await desk.replies.tell(asker, reply.text)

    desk.job("timeline_shortcut", shortcut_job)
    desk.job("timeline_pin", reaction_job)

    @app.shortcut(SHORTCUT)
    async def on_shortcut(ack, body: dict[str, Any]) -> None:
        channel = (body.get("channel") or {}).get("id")
        message = body.get("message") or {}
        if body.get("type") != "message_action" or not channel or not message.get("ts"):
            await ack()
            return
        asker = Asker(body["user"]["id"], channel, body.get("response_url"))
        trigger = body.get("trigger_id")
        work = await desk.accept(
            "timeline_shortcut",
            f"shortcut:{trigger}" if trigger else None,
            asker,
            channel=channel,
            message={k: message[k] for k in KEPT if k in message},
        )
        await ack()
        desk.start(work)

    async def on_reaction(event: dict[str, Any], body: dict[str, Any]) -> None:
        item = event.get("item") or {}
        if event.get("reaction") != PIN or item.get("type") != "message" or not event.get("user"):
            return
        channel, ts = item.get("channel"), item.get("ts")
        if not channel or not ts:
            return
        key = body.get("event_id") or f"pin:{event['user']}:{channel}:{ts}:{event.get('event_ts')}"
        work = await desk.accept(
            "timeline_pin",
            key,
            Asker(event["user"], channel),
            channel=channel,
            ts=ts,
            mode=MODES[event["type"]],
        )
        desk.start(work)

    app.event("reaction_added")(on_reaction)
    app.event("reaction_removed")(on_reaction)


async def _mark(desk: SlackDesk, asker: Asker, work: Work, message, mode: str):
    reply = await desk.pipeline.act(
        desk.identify(asker), chat_marks.mark(message, mode), delivery=work.delivery
    )
    if reply.retry:  # Slack could not say who it was: the same delivery may be tried again
        await desk.pipeline.forget(work)
    return reply


async def _read(desk: SlackDesk, channel: str, ts: str) -> dict[str, Any] | None:
    """The message a reaction is on (the bot is in every room it made), or None."""
    try:
        response = await desk.client.conversations_history(
            channel=channel, latest=ts, inclusive=True, limit=1
        )
    except SlackApiError as exc:
        log.info("slack: cannot read the 📌 message %s:%s (%s)", channel, ts, slack_error(exc))
        return None
    messages = response.get("messages") or []
    if not messages or messages[0].get("ts") != ts:  # a reply in a thread, or deleted
        log.info("slack: the 📌 message %s:%s is not in the channel's history", channel, ts)
        return None
    return messages[0]
