"""Where discord.py connects: DISCORD_API_URL (REST base) and DISCORD_GATEWAY_URL (gateway).

Both are process-wide class attributes in discord.py. A non-sharded client never asks the REST
API for the gateway URL, so tests against a local server need both.
"""

from __future__ import annotations

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.settings import Settings

DISCORD_API_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"


def api_url(settings: Settings) -> str:
    """The REST base URL, including /api/v10 and without a trailing slash."""
    return (settings.discord_api_url or DISCORD_API_URL).rstrip("/")


def gateway_url(settings: Settings) -> yarl.URL:
    """The gateway URL a fresh connection (IDENTIFY) opens; resumes go where READY says."""
    return yarl.URL(settings.discord_gateway_url or DISCORD_GATEWAY_URL)


def apply_endpoints(settings: Settings) -> None:
    """Point discord.py's REST and gateway at the configured (or Discord's own) URLs."""
    Route.BASE = api_url(settings)
    DiscordWebSocket.DEFAULT_GATEWAY = gateway_url(settings)
