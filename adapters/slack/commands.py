"""Slash commands: /incident, /desk and every later command, through the shared grammar."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.asker import Asker
from adapters.slack.desk import SlackDesk
from adapters.slack.forms import form_modal
from adapters.slack.modals import new_incident_modal
from adapters.slack.mrkdwn import command_text
from bot.commands.request import form_to_finish
from bot.forms import Form
from bot.inbound_work import Work

# Any command the app is installed with: the grammar decides what it means.
ANY_COMMAND = re.compile(r"^/[\w-]+$")

Ack = Callable[[], Awaitable[Any]]


def register(app: AsyncApp, desk: SlackDesk) -> None:
    """Listen for slash commands: store, acknowledge, then run the command."""

    async def command_job(asker: Asker, work: Work) -> None:
        await run_command(desk, work.payload["command"], asker, work)

    desk.job("command", command_job)

    @app.command(ANY_COMMAND)
    async def on_command(ack, command: dict[str, Any]) -> None:
        await receive(desk, command, ack)


async def receive(desk: SlackDesk, command: dict[str, Any], ack: Ack) -> None:
    """Store a slash command, acknowledge it, then run it in the background.

    Bolt's listener calls this in Socket Mode; over HTTP the gate hands a verified slash
    command here directly (SlackAdapter._events), because storing it is all an
    acknowledgement may wait for.
    """
    # A slash command has no retry header: its trigger_id identifies the delivery (one
    # without any is never mistaken for another).
    trigger = command.get("trigger_id")
    asker = Asker(command["user_id"], command.get("channel_id"), command.get("response_url"))
    if opens_form(command):  # nothing to keep: what is submitted in the form is
        await ack()
        desk.spawn(open_new_incident_form(desk, asker, trigger), asker)
        return
    form = form_of(desk, command)
    if form is not None:  # a request with answers missing: its form, while the trigger lasts
        await ack()
        typed = " ".join(
            [f"/{form.command} {form.subcommand}", *form.fixed, *(f"{n}=…" for n in form.missing)]
        )
        desk.spawn(desk.open_form(asker, trigger, form_modal(form, asker), typed=typed), asker)
        return
    kept = {k: command.get(k) for k in ("command", "text", "user_name")}
    work = await desk.accept(
        "command", f"command:{trigger}" if trigger else None, asker, command=kept
    )
    await ack()
    desk.start(work)


def opens_form(command: dict[str, Any]) -> bool:
    """`/incident new` alone opens the new-incident form instead of running."""
    name = str(command.get("command", "")).lstrip("/").lower()
    return name == "incident" and command_text(command.get("text") or "").strip().lower() == "new"


def form_of(desk: SlackDesk, command: dict[str, Any]) -> Form | None:
    """The form a command typed with answers missing opens (`/request new ITEM`), if any."""
    name = str(command.get("command", "")).lstrip("/").lower()
    if name != "request":
        return None
    return form_to_finish(desk.policy, command_text(command.get("text") or ""))


async def run_command(
    desk: SlackDesk, command: dict[str, Any], asker: Asker, work: Work | None = None
) -> None:
    """Run one slash command and show the asker its reply (ephemeral unless public)."""
    name = command["command"].lstrip("/").lower()
    text = command_text(command.get("text") or "").strip()
    if not text:  # a bare command asks what it can do
        line = "desk help" if name == "desk" else f"desk help {name}"
    else:
        line = f"{name} {text}"
    await desk.execute(asker, text=line, username=command.get("user_name"), work=work)


async def open_new_incident_form(desk: SlackDesk, asker: Asker, trigger_id: str | None) -> None:
    """Open the new-incident modal (the trigger is only valid for three seconds)."""
    if not trigger_id:
        await desk.replies.tell(
            asker, 'Describe it in words: /incident new "VPN drops every 10 minutes"'
        )
        return
    await desk.open_form(
        asker,
        trigger_id,
        new_incident_modal(desk.policy, asker),
        typed='/incident new "VPN drops" --service vpn',
    )
