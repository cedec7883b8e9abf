"""Conversations: a DM to the bot, in the person's own words, offered as an incident.

The offer quotes the message in an embed and carries its id in the buttons' custom ids, so it
can be accepted after a restart without any state in this process. Updates on the incident
then arrive in the same DM (the outbox sends a person's notifications there).

One message opens at most one incident, whichever way it is accepted ("Open an incident", or
"Add details first" and the form): both take the message's `discord-intake` key first, and
whoever comes second is told it is done. The offer's buttons go away while the incident is
opened; if opening fails, the key is given back and the buttons come back, to try again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from adapters.discord.modals import NewIncidentForm
from adapters.discord.people import identity_of, user_data
from adapters.discord.views import IntakeButton, layout
from bot import grammar
from bot.commands import COMMANDS
from bot.intake import (
    catalogue_hint,
    needs_screening,
    screen,
    title_and_details,
    understand,
)

if TYPE_CHECKING:
    from adapters.discord.desk import DiscordDesk


OFFER = "Shall I open an incident for this? You'll get updates right here."
OPENING = "Opening an incident…"
ALREADY = "I already opened an incident for that message."
INTAKE_KEY = "intake:{message_id}"  # one incident per DM, however it is accepted
NO_PINGS = discord.AllowedMentions.none()

log = logging.getLogger(__name__)


class Intake:
    """Turns direct messages into incidents, when the person says so."""

    def __init__(self, desk: DiscordDesk) -> None:
        self.desk = desk

    async def on_message(self, message: discord.Message) -> None:
        """A DM from a person: run it if it is a command, otherwise offer an incident."""
        if message.author.bot or message.guild is not None or not message.content.strip():
            return
        text = message.content.strip()
        warning = None
        if needs_screening(text):
            warning = await self.desk.pipeline.run(
                screen, self.desk.runtime.dispatcher, identity_of(message.author), text
            )
        if warning:  # a reset code typed in chat: that reset is void, and they are told why
            await message.channel.send(warning, allowed_mentions=NO_PINGS)
            return
        if not text.startswith("/") and understand(text, COMMANDS).kind == "password":
            text = "/desk password"  # "I forgot my password": the reset, not an incident
        word = text.split()[0].lstrip("/").lower()
        if text.startswith("/") and word in COMMANDS:
            # Typed rather than picked from the slash-command menu: same grammar, same reply.
            payload = {
                "text": text,
                "user": user_data(message.author),
                "channel_id": str(message.channel.id),
            }
            pipeline = self.desk.pipeline
            work = await pipeline.accept("dm_command", f"message:{message.id}", payload)
            if work is not None:  # None: a message seen before (a resumed gateway session)
                await pipeline.perform(work)
            return
        quote = discord.Embed(description=text[:4000]).set_footer(text="Your message")
        hint = catalogue_hint(self.desk.runtime.policy, text)
        await message.channel.send(
            f"{hint}\n{OFFER}" if hint else OFFER,
            embed=quote,
            view=offer_buttons(str(message.id)),
            allowed_mentions=NO_PINGS,
        )

    async def press(self, interaction: discord.Interaction, action: str, message_id: str) -> None:
        """One of the offer's buttons."""
        quoted = _quoted_text(interaction.message)
        title, details = title_and_details(quoted)
        if action == "dismiss":
            await interaction.response.edit_message(
                content="OK, no incident. Message me any time.", view=None
            )
            return
        if action == "form":
            form = NewIncidentForm({"title": title, "description": details}, intake=message_id)
            await interaction.response.send_modal(form)
            return
        argv = grammar.build_argv("incident", "new", [title], {"description": details})
        await self.open(interaction, message_id, argv)

    async def open(
        self, interaction: discord.Interaction, message_id: str, argv: list[str]
    ) -> None:
        """Open the incident for DM `message_id` ("Open an incident", or the submitted form).

        The interaction comes from the offer (a button, or a form opened by one), so the first
        response edits the offer: its buttons go at once, and nobody presses twice.
        """
        await interaction.response.edit_message(content=OPENING, view=None)
        pipeline = self.desk.pipeline
        answered: list[str] = []

        async def open_incident(keep) -> None:
            try:
                reply = await pipeline.command(self.desk.identify(interaction), argv=argv)
            except Exception:
                await self._offer_again(interaction, message_id)
                raise  # the desk's guard logs it and tells the person, under the offer
            if reply.ok:
                keep()  # the incident exists: pressing again must not open a second one
            else:  # refused, or failed on the desk's side: nothing was opened
                await self._offer_again(interaction, message_id)
            answered.append(reply.text)

        if not await pipeline.once(INTAKE_KEY.format(message_id=message_id), open_incident):
            await self.desk.answer(interaction, ALREADY, edit_original=False, ephemeral=False)
            return
        if answered:
            await self.desk.answer(interaction, answered[0], edit_original=False, ephemeral=False)

    async def _offer_again(self, interaction: discord.Interaction, message_id: str) -> None:
        """Nothing was opened: put the buttons back, so a retry works (the key is given back
        by Pipeline.once when the work did not keep it)."""
        try:
            await interaction.edit_original_response(content=OFFER, view=offer_buttons(message_id))
        except discord.HTTPException as exc:
            log.warning("could not put the buttons back on a DM offer: %s", exc)


def offer_buttons(message_id: str) -> discord.ui.View | None:
    """Open an incident / Add details first / No, thanks, for DM `message_id`."""
    return layout(*(IntakeButton(a, message_id) for a in ("open", "form", "dismiss")))


def _quoted_text(message: discord.Message | None) -> str:
    if message is None or not message.embeds:
        return ""
    return message.embeds[0].description or ""
