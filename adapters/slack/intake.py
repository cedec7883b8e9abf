"""DM intake: an employee writes in their own words, the bot offers to open an incident.

The offer is a reply in the thread of their message; once an incident is opened from it,
that thread is where they hear about it (see threads.py), and what they write there
becomes a note on the incident.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.actions import press_key
from adapters.slack.asker import Asker
from adapters.slack.desk import SlackDesk
from adapters.slack.mrkdwn import escape, plain
from adapters.slack.threads import incident_of_dm_thread, remember_dm_thread
from bot import grammar
from bot.commands import COMMANDS
from bot.inbound_work import Work
from bot.intake import (
    catalogue_hint,
    needs_screening,
    screen,
    title_and_details,
    understand,
)

OPEN = "intake_open"
DISMISS = "intake_dismiss"
VALUE_LIMIT = 1900  # a button value holds at most 2000 characters


def offer_blocks(text: str, root_ts: str, hint: str | None = None) -> list[dict[str, Any]]:
    """The offer: the words quoted back, with Open an incident / No thanks; first, the
    catalogue items the words may ask for (`hint`)."""
    title, _ = title_and_details(text)
    value = json.dumps({"ts": root_ts, "text": text[:VALUE_LIMIT]})
    first = [{"type": "section", "text": {"type": "mrkdwn", "text": escape(hint)}}] if hint else []
    return first + [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"Sorry to hear that. Shall I open an incident for you?\n>{escape(title)}",
                "verbatim": True,
            },
        },
        {
            "type": "actions",
            "block_id": "intake",
            "elements": [
                {
                    "type": "button",
                    "action_id": OPEN,
                    "style": "primary",
                    "value": value,
                    "text": {"type": "plain_text", "text": "Open an incident"},
                },
                {
                    "type": "button",
                    "action_id": DISMISS,
                    "value": root_ts,
                    "text": {"type": "plain_text", "text": "No thanks"},
                },
            ],
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Type /desk help to see everything I can do."}],
        },
    ]


def register(app: AsyncApp, desk: SlackDesk) -> None:
    """Listen for DMs to the bot and for presses on the offer's buttons."""

    async def dm_job(asker: Asker, work: Work) -> None:
        await handle_dm(desk, work.payload["event"], work)

    async def open_job(asker: Asker, work: Work) -> None:
        value, offer_ts = str(work.payload.get("value") or "{}"), work.payload.get("offer_ts")
        await open_from_offer(desk, asker, value, offer_ts)

    async def dismiss_job(asker: Asker, work: Work) -> None:
        text = "OK, I won't open anything. Message me any time something breaks."
        channel, ts = asker.channel_id, work.payload.get("offer_ts")
        await desk.client.chat_update(channel=channel, ts=ts, text=text, blocks=[_section(text)])

    desk.job("dm", dm_job)
    desk.job("intake_open", open_job)
    desk.job("intake_dismiss", dismiss_job)

    @app.event("message")
    async def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        if not _is_dm(event):
            return
        # Events are acknowledged when this returns: stored first. Slack's retries of an
        # event carry its event_id, so a retry is stored (and handled) once.
        key = body.get("event_id") or f"dm:{event['channel']}:{event['ts']}"
        desk.start(await desk.accept("dm", key, Asker(event["user"]), event=event))

    @app.action(OPEN)
    async def on_open(ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        asker = Asker(body["user"]["id"], _channel(body), body.get("response_url"))
        work = await desk.accept(
            "intake_open",
            press_key(body, action),
            asker,
            value=action.get("value", "{}"),
            offer_ts=_message_ts(body),
        )
        await ack()
        desk.start(work)

    @app.action(DISMISS)
    async def on_dismiss(ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        channel, ts = _channel(body), _message_ts(body)
        work = None
        if channel and ts:
            asker = Asker(body["user"]["id"], channel)
            work = await desk.accept("intake_dismiss", press_key(body, action), asker, offer_ts=ts)
        await ack()
        desk.start(work)


def _is_dm(event: dict[str, Any]) -> bool:
    """A person's own words in the bot's DM (not a bot, an edit, a deletion or a join)."""
    if event.get("channel_type") != "im" or event.get("bot_id") or not event.get("user"):
        return False
    if event.get("subtype") not in (None, "file_share"):
        return False
    return bool(event.get("channel") and event.get("ts"))


async def handle_dm(desk: SlackDesk, event: dict[str, Any], work: Work | None = None) -> None:
    """A message in the bot's DM: a note on the thread's incident, or an offer to open one."""
    if not _is_dm(event):
        return
    text = plain(event.get("text") or "").strip()
    if not text:
        return
    channel, thread_ts = event["channel"], event.get("thread_ts")
    asker = Asker(event["user"])
    root = thread_ts or event["ts"]
    if needs_screening(text):
        identity = await desk.identity(asker)
        if identity is None:
            return
        warning = await desk.run(screen, desk.dispatcher, identity, text)
        if warning:  # a reset code typed in chat: that reset is void, and they are told why
            await desk.client.chat_postMessage(channel=channel, thread_ts=root, text=warning)
            return
        # "I forgot my password" starts a reset, not an incident; a reply in a thread is
        # about that thread's incident, whatever it says.
        if not thread_ts and understand(text, COMMANDS).kind == "password":
            reply = await desk.execute(asker, argv=["desk", "password"], tell=False, work=work)
            await desk.client.chat_postMessage(
                channel=channel, thread_ts=root, text=escape(reply.text)
            )
            return
    if thread_ts and await _note_on_thread(desk, asker, channel, thread_ts, text, work):
        return
    await desk.client.chat_postMessage(
        channel=channel,
        thread_ts=root,
        blocks=offer_blocks(text, root, catalogue_hint(desk.policy, text)),
        text="Shall I open an incident for you?",
    )


async def _note_on_thread(
    desk: SlackDesk, asker: Asker, channel: str, thread_ts: str, text: str, work: Work | None
) -> bool:
    identity = await desk.identity(asker)
    if identity is None:
        return True
    actor = await desk.run(desk.dispatcher.actor, identity)
    incident = await desk.run(
        incident_of_dm_thread,
        desk.dispatcher.database,
        person=actor.name,
        ref=f"{channel}:{thread_ts}",
    )
    if incident is None:
        return False
    argv = grammar.build_argv("incident", "note", [f"INC-{incident}", text])
    reply = await desk.execute(asker, argv=argv, tell=False, work=work)
    await desk.client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, text=escape(reply.text)
    )
    return True


async def open_from_offer(desk: SlackDesk, asker: Asker, value: str, offer_ts: str | None) -> None:
    """Open the incident the offer proposed (once, however often the button is pressed)."""
    try:
        offer = json.loads(value)
        root, text = str(offer["ts"]), str(offer["text"])
    except (ValueError, KeyError, TypeError):
        root, text = "", ""
    if not root or not asker.channel_id:
        await desk.replies.tell(asker, "That offer is broken; please send your message again.")
        return
    ref = f"{asker.channel_id}:{root}"
    # Taken while the incident is being opened, kept once it is: a second press meanwhile
    # is turned away; after a failed attempt (Slack down, say) pressing again works.
    opening = _opener(desk, asker, text, ref, offer_ts)
    if not await desk.once(f"intake:{ref}", opening):
        incident = await desk.run(incident_of_dm_thread, desk.dispatcher.database, ref=ref)
        await desk.replies.tell(
            asker,
            f"INC-{incident} was already opened from this message."
            if incident
            else "I'm already opening an incident from this message; one moment.",
        )


def _opener(desk: SlackDesk, asker: Asker, text: str, ref: str, offer_ts: str | None):
    """The work behind Open an incident, for SlackDesk.once."""

    async def open_incident(keep) -> None:
        title, description = title_and_details(text)
        argv = grammar.build_argv("incident", "new", [title], {"description": description})
        reply = await desk.execute(asker, argv=argv, tell=False)
        if not reply.ok or not reply.incident:
            await desk.replies.tell(asker, reply.text)
            return
        keep()  # the incident exists: pressing again must not open a second one
        await desk.run(
            remember_dm_thread,
            desk.dispatcher.database,
            desk.dispatcher.clock,
            incident_id=reply.incident["number"],
            person=reply.incident["reporter"],
            ref=ref,
        )
        if offer_ts:
            await desk.client.chat_update(
                channel=asker.channel_id,
                ts=offer_ts,
                text=escape(reply.text),
                blocks=[_section(escape(reply.text))],
            )

    return open_incident


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000], "verbatim": True}}


def _channel(body: dict[str, Any]) -> str | None:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")


def _message_ts(body: dict[str, Any]) -> str | None:
    return (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
