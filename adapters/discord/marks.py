"""The "Add to timeline" message command: a war-room message marked on its major incident's
timeline (a second use takes it off again).

Discord sends the message itself with the interaction (in `data`, as the command's target),
so neither the Message Content intent nor a REST read is needed. What the job needs is
stored with the interaction, as for every other one, so it can be done after a crash.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters.discord.people import identity_from
from bot import chat_marks
from bot.identity import PlatformIdentity
from bot.inbound_work import Work

if TYPE_CHECKING:
    from adapters.discord.desk import DiscordDesk

ADD_TO_TIMELINE = "Add to timeline"
JOB = "mark"


def timeline_command() -> app_commands.ContextMenu:
    """The message context-menu command (application command type 3)."""

    async def add_to_timeline(interaction: discord.Interaction, message: discord.Message) -> None:
        desk = getattr(interaction.client, "desk", None)
        if desk is not None:
            await desk.mark(interaction, message)

    return app_commands.ContextMenu(name=ADD_TO_TIMELINE, callback=add_to_timeline)


def marked_message(message: discord.Message) -> dict[str, Any]:
    """The marked message (discord.py reads it from the interaction's resolved data), as
    stored with the interaction."""
    author = message.author
    return {
        "room": str(message.channel.id),
        "message_id": str(message.id),
        "author_id": "" if author.bot or message.webhook_id else str(author.id),
        "author_name": author.display_name,
        "at": message.created_at.isoformat(),
        "text": message.content or "",
    }


def chat_message(stored: dict[str, Any]) -> chat_marks.ChatMessage:
    """The stored message as bot/chat_marks.py reads it."""
    at = datetime.fromisoformat(stored["at"])
    return chat_marks.ChatMessage(
        platform="discord",
        room=stored["room"],
        message_id=stored["message_id"],
        author_id=stored["author_id"],
        author_name=stored["author_name"],
        at=at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC),
        text=stored["text"],
    )


class Marks:
    """Runs "Add to timeline" through the desk's pipeline; answers only the person who used it."""

    def __init__(self, desk: DiscordDesk) -> None:
        self.desk = desk

    def payload(self, message: discord.Message) -> dict[str, Any]:
        return {"message": marked_message(message)}

    async def job(self, work: Work) -> None:
        """Mark (or unmark) the stored message, once per interaction, and say what happened."""
        identity = identity_from(work.payload["user"])

        async def identify() -> PlatformIdentity:
            return identity

        message = chat_message(work.payload["message"])
        reply = await self.desk.pipeline.act(
            identify, chat_marks.mark(message, "toggle"), delivery=work.delivery
        )
        if reply.duplicate and not work.replay:
            return
        await self.desk.answer_work(work, reply.text)
