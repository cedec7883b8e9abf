"""Slack users as desk people: who is asking (users.info, cached) and how to mention someone."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import slack_error
from adapters.slack.mrkdwn import escape
from bot.identity import PlatformIdentity, has_account, platform_ids

log = logging.getLogger(__name__)

IDENTITY_TTL = 3600.0


class SlackUnavailable(Exception):
    """Slack could not tell us who a user is right now (rate limit, outage)."""

    message = "I couldn't reach Slack to look you up just now; please try again in a minute."


class SlackPeople:
    """Turns Slack user ids into identities, and desk names into <@U…> mentions."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        database,
        ttl: float = IDENTITY_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.database = database
        self.ttl = ttl
        self.clock = clock
        self._identities: dict[str, tuple[float, PlatformIdentity]] = {}
        self._slack_ids: dict[str, str] = {}

    async def identity(self, user_id: str, username: str | None = None) -> PlatformIdentity:
        """The asker as the desk should see them; users.info only for users not mapped yet."""
        now = self.clock()
        cached = self._identities.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        if await asyncio.to_thread(self._is_mapped, user_id):
            # The domain finds a mapped user by id alone; no need to ask Slack.
            identity = PlatformIdentity("slack", user_id, display_name=username)
        else:
            identity = await self._from_slack(user_id, username)
        self._identities[user_id] = (now + self.ttl, identity)
        return identity

    async def _from_slack(self, user_id: str, username: str | None) -> PlatformIdentity:
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            if slack_error(exc) in ("user_not_found", "missing_scope"):
                log.warning(
                    "slack: users.info for a new user failed (%s); matching by id only",
                    slack_error(exc),
                )
                return PlatformIdentity("slack", user_id, display_name=username)
            # Guessing would map a configured person to a new employee for good: refuse instead.
            raise SlackUnavailable() from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise SlackUnavailable() from exc
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or username
        )
        return PlatformIdentity("slack", user_id, display_name=name, email=profile.get("email"))

    def _is_mapped(self, user_id: str) -> bool:
        return has_account(self.database, "slack", user_id)

    def mention(self, name: str) -> str:
        """<@U…> for a person with a Slack id, else @name (synchronous: call from a thread)."""
        slack_id = self._slack_ids.get(name)
        if slack_id is None:
            slack_id = platform_ids(self.database, "slack", [name]).get(name)
            if slack_id is None:
                return escape(f"@{name}")  # a person called "here" is no @here
            self._slack_ids[name] = slack_id  # ids are stable; unknown names are asked again
        return f"<@{slack_id}>"
