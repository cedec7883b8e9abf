"""The discord.py client: intents, command tree, persistent buttons, and DMs in."""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.commands import build_tree
from adapters.discord.views import DYNAMIC_ITEMS

# Long rate limits surface as RateLimited (the outbox retries later) instead of holding a
# delivery for minutes; 30 s is the smallest value discord.py accepts. Several shorter waits
# in a row can still add up: the sender cuts a delivery off at its own deadline (45 s).
MAX_RATELIMIT_WAIT = 30.0


def desk_intents() -> discord.Intents:
    """Only what deskbot uses: guilds (channels, roles) and DMs. No privileged intent."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    return intents


# deskbot never joins voice channels: spare operators discord.py's warnings about voice libraries.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class DeskClient(discord.Client):
    """A discord.Client with deskbot's commands; `desk` handles what people do (None: sync only)."""

    def __init__(
        self,
        *,
        desk: Any = None,
        guild_ready_timeout: float = 2.0,
        identify_delay: bool = True,
    ) -> None:
        super().__init__(
            intents=desk_intents(),
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
            # Nothing pings unless a message says whom: the outbox sender allows exactly the
            # people its templates mention, interaction replies ping nobody.
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.desk = desk
        self.identify_delay = identify_delay
        self.tree = build_tree(self)
        # For /readyz: a gateway session that is READY or RESUMED, not lost since. (The
        # client's is_ready() stays true across a reconnect.)
        self.session_live = False

    async def setup_hook(self) -> None:
        # Buttons and menus on every message deskbot ever posted keep working after a restart.
        self.add_dynamic_items(*DYNAMIC_ITEMS)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py waits 5 s before a re-IDENTIFY (Discord's identify rate limit); tests
        # against a local gateway turn that off.
        if self.identify_delay:
            await super().before_identify_hook(shard_id, initial=initial)

    async def on_ready(self) -> None:
        self.session_live = True

    async def on_resumed(self) -> None:
        self.session_live = True

    async def on_disconnect(self) -> None:
        self.session_live = False

    async def on_message(self, message: discord.Message) -> None:
        if self.desk is not None:
            await self.desk.on_message(message)
