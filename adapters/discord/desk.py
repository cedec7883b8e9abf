"""What deskbot does when someone uses a command, presses a button or submits a form.

The first response always goes out before any desk work (Discord allows 3 seconds): a form
opens at once, everything else is deferred, run through the shared pipeline (bot/pipeline.py:
the person, once per interaction id, bounded threads) and answered by editing the deferred
reply. Replies are ephemeral: refusals and private details are for the asker only; the card
and its thread are what the channel sees.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from adapters.discord.commands import to_argv
from adapters.discord.intake import Intake
from adapters.discord.modals import NewIncidentForm, NoteForm
from adapters.discord.people import identity_of
from adapters.discord.render import chunks, escape_mentions
from bot.actions import action as action_of
from bot.commands import Reply, Subcommand
from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
# Who may submit a form is checked before it opens (the domain's wording); how long the
# check may take before the form opens anyway: the first response is due within 3 seconds.
CHECK_BUDGET = 1.5


class DiscordDesk:
    """Runs Discord interactions through the shared pipeline; `client.desk` points here."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.pipeline = Pipeline(runtime.dispatcher, platform="discord")
        self.intake = Intake(self)

    async def run_command(
        self,
        interaction: discord.Interaction,
        command: str,
        sub: Subcommand,
        options: dict[str, Any],
    ) -> None:
        """A slash command: /incident new without a title opens the form, the rest run."""
        if (command, sub.name) == ("incident", "new") and not options.get("title"):
            services = ", ".join(sorted(self.runtime.policy.services))
            work = self._open_form(interaction, NewIncidentForm(options, services))
        else:
            work = self.run_argv(interaction, to_argv(command, sub, options))
        await self._guarded(f"/{command} {sub.name}", interaction, work)

    async def press(self, interaction: discord.Interaction, action: str, key: str) -> None:
        """A button on a card or notification: a form for actions that ask for a text, else
        the command itself."""
        found = action_of("incident", action)
        if found is not None and found.needs_text:
            work = self._form_for_note(interaction, action, key)
        else:
            work = self.run_argv(interaction, ["incident", action, key])
        await self._guarded(f"{action} button", interaction, work)

    async def press_intake(
        self, interaction: discord.Interaction, action: str, message_id: str
    ) -> None:
        """A button under the offer to turn a DM into an incident."""
        await self._guarded(
            "DM offer", interaction, self.intake.press(interaction, action, message_id)
        )

    async def submit(self, interaction: discord.Interaction, argv: list[str]) -> None:
        """A submitted form, as the command it stands for."""
        await self._guarded(
            f"{argv[0]} {argv[1]} form", interaction, self.run_argv(interaction, argv)
        )

    async def submit_intake(
        self, interaction: discord.Interaction, message_id: str, argv: list[str]
    ) -> None:
        """The form opened by "Add details first": opens that DM's incident, at most once."""
        await self._guarded(
            "DM offer form", interaction, self.intake.open(interaction, message_id, argv)
        )

    async def on_message(self, message: discord.Message) -> None:
        """A message the bot can see (DMs only, by its intents)."""
        try:
            await self.intake.on_message(message)
        except Exception:
            log.exception("handling a Discord DM failed")

    async def run_argv(self, interaction: discord.Interaction, argv: list[str]) -> Reply | None:
        """Defer, run the command through the pipeline, and answer with its reply."""
        delivery = self.pipeline.received("interaction", f"interaction:{interaction.id}")
        if not interaction.response.is_done():
            try:
                await interaction.response.defer(ephemeral=True, thinking=True)
            except discord.HTTPException as exc:
                # Too late (or already answered): Discord told the person it failed, so doing
                # the work now would surprise them; they can simply try again.
                log.warning("could not acknowledge a Discord interaction in time: %s", exc)
                return None
        reply = await self.pipeline.command(
            self.identify(interaction), argv=argv, delivery=delivery
        )
        if not reply.duplicate:
            await self.answer(interaction, reply.text, edit_original=True)
        return reply

    @staticmethod
    def identify(interaction: discord.Interaction):
        """The pipeline's `identify`: Discord always says who pressed or typed."""

        async def identify():
            return identity_of(interaction.user)

        return identify

    async def answer(
        self,
        interaction: discord.Interaction,
        text: str,
        *,
        edit_original: bool,
        ephemeral: bool = True,
    ) -> None:
        """Send reply text (split at Discord's 2000 characters) as the response or follow-ups."""
        try:
            parts = chunks(escape_mentions(text))  # people's text (titles, notes) pings nobody
            if edit_original:
                await interaction.edit_original_response(
                    content=parts[0], allowed_mentions=NO_PINGS
                )
                parts = parts[1:]
            for part in parts:
                await interaction.followup.send(
                    part, ephemeral=ephemeral, allowed_mentions=NO_PINGS
                )
        except discord.HTTPException as exc:
            log.warning("could not answer a Discord interaction: %s", exc)

    async def _form_for_note(self, interaction: discord.Interaction, action: str, key: str) -> None:
        """Open the note form, or refuse at once who may not submit it (nobody types in vain)."""
        refusal = await self.pipeline.refusal(
            self.identify(interaction), "incident", action, CHECK_BUDGET
        )
        if refusal:
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        await self._open_form(interaction, NoteForm(action, key))

    async def _open_form(self, interaction: discord.Interaction, form: discord.ui.Modal) -> None:
        try:
            await interaction.response.send_modal(form)
        except discord.HTTPException as exc:
            log.warning("could not open a form on Discord: %s", exc)

    async def _guarded(self, what: str, interaction: discord.Interaction, work) -> None:
        """Run `work`; an unexpected error is logged with an id that the person also sees."""

        async def tell(text: str) -> None:
            if not interaction.response.is_done():
                await interaction.response.send_message(text, ephemeral=True)
                return
            try:  # replace "deskbot is thinking…", or add a line after a form
                await interaction.edit_original_response(content=text)
            except discord.HTTPException:
                await interaction.followup.send(text, ephemeral=True)

        await self.pipeline.guard(what, work, tell)
