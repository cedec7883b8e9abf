"""Buttons on deskbot's messages, and the persistent handlers that answer them.

A button's custom id carries everything needed to act ("deskbot:claim:INC-42"), so a press
works after a restart: discord.py matches the id against the DynamicItem templates registered
in `setup_hook`, whatever process posted the message. Views built here are layout only.
"""

from __future__ import annotations

from typing import Any

import discord

ACTIONS = ("claim", "resolve", "hold", "resume", "close", "reopen")
INCIDENT_ID = r"deskbot:(?P<action>claim|resolve|hold|resume|close|reopen):(?P<key>INC-\d{1,12})"
INTAKE_ID = r"deskbot:intake:(?P<action>open|form|dismiss):(?P<message_id>\d{1,20})"

_STYLE = discord.ButtonStyle
LABELS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "claim": ("Claim", _STYLE.primary),
    "resolve": ("Resolve", _STYLE.success),
    "hold": ("Hold", _STYLE.secondary),
    "resume": ("Resume", _STYLE.primary),
    "close": ("Close", _STYLE.success),
    "reopen": ("Reopen", _STYLE.secondary),
}
OPEN = ("new", "assigned", "in_progress", "on_hold")
CLAIMABLE = ("new", "assigned", "in_progress")


def incident_custom_id(action: str, key: str) -> str:
    """The custom id of an incident button, e.g. deskbot:claim:INC-42."""
    return f"deskbot:{action}:{key}"


class IncidentButton(discord.ui.DynamicItem[discord.ui.Button], template=INCIDENT_ID):
    """Claim / Resolve / Hold / Resume / Close / Reopen on one incident."""

    def __init__(self, action: str, key: str, label: str | None = None) -> None:
        text, style = LABELS[action]
        super().__init__(
            discord.ui.Button(
                label=label or text, style=style, custom_id=incident_custom_id(action, key)
            )
        )
        self.action, self.key = action, key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> IncidentButton:
        return cls(match["action"], match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        desk = getattr(interaction.client, "desk", None)
        if desk is not None:
            await desk.press(interaction, self.action, self.key)


class IntakeButton(discord.ui.DynamicItem[discord.ui.Button], template=INTAKE_ID):
    """The answer to "shall I open an incident for this DM?": open, add details, or not."""

    def __init__(self, action: str, message_id: str) -> None:
        label, style = {
            "open": ("Open an incident", _STYLE.primary),
            "form": ("Add details first", _STYLE.secondary),
            "dismiss": ("No, thanks", _STYLE.secondary),
        }[action]
        custom_id = f"deskbot:intake:{action}:{message_id}"
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.action, self.message_id = action, message_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> IntakeButton:
        return cls(match["action"], match["message_id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        desk = getattr(interaction.client, "desk", None)
        if desk is not None:
            await desk.press_intake(interaction, self.action, self.message_id)


def layout(*items: discord.ui.Item[Any]) -> discord.ui.View | None:
    """A view that only lays buttons out (None when there are none).

    It is stopped at once so discord.py never keeps it in its view store: presses are answered
    by the DynamicItem classes above, and a store entry per message would grow without end.
    """
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view


def card_buttons(incident: dict[str, Any]) -> discord.ui.View | None:
    """The card's buttons for the incident's state (the same set as the Slack card)."""
    state, key = incident["state"], incident["key"]
    actions = []
    if state in CLAIMABLE:
        actions.append("claim")
    if state == "on_hold":
        actions.append("resume")
    if state in OPEN:
        actions.append("resolve")
    if state in ("assigned", "in_progress"):
        actions.append("hold")
    return layout(*(IncidentButton(a, key) for a in actions))


def notification_buttons(kind: str, incident: dict[str, Any] | None) -> discord.ui.View | None:
    """Buttons under a notification: Claim on escalations, confirm or reopen on a resolution."""
    if incident is None:
        return None
    key, state = incident["key"], incident["state"]
    if kind in ("incident_assigned", "incident_escalated", "incident_rerouted"):
        return layout(IncidentButton("claim", key)) if state in CLAIMABLE else None
    if kind == "incident_resolved" and state == "resolved":
        return layout(
            IncidentButton("close", key, "Yes, it's fixed"),
            IncidentButton("reopen", key, "No, reopen it"),
        )
    return None
