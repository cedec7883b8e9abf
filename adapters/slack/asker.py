"""Who asked and where: the one place that shows a reply, error or refusal to the asker."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.errors import slack_error
from adapters.slack.mrkdwn import chunks, escape

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asker:
    """A person who is waiting for an answer, and how to reach them privately."""

    user_id: str
    channel_id: str | None = None  # where they acted (a channel or DM), if anywhere
    response_url: str | None = None  # Slack's reply hook for this interaction (30 minutes)
    home: bool = False  # they acted on their App Home tab

    def to_metadata(self) -> dict:
        """The asker as JSON-able data, to ride along in a modal's private_metadata."""
        return {k: v for k, v in asdict(self).items() if v not in (None, False)}

    @classmethod
    def from_metadata(cls, data: dict, user_id: str) -> Asker:
        """Rebuild an asker saved by to_metadata (the submitting user is authoritative)."""
        return cls(
            user_id=user_id,
            channel_id=data.get("channel_id"),
            response_url=data.get("response_url"),
            home=bool(data.get("home")),
        )


HomeNotice = Callable[[Asker, str], Awaitable[None]]


def reply_blocks(text: str) -> list[dict]:
    """Reply text as plain-text sections: no formatting surprises, no accidental mentions."""
    return [
        {"type": "section", "text": {"type": "plain_text", "text": piece, "emoji": True}}
        for piece in chunks(text)
    ][:50]


class Replies:
    """Shows replies: ephemeral where the person acted, on their Home tab, or else by DM."""

    def __init__(self, client: AsyncWebClient, home_notice: HomeNotice | None = None) -> None:
        self.client = client
        self.home_notice = home_notice

    async def tell(self, asker: Asker, text: str) -> None:
        """Show `text` to the asker only: what the channel sees is the card and its thread."""
        if asker.home and self.home_notice is not None:
            await self.home_notice(asker, text)
            return
        blocks, fallback = reply_blocks(text), escape(text)[:3000]
        if asker.response_url and await self._respond(asker.response_url, fallback, blocks):
            return
        if asker.channel_id:
            try:
                await self.client.chat_postEphemeral(
                    channel=asker.channel_id, user=asker.user_id, text=fallback, blocks=blocks
                )
                return
            except SlackApiError as exc:
                log.info("slack: ephemeral reply failed (%s); sending a DM", slack_error(exc))
        await self.client.chat_postMessage(channel=asker.user_id, text=fallback, blocks=blocks)

    async def _respond(self, url: str, text: str, blocks: list[dict]) -> bool:
        try:
            session = getattr(self.client, "pooled_session", None)
            hook = AsyncWebhookClient(url, timeout=10, session=session() if session else None)
            response = await hook.send(
                text=text, blocks=blocks, replace_original=False, response_type="ephemeral"
            )
        except Exception as exc:  # an expired or unreachable hook: fall back to the Web API
            log.info("slack: response_url failed (%s); falling back", type(exc).__name__)
            return False
        return response.status_code == 200


def dump_metadata(data: dict) -> str:
    """private_metadata is a string of at most 3000 characters."""
    text = json.dumps(data, separators=(",", ":"))
    if len(text) > 3000:  # a response_url is the only long part; without it we DM instead
        data = {k: v for k, v in data.items() if k != "asker"} | {
            "asker": {k: v for k, v in data.get("asker", {}).items() if k != "response_url"}
        }
        text = json.dumps(data, separators=(",", ":"))
    return text
