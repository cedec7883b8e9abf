"""A desk form (bot/forms.py) as a Slack modal: a text box, a menu, a people picker, a date
picker or a number box per question, whichever fits; submitted answers go back through the
command the form finishes."""

from __future__ import annotations

from typing import Any

from adapters.slack.asker import Asker, dump_metadata
from bot.forms import Form, Question

DESK_FORM = "desk_form"
MAX_BLOCKS = 50  # Slack's limit for a modal's blocks
LONG_TEXT = 3000  # Slack's limit for a multi-line plain_text_input


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:150] or " ", "emoji": True}


def _element(question: Question, given: str | None) -> dict[str, Any]:
    if question.kind == "choice":
        options = [{"text": _plain(c[:75]), "value": c[:150]} for c in question.choices[:100]]
        element: dict[str, Any] = {"type": "static_select", "options": options}
        chosen = next((o for o in options if given and o["value"].lower() == given.lower()), None)
        if chosen:
            element["initial_option"] = chosen
        return element
    if question.kind == "person":
        return {"type": "users_select"}
    if question.kind == "date":
        element = {"type": "datepicker"}
        if given:
            element["initial_date"] = given
        return element
    if question.kind == "number":
        element = {"type": "number_input", "is_decimal_allowed": True}
        for key, value in (("min_value", question.minimum), ("max_value", question.maximum)):
            if value is not None:
                element[key] = value
        if given:
            element["initial_value"] = given
        return element
    element = {
        "type": "plain_text_input",
        "multiline": question.kind == "long_text",
        "max_length": min(question.limit, LONG_TEXT),
    }
    if question.kind == "duration":
        element["placeholder"] = _plain("e.g. 4h, 2d or 1w")
    if given:
        element["initial_value"] = given[: element["max_length"]]
    return element


def form_modal(form: Form, asker: Asker) -> dict[str, Any]:
    """The modal for a form: every question, the answers already typed filled in."""
    blocks = []
    for question in form.questions[:MAX_BLOCKS]:
        element = {"action_id": "value", **_element(question, form.given.get(question.name))}
        block: dict[str, Any] = {
            "type": "input",
            "block_id": question.name,
            "label": _plain(question.label),
            "optional": not question.required,
            "element": element,
        }
        if question.help:
            block["hint"] = _plain(question.help)
        blocks.append(block)
    return {
        "type": "modal",
        "callback_id": DESK_FORM,
        "title": _plain(form.title[:24]),
        "submit": _plain("Submit"),
        "close": _plain("Cancel"),
        "blocks": blocks,
        "private_metadata": dump_metadata(
            {
                "command": form.command,
                "subcommand": form.subcommand,
                "fixed": list(form.fixed),
                "asker": asker.to_metadata(),
            }
        ),
    }


def answers(view: dict[str, Any]) -> dict[str, str]:
    """A submitted form's answers by question: typed text, the option, the person chosen
    (as a mention the grammar resolves), the date; blank ones left out."""
    found: dict[str, str] = {}
    for name, actions in (view.get("state", {}).get("values") or {}).items():
        field = (actions or {}).get("value") or {}
        value = field.get("value")
        if field.get("selected_option"):
            value = field["selected_option"].get("value")
        elif field.get("selected_user"):
            value = f"<@{field['selected_user']}>"
        elif field.get("selected_date"):
            value = field["selected_date"]
        if isinstance(value, str) and value.strip():
            found[str(name)] = value.strip()
    return found


def refusals(view: dict[str, Any], answered: dict[str, str]) -> dict[str, str]:
    """What Slack's own checks leave to us: a required answer that is only white space."""
    return {
        block["block_id"]: f"{block['label']['text']} is needed."
        for block in view.get("blocks") or []
        if block.get("type") == "input"
        and not block.get("optional")
        and block.get("block_id") not in answered
    }
