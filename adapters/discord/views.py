"""Buttons on deskbot's messages, and the persistent handlers that answer them.

A button's custom id carries everything needed to act ("deskbot:claim:INC-42"), so a press
works after a restart: discord.py matches the id against the DynamicItem templates registered
in `setup_hook`, whatever process posted the message. Views built here are layout only.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.actions import action as action_of

# An incident button: deskbot:<action>:INC-<n>; any action the domain declares (a press of
# one it no longer has is answered by the grammar with its usage).
INCIDENT_ID = r"deskbot:(?P<action>[a-z_]{1,20}):(?P<key>INC-\d{1,12})"
INTAKE_ID = r"deskbot:intake:(?P<action>open|form|dismiss):(?P<message_id>\d{1,20})"

_STYLE = discord.ButtonStyle


def incident_custom_id(action: str, key: str) -> str:
    """The custom id of an incident button, e.g. deskbot:claim:INC-42."""
    return f"deskbot:{action}:{key}"


def _style(action: str, primary: bool) -> discord.ButtonStyle:
    if primary:
        return _STYLE.primary
    found = action_of("incident", action)
    # Finishing actions (Resolve, Close) look like success; the rest stay quiet.
    return _STYLE.success if found and found.name in ("resolve", "close") else _STYLE.secondary


class IncidentButton(discord.ui.DynamicItem[discord.ui.Button], template=INCIDENT_ID):
    """One of the actions the domain declares for incidents, on one incident."""

    def __init__(
        self, action: str, key: str, label: str | None = None, primary: bool | None = None
    ) -> None:
        found = action_of("incident", action)
        if primary is None:
            primary = bool(found and found.primary)
        text = label or (found.label if found else action.capitalize())
        super().__init__(
            discord.ui.Button(
                label=text, style=_style(action, primary), custom_id=incident_custom_id(action, key)
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
    """The card's buttons: the card actions the incident's snapshot says its state allows."""
    key = incident["key"]
    return layout(
        *(
            IncidentButton(a["name"], key, a["label"], a["primary"])
            for a in incident.get("actions", ())
            if a["on_card"]
        )
    )


def notification_buttons(
    incident: dict[str, Any] | None, offers: list[dict[str, Any]]
) -> discord.ui.View | None:
    """Buttons under a notification: what its kind offers the reader (Claim under an
    escalation; confirm or reopen under a resolution), as far as the state still allows."""
    if incident is None or not offers:
        return None
    key = incident["key"]
    return layout(
        *(IncidentButton(o["name"], key, o["label"], primary=i == 0) for i, o in enumerate(offers))
    )
