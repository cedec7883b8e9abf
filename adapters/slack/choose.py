"""Actions that take one thing chosen from a list (Link to problem): pressing the button
opens a modal with a select of what the desk offers (bot.suggest.choices); submitting it
runs the action's command with the choice (`/incident link INC-7 PRB-2`)."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.slack.asker import Asker, dump_metadata
from adapters.slack.desk import SlackDesk, form_refused
from bot import grammar, suggest
from bot.actions import action, command_of
from bot.identity import PlatformIdentity
from bot.pipeline import Unidentified
from domain.errors import DeskError

CHOOSE = "subject_choose"
MAX_OPTIONS = 100  # a static_select holds at most 100 options


def typed(subject_type: str, name: str, key: str) -> str:
    """The command a person can type instead: "/incident link INC-7 PROBLEM"."""
    found = action(subject_type, name)
    what = found.choose.upper() if found is not None and found.choose else "CHOICE"
    return f"/{command_of(subject_type)} {name} {key} {what}"


def _lookup(
    dispatcher, identity: PlatformIdentity, subject_type: str, name: str, key: str
) -> tuple[str | None, list[suggest.Suggestion]]:
    """(why not, or None; the choices): the person's permission first, then what to choose."""
    refusal = dispatcher.refusal(identity, name, subject_type)
    if refusal:
        return refusal, []
    try:
        found = suggest.choices(dispatcher, identity, subject_type, name, key)
    except DeskError as exc:
        return exc.message, []
    if not found:
        return f"There is nothing to choose for {key} just now.", []
    return None, found


async def open_choice_form(
    desk: SlackDesk,
    asker: Asker,
    subject_type: str,
    name: str,
    key: str,
    trigger_id: str | None,
    budget: float,
) -> None:
    """Open the chooser for an action on one subject, or say why there is nothing to choose.

    The choices must be known before the modal opens, and Slack's trigger_id lasts 3 s: a
    lookup slower than `budget` (the desk is busy) gives up with the command to type instead.
    """
    outcome: list[tuple[str | None, list[suggest.Suggestion]]] = []

    async def look() -> None:
        try:
            identity = await desk.identify(asker)()
        except Unidentified as exc:
            outcome.append((exc.message, []))
            return
        outcome.append(await desk.run(_lookup, desk.dispatcher, identity, subject_type, name, key))

    looking = desk.pipeline.spawn(look(), tell=_teller(desk, asker))
    await asyncio.wait({looking}, timeout=budget)
    instead = typed(subject_type, name, key)
    if not looking.done():  # its answer will be dropped: the form would open too late
        await desk.replies.tell(asker, form_refused("expired_trigger_id", instead))
        return
    if not outcome:  # it failed, and the asker was shown the error's id
        return
    refusal, found = outcome[0]
    if refusal:
        await desk.replies.tell(asker, refusal)
        return
    await desk.open_form(
        asker, trigger_id, choice_modal(subject_type, name, key, found, asker), typed=instead
    )


def _teller(desk: SlackDesk, asker: Asker):
    async def tell(text: str) -> None:
        await desk.replies.tell(asker, text)

    return tell


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def choice_modal(
    subject_type: str, name: str, key: str, found: list[suggest.Suggestion], asker: Asker
) -> dict[str, Any]:
    """The modal: one select of the choices, the subject and action in its metadata."""
    chosen = action(subject_type, name)
    assert chosen is not None and chosen.choose, f"{subject_type} {name} takes no choice"
    options = [{"text": _plain(s.label, 75), "value": s.value[:150]} for s in found[:MAX_OPTIONS]]
    return {
        "type": "modal",
        "callback_id": CHOOSE,
        "title": _plain(chosen.title_for(key), 24),
        "submit": _plain(chosen.label, 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": "choice",
                "label": _plain(chosen.prompt or f"Which {chosen.choose}?"),
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": options,
                    "placeholder": _plain("Choose…"),
                },
            }
        ],
        "private_metadata": dump_metadata(
            {"subject": subject_type, "action": name, "key": key, "asker": asker.to_metadata()}
        ),
    }


def chosen_argv(data: dict[str, Any], value: str | None) -> tuple[list[str] | None, str | None]:
    """(the command for a submitted chooser, or None; what is wrong with the choice, or None)."""
    subject_type, name = str(data.get("subject", "")), str(data.get("action", ""))
    found = action(subject_type, name)
    if found is None or not found.choose:
        return None, None  # not a form of ours: close it, run nothing
    if not value:
        return None, f"Choose a {found.choose}."
    argv = grammar.build_argv(command_of(subject_type), name, [str(data.get("key", "")), value])
    return argv, None
