"""Conversations: a DM to the bot, in the person's own words, offered as an incident.

The offer quotes the message in an embed and carries its id in the buttons' custom ids, so it
can be accepted after a restart without any state in this process. Updates on the incident
then arrive in the same DM (the outbox sends a person's notifications there).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord

from adapters.discord.modals import NewIncidentForm
from adapters.discord.people import identity_of
from adapters.discord.render import chunks
from adapters.discord.views import IntakeButton, layout
from bot import grammar
from bot.inbound import first_delivery

if TYPE_CHECKING:
    from adapters.discord.desk import DiscordDesk

OFFER = "Shall I open an incident for this? You'll get updates right here."
MAX_TITLE = 200
NO_PINGS = discord.AllowedMentions.none()


def title_and_details(text: str) -> tuple[str, str]:
    """A title from the first line (cut at a word), and the whole text when there is more."""
    first = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    title = first.strip() or "Help needed"
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1].rsplit(" ", 1)[0] + "…"
    details = text.strip() if text.strip() != title else ""
    return title, details


class Intake:
    """Turns direct messages into incidents, when the person says so."""

    def __init__(self, desk: DiscordDesk) -> None:
        self.desk = desk

    async def on_message(self, message: discord.Message) -> None:
        """A DM from a person: run it if it is a command, otherwise offer an incident."""
        if message.author.bot or message.guild is not None or not message.content.strip():
            return
        text = message.content.strip()
        word = text.split()[0].lstrip("/").lower()
        if text.startswith("/") and word in grammar.COMMANDS:
            # Typed rather than picked from the slash-command menu: same grammar, same reply.
            identity = identity_of(message.author)
            dispatcher = self.desk.runtime.dispatcher
            reply = await asyncio.to_thread(dispatcher.execute, identity, text)
            for part in chunks(reply.text):
                await message.channel.send(part, allowed_mentions=NO_PINGS)
            return
        quote = discord.Embed(description=text[:4000]).set_footer(text="Your message")
        buttons = layout(*(IntakeButton(a, str(message.id)) for a in ("open", "form", "dismiss")))
        await message.channel.send(OFFER, embed=quote, view=buttons, allowed_mentions=NO_PINGS)

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
            await interaction.response.send_modal(
                NewIncidentForm({"title": title, "description": details})
            )
            return
        await interaction.response.edit_message(content="Opening an incident…", view=None)
        runtime = self.desk.runtime
        first = await asyncio.to_thread(
            first_delivery, runtime.database, runtime.clock, "discord-intake", message_id
        )
        if not first:
            text = "I already opened an incident for that message."
        else:
            argv = grammar.build_argv("incident", "new", [title], {"description": details})
            identity = identity_of(interaction.user)
            reply = await asyncio.to_thread(runtime.dispatcher.execute_argv, identity, argv)
            text = reply.text
        await self.desk.answer(interaction, text, edit_original=False, ephemeral=False)


def _quoted_text(message: discord.Message | None) -> str:
    if message is None or not message.embeds:
        return ""
    return message.embeds[0].description or ""
