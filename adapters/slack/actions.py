"""Buttons and the modals behind them: Claim, Resume, Close at once; Resolve, Hold, Reopen by form."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.asker import Asker
from adapters.slack.commands import open_new_incident_form
from adapters.slack.desk import SlackDesk
from adapters.slack.home import NEW_INCIDENT_BUTTON
from adapters.slack.modals import (
    MAX_TEXT,
    MAX_TITLE,
    NEW_INCIDENT,
    REASON,
    REASON_FORMS,
    field_problem,
    metadata,
    reason_modal,
    submitted,
)
from adapters.slack.people import SlackUnavailable
from bot import grammar

DIRECT = re.compile(r"^incident_(claim|resume|close)$")
BY_FORM = re.compile(r"^incident_(resolve|hold|reopen)$")
# Forms only agents may submit: checked before opening, so nobody fills in a form in vain.
# How long that check may take. Slack's trigger_id opens a form for 3 seconds after the
# click, and the check waits for the database behind other desk work (DESK_THREADS); when
# it is slower than this the form opens anyway, since the command checks again on submit.
CHECK_BUDGET = 1.5


def asker_of(body: dict[str, Any]) -> Asker:
    """Where a button was pressed: a message in a channel or DM, or the App Home tab."""
    user = body["user"]["id"]
    container = body.get("container") or {}
    if container.get("type") == "view":
        return Asker(user, home=(body.get("view") or {}).get("type") == "home")
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return Asker(user, channel, body.get("response_url"))


def register(app: AsyncApp, desk: SlackDesk) -> None:
    """Listen for the incident buttons and the submissions of their modals."""

    @app.action(DIRECT)
    async def on_direct(ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        asker = asker_of(body)
        verb = DIRECT.match(action["action_id"]).group(1)
        argv = grammar.build_argv("incident", verb, [action.get("value", "")])
        desk.spawn(desk.execute(asker, argv=argv), asker)

    @app.action(BY_FORM)
    async def on_form_button(ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        asker = asker_of(body)
        verb = BY_FORM.match(action["action_id"]).group(1)
        desk.spawn(
            open_reason_form(desk, asker, verb, action.get("value", ""), body["trigger_id"]), asker
        )

    @app.action(NEW_INCIDENT_BUTTON)
    async def on_new_button(ack, body: dict[str, Any]) -> None:
        await ack()
        asker = asker_of(body)
        desk.spawn(open_new_incident_form(desk, asker, body.get("trigger_id")), asker)

    @app.view(NEW_INCIDENT)
    async def on_new_incident(ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = submitted(view)
        errors = {
            block: problem
            for block, problem in {
                "title": field_problem(
                    values.get("title"), "A title", required=True, limit=MAX_TITLE
                ),
                "description": field_problem(
                    values.get("description"), "The details", required=False, limit=MAX_TEXT
                ),
            }.items()
            if problem
        }
        if errors:  # shown under the fields; the modal stays open
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        asker = Asker.from_metadata(metadata(view).get("asker") or {}, body["user"]["id"])
        flags = {f: values.get(f) for f in ("service", "impact", "urgency", "description")}
        argv = grammar.build_argv("incident", "new", [values["title"]], flags)
        desk.spawn(_once(desk, f"view:{view['id']}", asker, argv), asker)

    @app.view(REASON)
    async def on_reason(ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        data = metadata(view)
        verb, key = data.get("action"), str(data.get("key", ""))
        if verb not in REASON_FORMS:
            await ack()
            return
        reason = submitted(view).get("reason")
        problem = field_problem(
            reason, "A reason", required=REASON_FORMS[verb].required, limit=MAX_TEXT
        )
        if problem:
            await ack(response_action="errors", errors={"reason": problem})
            return
        await ack()
        asker = Asker.from_metadata(data.get("asker") or {}, body["user"]["id"])
        argv = grammar.build_argv("incident", verb, [key, reason or ""])
        desk.spawn(_once(desk, f"view:{view['id']}", asker, argv), asker)


async def open_reason_form(
    desk: SlackDesk, asker: Asker, verb: str, key: str, trigger_id: str
) -> None:
    """Open the Resolve / Hold / Reopen form, or refuse at once if the asker may not use it."""
    refusal = await _refusal_within(desk, asker, verb, CHECK_BUDGET)
    if refusal:
        await desk.replies.tell(asker, refusal)
        return
    form = REASON_FORMS[verb]
    await desk.open_form(
        asker, trigger_id, reason_modal(verb, key, asker), typed=form.typed.format(key=key)
    )


async def _refusal_within(desk: SlackDesk, asker: Asker, verb: str, budget: float) -> str | None:
    """Why the asker may not use the form, if the desk can say so within `budget` seconds.

    A check that takes longer goes on in the background (it may create the person) and its
    answer is dropped; a check that fails is logged. Either way the form opens.
    """
    verdict: list[str | None] = []

    async def check() -> None:
        verdict.append(await _refusal(desk, asker, verb))

    await asyncio.wait({desk.background.spawn(check())}, timeout=budget)
    return verdict[0] if verdict else None


async def _refusal(desk: SlackDesk, asker: Asker, verb: str) -> str | None:
    try:
        identity = await desk.people.identity(asker.user_id)
    except SlackUnavailable as exc:  # the command could not run either
        return exc.message
    return await desk.run(desk.dispatcher.refusal, identity, verb)


async def _once(desk: SlackDesk, key: str, asker: Asker, argv: list[str]) -> None:
    """Run a submitted form's command once, even if it arrives twice (a double click)."""

    async def run(keep) -> None:
        reply = await desk.execute(asker, argv=argv, tell=False)
        if reply is None:  # Slack could not say who they are; they were told
            return
        if reply.ok:
            keep()
        await desk.replies.tell(asker, reply.text)

    await desk.once(key, run)
