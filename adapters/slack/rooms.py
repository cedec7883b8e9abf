"""Channels made at run time (a major incident's war room), through Slack's Web API.

Making a room is retried by the outbox until it is whole, so each step can be done again:
a name already taken by a channel this bot made is that room, half-made by an earlier
attempt (found with conversations.list); one taken by anyone else moves to `name-2`,
`name-3`…; people already in the room are not an error; neither is a room already archived.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import slack_error
from bot.outbox import PermanentFailure

log = logging.getLogger(__name__)

MAX_NAME = 80
MAX_TOPIC = 250  # Slack refuses a longer topic or purpose (too_long)
MAX_SUFFIX = 20  # name-2 … name-20, then give up: something else is wrong
# The bot may not make channels here: the app lacks the scope, or the workspace forbids it.
NOT_ALLOWED = frozenset({"missing_scope", "restricted_action", "no_permission"})
# An invite that failed for one person (with force=true, the others are still invited).
PER_PERSON = frozenset(
    {
        "user_not_found",
        "user_is_restricted",
        "user_is_ultra_restricted",
        "user_disabled",
        "cant_invite",
        "cant_invite_self",
        "already_in_channel",
        "ura_max_channels",
        "not_allowed",
    }
)
# What people read about an invite that failed.
WHY_NOT = {
    "user_not_found": "Slack does not know their account",
    "user_disabled": "their account is deactivated",
    "user_is_restricted": "guests cannot be invited here",
    "user_is_ultra_restricted": "single-channel guests cannot be invited",
    "ura_max_channels": "their guest account is in as many channels as it may be",
    "cant_invite": "Slack would not let me invite them",
}


class RoomsNotAllowed(Exception):
    """The bot may not make channels in this workspace (`error`: Slack's reason)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class Refused:
    """One person who could not be invited, and Slack's reason."""

    user_id: str
    error: str

    @property
    def why(self) -> str:
        return WHY_NOT.get(self.error, f"Slack said {self.error}")


class SlackRooms:
    """Make, describe, fill and archive channels; pin posts; attach files."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._bot_user_id: str | None = None
        # Channels `make` found made by an earlier attempt (their first post may be there).
        self.completed: set[str] = set()

    async def make(self, name: str, *, private: bool = False) -> str:
        """The id of the channel `name` (or `name-N`) this bot made, made now if need be.

        Raises RoomsNotAllowed when the bot may not make channels.
        """
        for n in range(1, MAX_SUFFIX + 1):
            candidate = name if n == 1 else f"{name[: MAX_NAME - len(str(n)) - 1]}-{n}"
            try:
                response = await self.client.conversations_create(
                    name=candidate, is_private=private
                )
                return str(response["channel"]["id"])
            except SlackApiError as exc:
                error = slack_error(exc)
                if error in NOT_ALLOWED:
                    raise RoomsNotAllowed(error or "not allowed") from exc
                if error != "name_taken":
                    raise
            ours = await self._ours(candidate)
            if ours is not None:
                log.info("slack: channel %s (%s) was made before; completing it", candidate, ours)
                self.completed.add(ours)
                return ours
        raise PermanentFailure(f"channel names {name} to {name}-{MAX_SUFFIX} are all taken")

    async def _ours(self, name: str) -> str | None:
        """The open channel called `name` if this bot made it (else None)."""
        me = await self.bot_user_id()
        cursor = None
        while True:
            page = await self.client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=1000,
                cursor=cursor,
            )
            for channel in page.get("channels") or []:
                if channel.get("name") == name:
                    return str(channel["id"]) if channel.get("creator") == me else None
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    async def first_post(self, channel: str) -> str | None:
        """The ts of this bot's oldest message among the channel's latest, if it posted."""
        me = await self.bot_user_id()
        response = await self.client.conversations_history(channel=channel, limit=50)
        mine = [m for m in response.get("messages") or [] if m.get("user") == me]
        return str(mine[-1]["ts"]) if mine else None

    async def bot_user_id(self) -> str:
        """The bot's own user id (auth.test, asked once)."""
        if self._bot_user_id is None:
            self._bot_user_id = str((await self.client.auth_test())["user_id"])
        return self._bot_user_id

    async def invite(self, channel: str, user_ids: list[str]) -> list[Refused]:
        """Invite everyone who can be; return who could not be, and why."""
        if not user_ids:
            return []
        try:
            response = await self.client.conversations_invite(
                channel=channel, users=",".join(user_ids), force=True
            )
            errors = response.get("errors") or []
        except SlackApiError as exc:
            error = slack_error(exc)
            if error not in PER_PERSON:
                raise
            data = getattr(exc.response, "data", None) or {}
            errors = data.get("errors") or []
            if not errors:
                if len(user_ids) > 1:  # who it was is not said: one at a time, then
                    return [r for user in user_ids for r in await self.invite(channel, [user])]
                errors = [{"user": user_ids[0], "error": error}]
        refused = [Refused(str(e.get("user", "")), str(e.get("error", ""))) for e in errors]
        # Already in the room (an earlier attempt) or the bot itself: nothing went wrong.
        return [r for r in refused if r.error not in ("already_in_channel", "cant_invite_self")]

    async def describe(self, channel: str, *, topic: str, purpose: str) -> None:
        """Set the channel's topic and purpose."""
        if topic:
            await self.client.conversations_setTopic(channel=channel, topic=topic[:MAX_TOPIC])
        if purpose:
            await self.client.conversations_setPurpose(channel=channel, purpose=purpose[:MAX_TOPIC])

    async def archive(self, channel: str) -> None:
        """Archive the channel (already archived counts as done)."""
        try:
            await self.client.conversations_archive(channel=channel)
        except SlackApiError as exc:
            if slack_error(exc) != "already_archived":
                raise

    async def pin(self, channel: str, ts: str) -> None:
        """Pin a post; a pin that fails is logged, never retried (the post is what matters)."""
        try:
            await self.client.pins_add(channel=channel, timestamp=ts)
        except SlackApiError as exc:
            if slack_error(exc) != "already_pinned":
                log.warning(
                    "slack: could not pin %s in %s (%s)", ts, channel, slack_error(exc) or "?"
                )

    async def attach(
        self,
        channel: str,
        *,
        filename: str,
        content: str,
        comment: str,
        thread_ts: str | None = None,
    ) -> str:
        """Post `comment` with `content` attached as `filename` (files_upload_v2); its ref."""
        response = await self.client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            filename=filename,
            title=filename,
            content=content,
            initial_comment=comment,
        )
        file = response.get("file") or (response.get("files") or [{}])[0]
        shares = file.get("shares") or {}
        for kind in ("public", "private"):
            posts = (shares.get(kind) or {}).get(channel) or []
            if posts:
                return f"{channel}:{posts[0]['ts']}"
        # Slack shares a file a moment later; until then the file is what can be referred to.
        return f"{channel}:{file.get('id', '')}"
