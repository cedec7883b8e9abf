"""Modals: the new-incident form, and the one-field form behind every action that asks for a text."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from adapters.slack.asker import Asker, dump_metadata
from bot.actions import action, command_of
from domain.policy import DeskPolicy

NEW_INCIDENT = "incident_new"
REASON = "incident_reason"
MAX_TITLE = 200
MAX_TEXT = 4000

LEVEL_LABELS = {
    "impact": {
        "high": "High — a whole team or site",
        "medium": "Medium — a few people",
        "low": "Low — just me",
    },
    "urgency": {
        "high": "High — work has stopped",
        "medium": "Medium — slowed down",
        "low": "Low — it can wait",
    },
}


@dataclass(frozen=True)
class ReasonForm:
    """A one-field modal that finishes a button press, drawn from the domain's action."""

    title: str  # "{key}" is replaced by the subject's key; Slack allows 24 characters
    label: str
    submit: str
    required: bool
    typed: str  # the same as a command, for when the form cannot open ("{key}" as above)


def reason_form(subject_type: str, name: str) -> ReasonForm | None:
    """The form for an action that asks for a text, or None for one that does not."""
    found = action(subject_type, name)
    if found is None or not found.needs_text:
        return None
    return ReasonForm(
        title=found.title_for("{key}"),
        label=found.prompt or found.label,
        submit=found.label,
        required=found.text_required,
        typed=f"/{command_of(subject_type)} {name} {{key}} "
        f'"{found.prompt.split("?")[0].lower() or "why"}"',
    )


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:150], "emoji": True}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _plain(label[:75]), "value": value}


def _select(
    block_id: str,
    label: str,
    options: list[dict],
    initial: dict | None = None,
    optional: bool = False,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": "value",
        "options": options[:100],
        "placeholder": _plain("Choose…"),
    }
    if initial is not None:
        element["initial_option"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": element,
        "optional": optional,
    }


def new_incident_modal(policy: DeskPolicy, asker: Asker) -> dict[str, Any]:
    """The form behind `/incident new` with no words: title, description, service, impact, urgency."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": "title",
            "label": _plain("What is wrong?"),
            "element": {
                "type": "plain_text_input",
                "action_id": "value",
                "max_length": MAX_TITLE,
                "placeholder": _plain("e.g. VPN drops every 10 minutes"),
            },
        },
        {
            "type": "input",
            "block_id": "description",
            "label": _plain("Details"),
            "optional": True,
            "element": {
                "type": "plain_text_input",
                "action_id": "value",
                "multiline": True,
                "max_length": MAX_TEXT,
            },
        },
    ]
    services = [_option(s.name, s.display_name or s.name) for s in policy.services.values()]
    if services:
        blocks.append(_select("service", "Service", services, optional=True))
    for level in ("impact", "urgency"):
        options = [_option(v, label) for v, label in LEVEL_LABELS[level].items()]
        blocks.append(_select(level, level.capitalize(), options, initial=options[1]))
    return {
        "type": "modal",
        "callback_id": NEW_INCIDENT,
        "title": _plain("Report an incident"),
        "submit": _plain("Report"),
        "close": _plain("Cancel"),
        "blocks": blocks,
        "private_metadata": dump_metadata({"asker": asker.to_metadata()}),
    }


def reason_modal(subject_type: str, name: str, key: str, asker: Asker) -> dict[str, Any]:
    """The one-field form for an action that asks for a text (Resolve, Hold, Reopen…)."""
    form = reason_form(subject_type, name)
    assert form is not None, f"{subject_type} {name} asks for no text"
    return {
        "type": "modal",
        "callback_id": REASON,
        "title": _plain(form.title.format(key=key)[:24]),
        "submit": _plain(form.submit),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": _plain(form.label),
                "optional": not form.required,
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": MAX_TEXT,
                },
            }
        ],
        "private_metadata": dump_metadata(
            {"subject": subject_type, "action": name, "key": key, "asker": asker.to_metadata()}
        ),
    }


def submitted(view: dict[str, Any]) -> dict[str, str]:
    """A submitted view's values as {block_id: text or selected value} (empty fields left out)."""
    values: dict[str, str] = {}
    for block_id, actions in (view.get("state", {}).get("values") or {}).items():
        for field in actions.values():
            value = field.get("value")
            if field.get("selected_option"):
                value = field["selected_option"].get("value")
            if isinstance(value, str) and value.strip():
                values[block_id] = value.strip()
    return values


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """A view's private_metadata, parsed (empty when absent or not ours)."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def field_problem(text: str | None, what: str, *, required: bool, limit: int) -> str | None:
    """Why a form field cannot be used as given (shown under the field), or None."""
    if not text:
        return f"{what} is needed." if required else None
    if len(text) > limit:
        return f"{what} can be at most {limit} characters."
    return None  # "--…" is fine: forms build their argv with grammar.build_argv
