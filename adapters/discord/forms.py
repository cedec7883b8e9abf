"""A desk form (bot/forms.py) as Discord modals. A modal holds at most five inputs and a
modal cannot open another, so a longer form goes in steps: each step's submission answers
with a **Continue** button that opens the next. Choices are string selects and people user
selects (inside labels), the rest text inputs; the last step runs the command the form
finishes, so the domain checks its answers."""

from __future__ import annotations

from typing import Any

import discord

from bot.forms import Form, Question

PER_STEP = 5  # Discord's limit of inputs in one modal
FORM_TIMEOUT = 30 * 60.0  # forget a form nobody finished, so abandoned ones do not pile up
LABEL = 45  # Discord's limit for a label's text
TEXT_LIMIT = 4000  # and for a text input's value


def steps(form: Form) -> list[tuple[Question, ...]]:
    """The form's questions in groups of at most five, in order."""
    questions = form.questions
    return [questions[i : i + PER_STEP] for i in range(0, len(questions), PER_STEP)] or [()]


def _input(question: Question, given: str | None) -> discord.ui.Item:
    label = question.label[:LABEL]
    hint = (question.help or question.rule)[:100] or None
    if question.kind == "choice":
        options = [
            discord.SelectOption(label=c[:100], value=c[:100], default=bool(given) and c == given)
            for c in question.choices[:25]
        ]
        select = discord.ui.Select(
            custom_id=question.name,
            options=options,
            required=question.required,
            min_values=1 if question.required else 0,
        )
        return discord.ui.Label(text=label, component=select, description=hint)
    if question.kind == "person":
        people = discord.ui.UserSelect(
            custom_id=question.name,
            required=question.required,
            min_values=1 if question.required else 0,
        )
        return discord.ui.Label(text=label, component=people, description=hint)
    return discord.ui.TextInput(
        label=label,
        custom_id=question.name,
        style=(
            discord.TextStyle.paragraph if question.kind == "long_text" else discord.TextStyle.short
        ),
        required=question.required,
        max_length=min(question.limit, TEXT_LIMIT),
        default=(given or "")[:TEXT_LIMIT] or None,
        placeholder=hint,
    )


class FormStep(discord.ui.Modal):
    """One step of a form; `answers` carries what earlier steps (and the command) gave."""

    def __init__(self, form: Form, step: int, answers: dict[str, str]) -> None:
        groups = steps(form)
        title = form.title if len(groups) == 1 else f"{form.title} ({step + 1}/{len(groups)})"
        super().__init__(title=title[:LABEL], timeout=FORM_TIMEOUT)
        self.form, self.step, self.answers = form, step, dict(answers)
        self.inputs: dict[str, discord.ui.Item] = {}
        for question in groups[step]:
            item = _input(question, self.answers.get(question.name))
            self.inputs[question.name] = item
            self.add_item(item)

    @property
    def last(self) -> bool:
        return self.step + 1 >= len(steps(self.form))

    def collected(self) -> dict[str, str]:
        """The answers so far, this step's included (blank ones dropped)."""
        found = dict(self.answers)
        for name, item in self.inputs.items():
            value = _value(item)
            if value:
                found[name] = value
            else:
                found.pop(name, None)
        return found

    async def on_submit(self, interaction: discord.Interaction) -> None:
        answers = self.collected()
        if self.last:
            desk: Any = interaction.client.desk  # type: ignore[attr-defined]
            await desk.submit(interaction, self.form.argv(answers))
            return
        total = len(steps(self.form))
        await interaction.response.send_message(
            f"{self.form.title}: step {self.step + 1} of {total} kept. Continue when ready.",
            view=Continue(self.form, self.step + 1, answers),
            ephemeral=True,
        )


class Continue(discord.ui.View):
    """The button between two steps: a modal may only be opened by a command or a press."""

    def __init__(self, form: Form, step: int, answers: dict[str, str]) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.form, self.step, self.answers = form, step, answers

    @discord.ui.button(label="Continue", style=discord.ButtonStyle.primary, custom_id="form_next")
    async def next_step(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(FormStep(self.form, self.step, self.answers))


def _value(item: discord.ui.Item) -> str:
    if isinstance(item, discord.ui.Label):
        component = item.component
        values = list(getattr(component, "values", []) or [])
        if not values:
            return ""
        chosen = values[0]
        if isinstance(component, discord.ui.UserSelect):
            # A resolved user, or its id when Discord sent none: a mention the grammar reads.
            return f"<@{getattr(chosen, 'id', chosen)}>"
        return str(chosen)
    return str(getattr(item, "value", "") or "").strip()
