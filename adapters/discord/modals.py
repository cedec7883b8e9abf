"""Forms: a new incident (/incident new without options, or a DM's "add details"), and the
note that actions like Resolve, Hold, Reopen or Root cause ask for. Submitting one runs the
shared grammar's argv."""

from __future__ import annotations

from typing import Any

import discord

from bot import grammar
from bot.actions import action as action_of
from bot.actions import command_of

FORM_TIMEOUT = 30 * 60.0  # forget a form nobody submitted, so abandoned ones do not pile up


class NoteForm(discord.ui.Modal):
    """The one text field an action asks for (a resolution, a hold reason, a root cause…),
    as the domain words it, for any kind of subject."""

    def __init__(self, subject_type: str, action: str, key: str) -> None:
        found = action_of(subject_type, action)
        if found is None or not found.needs_text:
            raise ValueError(f"{subject_type} {action} asks for no text")
        super().__init__(title=found.title_for(key)[:45], timeout=FORM_TIMEOUT)
        self.subject_type, self.action, self.key = subject_type, action, key
        self.note: discord.ui.TextInput = discord.ui.TextInput(
            label=(found.prompt or found.label)[:45],
            style=discord.TextStyle.paragraph,
            required=found.text_required,
            max_length=4000,
            placeholder=None if found.text_required else "optional",
            custom_id="note",
        )
        self.add_item(self.note)

    def argv(self) -> list[str]:
        """The command this form stands for, e.g. incident resolve INC-42 "the fix"."""
        note = self.note.value.strip()
        return grammar.build_argv(command_of(self.subject_type), self.action, [self.key, note])

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.client.desk.submit(interaction, self.argv())  # type: ignore[attr-defined]


class NewIncidentForm(discord.ui.Modal):
    """Title, service, impact, urgency and description of a new incident (Discord allows five).

    `intake` is the id of the DM the form was opened for ("Add details first"): submitting it
    then opens that DM's one incident, exactly as "Open an incident" would.
    """

    def __init__(
        self,
        defaults: dict[str, Any] | None = None,
        services: str = "",
        *,
        intake: str | None = None,
    ) -> None:
        super().__init__(title="Report an incident", timeout=FORM_TIMEOUT)
        d = {k: v for k, v in (defaults or {}).items() if v not in (None, "")}
        self.intake = intake
        self.category = d.get("category")  # no room for a sixth field: kept from the command
        self.fields: dict[str, discord.ui.TextInput] = {
            "title": discord.ui.TextInput(
                label="What is wrong?",
                placeholder="In a few words, e.g. VPN drops every 10 minutes",
                max_length=200,
                default=_clip(d.get("title"), 200),
                custom_id="title",
            ),
            "service": discord.ui.TextInput(
                label="Service (optional)",
                placeholder=(services or "the affected service")[:100],
                required=False,
                max_length=64,
                default=d.get("service"),
                custom_id="service",
            ),
            "impact": discord.ui.TextInput(
                label="Impact: how many are affected?",
                placeholder="high, medium or low (default medium)",
                required=False,
                max_length=10,
                default=d.get("impact"),
                custom_id="impact",
            ),
            "urgency": discord.ui.TextInput(
                label="Urgency: how soon does it hurt?",
                placeholder="high, medium or low (default medium)",
                required=False,
                max_length=10,
                default=d.get("urgency"),
                custom_id="urgency",
            ),
            "description": discord.ui.TextInput(
                label="Details (optional)",
                style=discord.TextStyle.paragraph,
                required=False,
                max_length=4000,
                default=_clip(d.get("description"), 4000),
                custom_id="description",
            ),
        }
        for field in self.fields.values():
            self.add_item(field)

    def argv(self) -> list[str]:
        """incident new TITLE --service=… --impact=… (empty fields left to the defaults)."""
        values = {name: field.value.strip() for name, field in self.fields.items()}
        if self.category:
            values["category"] = self.category
        return grammar.build_argv("incident", "new", [values.pop("title")], values)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        desk = interaction.client.desk  # type: ignore[attr-defined]
        if self.intake is not None:
            await desk.submit_intake(interaction, self.intake, self.argv())
        else:
            await desk.submit(interaction, self.argv())


def _clip(text: Any, limit: int) -> str | None:
    return str(text)[:limit] if text else None
