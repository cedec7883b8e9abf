"""Buttons and select menus on deskbot's messages, and the persistent handlers that answer them.

A component's custom id carries everything needed to act ("deskbot:claim:INC-42",
"deskbot:resolve-incidents:PRB-2", "deskbot:choose:link:INC-7"), so a press works after a
restart: discord.py matches the id against the DynamicItem templates registered in
`setup_hook`, whatever process posted the message. The key's prefix names the kind of subject
(bot.actions.subject_type_of_key), so one template serves every process. Views built here are
layout only.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.actions import action as action_of
from bot.actions import subject_type_of_key
from bot.suggest import Suggestion

# An action button: deskbot:<action>:<KEY>, e.g. deskbot:claim:INC-42 or
# deskbot:resolve-incidents:PRB-2; any action the domain declares (a press of one it no
# longer has is answered by the grammar with its usage). Ids posted before other processes
# existed (incident keys only) match it too.
ACTION_ID = r"deskbot:(?P<action>[a-z][a-z0-9_-]{0,29}):(?P<key>[A-Z]{2,8}-\d{1,12})"
# The menu of an action that takes one thing chosen from a list: deskbot:choose:link:INC-7.
CHOOSE_ID = r"deskbot:choose:(?P<action>[a-z][a-z_-]{0,29}):(?P<key>[A-Z]{2,8}-\d{1,12})"
INTAKE_ID = r"deskbot:intake:(?P<action>open|form|dismiss):(?P<message_id>\d{1,20})"
MAX_OPTIONS = 25  # Discord's limit for a select menu

_STYLE = discord.ButtonStyle


def action_custom_id(action: str, key: str) -> str:
    """The custom id of an action button, e.g. deskbot:claim:INC-42."""
    return f"deskbot:{action}:{key}"


def choose_custom_id(action: str, key: str) -> str:
    """The custom id of the menu an action offers, e.g. deskbot:choose:link:INC-7."""
    return f"deskbot:choose:{action}:{key}"


def _style(subject_type: str | None, action: str, primary: bool) -> discord.ButtonStyle:
    if primary:
        return _STYLE.primary
    found = action_of(subject_type, action) if subject_type else None
    # Finishing actions (Resolve, Close) look like success; the rest stay quiet.
    return _STYLE.success if found and found.name in ("resolve", "close") else _STYLE.secondary


class ActionButton(discord.ui.DynamicItem[discord.ui.Button], template=ACTION_ID):
    """One of the actions the domain declares for a kind of subject, on one subject."""

    def __init__(
        self, action: str, key: str, label: str | None = None, primary: bool | None = None
    ) -> None:
        self.subject_type = subject_type_of_key(key)
        found = action_of(self.subject_type, action) if self.subject_type else None
        if primary is None:
            primary = bool(found and found.primary)
        text = label or (found.label if found else action.capitalize())
        super().__init__(
            discord.ui.Button(
                label=text[:80],
                style=_style(self.subject_type, action, primary),
                custom_id=action_custom_id(action, key),
            )
        )
        self.action, self.key = action, key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> ActionButton:
        return cls(match["action"], match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        desk = getattr(interaction.client, "desk", None)
        if desk is not None:
            await desk.press(interaction, self.action, self.key)


class ChoiceMenu(discord.ui.DynamicItem[discord.ui.Select], template=CHOOSE_ID):
    """The things an action can take (Link to problem: which problem), for one subject."""

    def __init__(
        self,
        action: str,
        key: str,
        options: list[discord.SelectOption] | None = None,
        placeholder: str | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=choose_custom_id(action, key),
                options=list(options or [])[:MAX_OPTIONS],
                placeholder=placeholder[:150] if placeholder else None,
                min_values=1,
                max_values=1,
            )
        )
        self.action, self.key = action, key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> ChoiceMenu:
        options = list(getattr(item, "options", None) or [])
        return cls(match["action"], match["key"], options)

    async def callback(self, interaction: discord.Interaction) -> None:
        desk = getattr(interaction.client, "desk", None)
        if desk is not None and self.item.values:
            await desk.choose(interaction, self.action, self.key, self.item.values[0])


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


# Every persistent component, for `Client.add_dynamic_items`.
DYNAMIC_ITEMS = (ActionButton, ChoiceMenu, IntakeButton)


def layout(*items: discord.ui.Item[Any]) -> discord.ui.View | None:
    """A view that only lays components out (None when there are none).

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


def card_buttons(subject: dict[str, Any] | None) -> discord.ui.View | None:
    """A card's buttons: the card actions the subject's snapshot says its state allows."""
    if not subject:
        return None
    key = subject["key"]
    return layout(
        *(
            ActionButton(a["name"], key, a["label"], a["primary"])
            for a in subject.get("actions", ())
            if a["on_card"]
        )
    )


def notification_buttons(
    subject: dict[str, Any] | None, offers: list[dict[str, Any]]
) -> discord.ui.View | None:
    """Buttons under a notification: what its kind offers the reader (Claim under an
    escalation; Yes, fixed / No, still broken under a workaround), as far as the subject's
    state still allows."""
    if not subject or not offers:
        return None
    key = subject["key"]
    return layout(
        *(ActionButton(o["name"], key, o["label"], primary=i == 0) for i, o in enumerate(offers))
    )


def choice_menu(
    action: str, key: str, found: list[Suggestion], placeholder: str
) -> discord.ui.View | None:
    """A menu of what `action` on `key` can take (None when there is nothing to choose)."""
    options = [
        discord.SelectOption(label=s.label[:100] or s.value, value=s.value[:100])
        for s in found[:MAX_OPTIONS]
    ]
    return layout(ChoiceMenu(action, key, options, placeholder)) if options else None
