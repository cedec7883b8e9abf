"""Buttons and the modals behind them: an action that needs no text runs at once (Claim,
Resume, Close); one that asks for a text opens its form first (Resolve, Hold, Reopen); one
that takes a choice opens a chooser (Link to problem, adapters/slack/choose.py). Which is
which, and which buttons exist, comes from every process's actions (bot.actions)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.asker import Asker
from adapters.slack.choose import CHOOSE, chosen_argv, open_choice_form
from adapters.slack.commands import open_new_incident_form
from adapters.slack.desk import SlackDesk
from adapters.slack.forms import DESK_FORM, refusals
from adapters.slack.forms import answers as form_answers
from adapters.slack.home import NEW_INCIDENT_BUTTON
from adapters.slack.modals import (
    MAX_TEXT,
    MAX_TITLE,
    NEW_INCIDENT,
    REASON,
    field_problem,
    metadata,
    reason_form,
    reason_modal,
    submitted,
)
from bot import grammar
from bot.actions import button_pattern, command_of, parse_button_id
from bot.inbound_work import Work

# Who may submit a form is checked before opening it, so nobody fills one in vain. How
# long that check may take: Slack's trigger_id opens a form for 3 seconds after the click,
# and the check waits for the database behind other desk work (DESK_THREADS); when it is
# slower than this the form opens anyway, since the command checks again on submit.
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
    """Listen for every subject's buttons and the submissions of their modals."""

    async def press_job(asker: Asker, work: Work) -> None:
        subject_type, found = parse_button_id(work.payload["action_id"])
        command = command_of(subject_type)  # a suggestion's buttons run /problem adopt…
        argv = grammar.build_argv(command, found.name, [str(work.payload.get("value"))])
        await desk.execute(asker, argv=argv, work=work)

    async def form_job(asker: Asker, work: Work) -> None:
        await desk.execute(asker, argv=list(work.payload["argv"]), work=work)

    desk.job("press", press_job)
    desk.job("form", form_job)

    @app.action(button_pattern())
    async def on_button(ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        subject_type, found = parse_button_id(action["action_id"])
        value = str(action.get("value", ""))
        if found.needs_text:
            # Only opens a form: nothing to keep (a form's trigger lasts 3 s; what the
            # person submits in it is stored when they submit).
            await ack()
            asker = asker_of(body)
            form = open_reason_form(
                desk, asker, subject_type, found.name, value, body.get("trigger_id")
            )
            desk.spawn(form, asker)
            return
        if found.choose:
            # Only opens a chooser; what is chosen is stored when the form is submitted.
            await ack()
            asker = asker_of(body)
            chooser = open_choice_form(
                desk,
                asker,
                subject_type,
                found.name,
                value,
                body.get("trigger_id"),
                CHECK_BUDGET,
            )
            desk.spawn(chooser, asker)
            return
        work = await desk.accept(
            "press",
            press_key(body, action),
            asker_of(body),
            action_id=action["action_id"],
            value=value,
        )
        await ack()
        desk.start(work)

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
        asker = Asker.from_metadata(metadata(view).get("asker") or {}, body["user"]["id"])
        flags = {f: values.get(f) for f in ("service", "impact", "urgency", "description")}
        argv = grammar.build_argv("incident", "new", [values["title"]], flags)
        work = await desk.accept("form", f"view:{view['id']}", asker, argv=argv)
        await ack()
        desk.start(work)

    @app.view(REASON)
    async def on_reason(ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        data = metadata(view)
        subject_type = str(data.get("subject") or "incident")
        verb, key = str(data.get("action", "")), str(data.get("key", ""))
        form = reason_form(subject_type, verb)
        if form is None:
            await ack()
            return
        reason = submitted(view).get("reason")
        problem = field_problem(reason, "A reason", required=form.required, limit=MAX_TEXT)
        if problem:
            await ack(response_action="errors", errors={"reason": problem})
            return
        asker = Asker.from_metadata(data.get("asker") or {}, body["user"]["id"])
        argv = grammar.build_argv(command_of(subject_type), verb, [key, reason or ""])
        work = await desk.accept("form", f"view:{view['id']}", asker, argv=argv)
        await ack()
        desk.start(work)

    @app.view(DESK_FORM)
    async def on_form(ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        data = metadata(view)
        given = form_answers(view)
        missing = refusals(view, given)
        if missing:  # shown under the fields; the modal stays open
            await ack(response_action="errors", errors=missing)
            return
        fixed = [str(word) for word in data.get("fixed") or []]
        words = [f"{name}={value}" for name, value in given.items()]
        argv = grammar.build_argv(
            str(data.get("command", "")), str(data.get("subcommand", "")), [*fixed, *words]
        )
        asker = Asker.from_metadata(data.get("asker") or {}, body["user"]["id"])
        work = await desk.accept("form", f"view:{view['id']}", asker, argv=argv)
        await ack()
        desk.start(work)

    @app.view(CHOOSE)
    async def on_choice(ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        data = metadata(view)
        argv, problem = chosen_argv(data, submitted(view).get("choice"))
        if problem:
            await ack(response_action="errors", errors={"choice": problem})
            return
        if argv is None:
            await ack()
            return
        asker = Asker.from_metadata(data.get("asker") or {}, body["user"]["id"])
        work = await desk.accept("form", f"view:{view['id']}", asker, argv=argv)
        await ack()
        desk.start(work)


def press_key(body: dict[str, Any], action: dict[str, Any]) -> str:
    """A button press's delivery identity: who pressed what, on which message, and when.

    Slack sends a retried delivery with the same `action_ts`; a second press has its own.
    """
    container = body.get("container") or {}
    where = container.get("message_ts") or container.get("view_id") or ""
    who = (body.get("user") or {}).get("id", "")
    return f"press:{who}:{action.get('action_id')}:{where}:{action.get('action_ts', '')}"


async def open_reason_form(
    desk: SlackDesk, asker: Asker, subject_type: str, verb: str, key: str, trigger_id: str | None
) -> None:
    """Open an action's form, or refuse at once if the asker may not take the action."""
    refusal = await desk.pipeline.refusal(desk.identify(asker), subject_type, verb, CHECK_BUDGET)
    if refusal:
        await desk.replies.tell(asker, refusal)
        return
    form = reason_form(subject_type, verb)
    await desk.open_form(
        asker,
        trigger_id,
        reason_modal(subject_type, verb, key, asker),
        typed=form.typed.format(key=key),
    )
