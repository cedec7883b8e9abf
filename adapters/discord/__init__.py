"""Discord: application commands, buttons, forms, threads and DMs, on discord.py."""

from adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
