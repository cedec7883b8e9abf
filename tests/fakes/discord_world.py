"""The fake Discord's world: one guild with roles, channels, members (and, if a test adds them,
other servers the bot is in); DMs, threads, messages, registered commands - plus builders for
interactions that happen in that world.

:class:`FakeDiscordWorld` is the base class of :class:`~discord_server.FakeDiscord`; it holds
plain JSON state (exactly what the REST API and gateway serve) and no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import discord_interactions as ix
from . import discord_payloads as p
from .discord_gateway import INTENT_GUILDS

JSON = dict[str, Any]


@dataclass
class InteractionRecord:
    """A dispatched interaction and how the bot answered it."""

    payload: JSON
    dispatched_at: float
    callback_type: int | None = None
    callback_data: JSON | None = None
    original_message_id: str | None = None
    followup_ids: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The interaction id."""
        return str(self.payload["id"])

    @property
    def token(self) -> str:
        """The interaction token."""
        return str(self.payload["token"])


class FakeDiscordWorld:
    """Guild "Service Desk" with #general and #service-desk (under the "Support" category),
    roles @everyone/Agents/<bot>, and users owner, alice (``agent``, an Agent) and bob
    (``requester``).  Ids are real-looking snowflakes; the bot user id equals ``app_id``.
    """

    def __init__(
        self, *, bot_name: str = "deskbot", guild_name: str = "Service Desk", app_flags: int = 0
    ) -> None:
        self.snowflakes = p.SnowflakeFactory(worker_id=3)
        sf = self.snowflakes.next

        # Modern apps: the bot user's id equals the application id.
        self.app_id = sf()
        self.app_flags = app_flags
        self.bot_user = p.current_user_payload(self.app_id, bot_name)
        self.users: dict[str, JSON] = {self.app_id: p.user_payload(self.app_id, bot_name, bot=True)}

        self.guild_id = sf()
        self.guild_name = guild_name
        self.role_ids: dict[str, str] = {"@everyone": self.guild_id, "Agents": sf(), bot_name: sf()}
        self.roles: dict[str, JSON] = {
            self.guild_id: p.role_payload(self.guild_id, "@everyone", permissions="1071698660929"),
            self.role_ids["Agents"]: p.role_payload(
                self.role_ids["Agents"],
                "Agents",
                permissions="1071698660929",
                position=1,
                color=0x3498DB,
            ),
            self.role_ids[bot_name]: p.role_payload(
                self.role_ids[bot_name],
                bot_name,
                permissions=p.DEFAULT_PERMISSIONS,
                position=2,
                managed=True,
                tags={"bot_id": self.app_id},
            ),
        }
        self.members: dict[str, JSON] = {}  # user id -> member (guild)
        self._add_member(self.app_id, roles=[self.role_ids[bot_name]])

        self.channels: dict[str, JSON] = {}
        self.channel_ids: dict[str, str] = {}
        category = p.category_channel_payload(sf(), self.guild_id, "Support", position=0)
        self._store_channel(category)
        self.add_text_channel("general", position=0)
        self.add_text_channel("service-desk", position=1, parent_id=category["id"])

        self.owner = self.add_user("owner", roles=["Agents"])
        #: A default human agent and a default requester, handy for interactions.
        self.agent = self.add_user("alice", roles=["Agents"])
        self.requester = self.add_user("bob")

        self.messages: dict[str, JSON] = {}
        self.dm_channels: dict[str, str] = {}  # recipient user id -> DM channel id
        self.interactions: dict[str, InteractionRecord] = {}
        self.commands: dict[str | None, list[JSON]] = {}
        self._command_ids: dict[tuple[str | None, str, int], str] = {}
        #: Other servers the bot is in: guild id -> {"name", "roles", "role_ids", "members"}.
        self.other_guilds: dict[str, JSON] = {}
        #: Permissions taken from the bot ("manage_channels", "manage_roles", "pin_messages").
        self.bot_denied: set[str] = set()
        self.thread_members: dict[str, set[str]] = {}  # thread id -> user ids added

    # ------------------------------------------------------------------ world state

    def add_user(self, username: str, *, roles: Iterable[str] = (), in_guild: bool = True) -> JSON:
        """Create a human user (and guild member with the named roles) and return the user object."""
        user = p.user_payload(self.snowflakes.next(), username)
        self.users[user["id"]] = user
        if in_guild:
            self._add_member(user["id"], roles=[self.role_ids.get(r, r) for r in roles])
        return user

    def add_guild(
        self, name: str, *, roles: Iterable[str] = (), channels: Iterable[str] = ("lobby",)
    ) -> str:
        """Another server the bot is in (someone else's); returns its id.

        Its roles may have the same names as this guild's (anyone can name a role anything);
        its channels are stored like any other (``channel_ids[name]``). Add people with
        :meth:`add_guild_member`, then dispatch :meth:`other_guild_create` as GUILD_CREATE.
        """
        guild_id = self.snowflakes.next()
        role_ids = {"@everyone": guild_id}
        role_payloads = {guild_id: p.role_payload(guild_id, "@everyone")}
        for position, role_name in enumerate(roles, start=1):
            role_id = self.snowflakes.next()
            role_ids[role_name] = role_id
            role_payloads[role_id] = p.role_payload(role_id, role_name, position=position)
        self.other_guilds[guild_id] = {
            "name": name,
            "roles": role_payloads,
            "role_ids": role_ids,
            "members": {self.app_id: p.member_payload(self.users[self.app_id])},
        }
        for channel_name in channels:
            self._store_channel(
                p.text_channel_payload(self.snowflakes.next(), guild_id, channel_name)
            )
        return guild_id

    def add_guild_member(self, guild_id: str, user: JSON, *, roles: Iterable[str] = ()) -> None:
        """Make ``user`` a member of another server, with roles named as in that server."""
        guild = self.other_guilds[guild_id]
        guild["members"][user["id"]] = p.member_payload(
            user, roles=[guild["role_ids"].get(r, r) for r in roles]
        )

    def other_guild_create(self, guild_id: str) -> JSON:
        """The GUILD_CREATE ``d`` of another server (as when the bot is added to it)."""
        guild = self.other_guilds[guild_id]
        channels = [c for c in self.channels.values() if c.get("guild_id") == guild_id]
        return p.guild_create_payload(
            guild_id,
            guild["name"],
            owner_id=next((u for u in guild["members"] if u != self.app_id), self.owner["id"]),
            roles=list(guild["roles"].values()),
            channels=channels,
            members=[guild["members"][self.app_id]],
            member_count=len(guild["members"]),
        )

    def add_text_channel(
        self,
        name: str,
        *,
        position: int = 0,
        parent_id: str | None = None,
        topic: str | None = None,
    ) -> JSON:
        """Create a guild text channel; ``channel_ids[name]`` gives its id."""
        channel = p.text_channel_payload(
            self.snowflakes.next(),
            self.guild_id,
            name,
            position=position,
            parent_id=parent_id,
            topic=topic,
        )
        self._store_channel(channel)
        return channel

    def add_category(self, name: str, *, position: int = 0) -> JSON:
        """Create a guild category (type 4); ``channel_ids[name]`` gives its id."""
        category = p.category_channel_payload(
            self.snowflakes.next(), self.guild_id, name, position=position
        )
        self._store_channel(category)
        return category

    def user_by_name(self, username: str) -> JSON:
        """Look a user up by username."""
        return next(u for u in self.users.values() if u["username"] == username)

    def channel(self, name_or_id: str) -> JSON:
        """A channel by name (guild channels) or id."""
        return (
            self.channels.get(self.channel_ids.get(name_or_id, name_or_id))
            or self.channels[name_or_id]
        )

    def messages_in(self, channel_id: str) -> list[JSON]:
        """Stored messages in a channel, oldest first."""
        return sorted(
            (m for m in self.messages.values() if m["channel_id"] == str(channel_id)),
            key=lambda m: int(m["id"]),
        )

    def command_id(self, name: str, *, guild_id: str | None = None, command_type: int = 1) -> str:
        """The id Discord assigned (or will assign) to a command; stable across re-syncs."""
        key = (str(guild_id) if guild_id else None, name, command_type)
        if key not in self._command_ids:
            self._command_ids[key] = self.snowflakes.next()
        return self._command_ids[key]

    def _member(self, guild_id: str | None, user_id: str) -> JSON | None:
        if guild_id is not None and guild_id in self.other_guilds:
            return self.other_guilds[guild_id]["members"].get(user_id)
        return self.members.get(user_id)

    def _add_member(self, user_id: str, *, roles: Sequence[str]) -> None:
        self.members[user_id] = p.member_payload(self.users[user_id], roles=roles)

    def _store_channel(self, channel: JSON) -> None:
        self.channels[channel["id"]] = channel
        if (
            channel.get("guild_id")
            and channel.get("name")
            and channel["type"] in (p.CHANNEL_GUILD_TEXT, p.CHANNEL_GUILD_CATEGORY)
        ):
            self.channel_ids[channel["name"]] = channel["id"]

    def _guild_payload(self, *, include_all_members: bool) -> JSON:
        members = (
            list(self.members.values()) if include_all_members else [self.members[self.app_id]]
        )
        threads = [
            c
            for c in self.channels.values()
            if c["type"] in (p.CHANNEL_PUBLIC_THREAD, p.CHANNEL_PRIVATE_THREAD)
        ]
        channels = [c for c in self.channels.values() if c.get("guild_id") and c not in threads]
        return p.guild_create_payload(
            self.guild_id,
            self.guild_name,
            owner_id=self.owner["id"],
            roles=list(self.roles.values()),
            channels=channels,
            members=members,
            threads=threads,
            member_count=len(self.members),
        )

    @property
    def resume_gateway_url(self) -> str:
        """Advertised in READY; provided by the server subclass."""
        raise NotImplementedError

    # Hooks used by the gateway --------------------------------------------------------

    def _ready_payload(self, session_id: str, *, shard: list[int] | None = None) -> JSON:
        data: JSON = {
            "v": 10,
            "user": self.bot_user,
            "user_settings": {},
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "session_id": session_id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "relationships": [],
            "private_channels": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east", "us-central"],
            "auth": {},
            "application": {"id": self.app_id, "flags": self.app_flags},
            "_trace": ["fake-gateway"],
        }
        if shard is not None:
            data["shard"] = shard
        return data

    def _guild_create_payloads(self, intents: int) -> list[JSON]:
        # GUILD_CREATE belongs to the GUILDS intent; like Discord, only the bot's own member
        # is included - the full list comes from REQUEST_GUILD_MEMBERS chunking.
        if not intents & INTENT_GUILDS:
            return []
        return [self._guild_payload(include_all_members=False)]

    def _members_for_chunk(
        self, guild_id: str, *, query: str, limit: int, user_ids: Sequence[str] | None
    ) -> list[JSON]:
        if guild_id != self.guild_id:
            return []
        members = list(self.members.values())
        if user_ids:
            wanted = {str(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
            members = [m for m in members if m["user"]["id"] in wanted]
        elif query:
            members = [
                m for m in members if m["user"]["username"].lower().startswith(query.lower())
            ]
        return members[:limit] if limit else members

    # ------------------------------------------------------------------ interactions

    def _where(
        self, channel: str | Mapping[str, Any] | None, dm_user: JSON | None
    ) -> tuple[JSON, str | None]:
        if dm_user is not None:
            return self._dm_channel_for(dm_user["id"]), None
        if channel is None:
            chan = self.channel("service-desk")
        elif isinstance(channel, Mapping):
            chan = dict(channel)
        else:
            chan = self.channel(channel)
        return chan, chan.get("guild_id")

    def _dm_channel_for(self, user_id: str) -> JSON:
        if user_id not in self.dm_channels:
            chan = p.dm_channel_payload(self.snowflakes.next(), self.users[user_id])
            self.channels[chan["id"]] = chan
            self.dm_channels[user_id] = chan["id"]
        return self.channels[self.dm_channels[user_id]]

    def _interaction(
        self,
        kind: int,
        data: JSON,
        *,
        user: JSON | None,
        channel: Any,
        dm: bool,
        message: JSON | None = None,
        locale: str = "en-US",
    ) -> JSON:
        user = user or self.agent
        chan, guild_id = self._where(channel, user if dm else None)
        member = self._member(guild_id, user["id"])
        return ix.interaction_payload(
            kind,
            data,
            app_id=self.app_id,
            user=user,
            channel=chan,
            guild_id=guild_id,
            member_roles=member["roles"] if member else (),
            member_joined_at=member["joined_at"] if member else None,
            message=message,
            locale=locale,
            interaction_id=self.snowflakes.next(),
        )

    def command_interaction(
        self,
        name: str,
        options: Sequence[JSON] = (),
        *,
        user: JSON | None = None,
        channel: Any = None,
        dm: bool = False,
        command_guild_id: str | None = None,
        resolved: JSON | None = None,
        locale: str = "en-US",
    ) -> JSON:
        """APPLICATION_COMMAND (type 2) for ``/name``; nest ``ix.subcommand(...)``/``ix.option(...)``.

        Default invoker is ``self.agent`` in #service-desk; ``dm=True`` invokes from the user's DM.
        ``command_guild_id`` only for commands synced to a guild (not global ones).
        """
        data = ix.application_command_data(
            name,
            self.command_id(name, guild_id=command_guild_id),
            options=options,
            command_guild_id=command_guild_id,
            resolved=resolved,
        )
        return self._interaction(
            ix.INTERACTION_APPLICATION_COMMAND,
            data,
            user=user,
            channel=channel,
            dm=dm,
            locale=locale,
        )

    def message_command_interaction(
        self, name: str, message: JSON | str, *, user: JSON | None = None
    ) -> JSON:
        """APPLICATION_COMMAND (type 2) of a message command (type 3) used on ``message`` (a
        stored message id, or a message dict), in the message's channel: ``data.target_id``
        and ``data.resolved.messages`` carry the message, content included."""
        msg = self.messages[message] if isinstance(message, str) else dict(message)
        data = ix.application_command_data(
            name,
            self.command_id(name, command_type=ix.COMMAND_MESSAGE),
            resolved={"messages": {msg["id"]: msg}},
            command_type=ix.COMMAND_MESSAGE,
        )
        data["target_id"] = msg["id"]
        return self._interaction(
            ix.INTERACTION_APPLICATION_COMMAND,
            data,
            user=user,
            channel=self.channels.get(msg["channel_id"]),
            dm=False,
        )

    def autocomplete_interaction(
        self,
        name: str,
        options: Sequence[JSON],
        *,
        user: JSON | None = None,
        channel: Any = None,
        dm: bool = False,
        command_guild_id: str | None = None,
    ) -> JSON:
        """APPLICATION_COMMAND_AUTOCOMPLETE (type 4); exactly one leaf option should have ``focused=True``."""
        data = ix.application_command_data(
            name,
            self.command_id(name, guild_id=command_guild_id),
            options=options,
            command_guild_id=command_guild_id,
        )
        return self._interaction(
            ix.INTERACTION_AUTOCOMPLETE, data, user=user, channel=channel, dm=dm
        )

    def button_interaction(
        self,
        custom_id: str,
        *,
        message: JSON | str | None = None,
        user: JSON | None = None,
        channel: Any = None,
        dm: bool = False,
        component_type: int = ix.COMPONENT_BUTTON,
        values: Sequence[str] | None = None,
    ) -> JSON:
        """MESSAGE_COMPONENT (type 3) for a click on ``custom_id``.

        ``message`` may be a stored message id, a message dict, or None - then a bot message
        carrying that button is synthesised (and stored) in the target channel.
        """
        chan, _ = self._where(channel, (user or self.agent) if dm else None)
        if isinstance(message, str):
            msg = self.messages[message]
        elif message is None:
            msg = ix.message_payload(
                self.snowflakes.next(),
                chan["id"],
                self.users[self.app_id],
                "",
                components=[ix.action_row(ix.button_component(custom_id))],
                application_id=self.app_id,
            )
            self.messages[msg["id"]] = msg
        else:
            msg = dict(message)
        data = ix.component_data(custom_id, component_type=component_type, values=values)
        return self._interaction(
            ix.INTERACTION_MESSAGE_COMPONENT, data, user=user, channel=chan, dm=False, message=msg
        )

    def modal_submit_interaction(
        self,
        custom_id: str,
        components: Sequence[JSON],
        *,
        user: JSON | None = None,
        channel: Any = None,
        dm: bool = False,
        message: JSON | None = None,
    ) -> JSON:
        """MODAL_SUBMIT (type 5); ``components`` from ``ix.text_input_row``/``ix.text_input_label``.

        Usually easier: :meth:`modal_submit_for` mirrors the modal the bot actually sent.
        """
        return self._interaction(
            ix.INTERACTION_MODAL_SUBMIT,
            ix.modal_submit_data(custom_id, components),
            user=user,
            channel=channel,
            dm=dm,
            message=message,
        )

    def modal_submit_for(
        self, opened_by: InteractionRecord, values: Mapping[str, str], *, user: JSON | None = None
    ) -> JSON:
        """Submit the modal the bot opened (type-9 callback) on ``opened_by``, filling ``values`` by custom_id."""
        if opened_by.callback_type != ix.CALLBACK_MODAL or opened_by.callback_data is None:
            raise ValueError("that interaction was not answered with a modal")
        modal = opened_by.callback_data
        original = opened_by.payload
        submit = self.modal_submit_interaction(
            modal["custom_id"],
            ix.modal_submit_components(modal.get("components", []), values),
            user=user or original.get("member", {}).get("user") or original.get("user"),
            channel=self.channels.get(original["channel_id"]) or original["channel"],
            message=original.get("message"),
        )
        return submit

    def user_message_create(
        self, content: str, *, author: JSON | None = None, channel: Any = None, dm: bool = False
    ) -> JSON:
        """A MESSAGE_CREATE ``d`` from a human (store it and dispatch it with ``gateway.dispatch``)."""
        author = author or self.requester
        chan, guild_id = self._where(channel, author if dm else None)
        msg = ix.message_payload(self.snowflakes.next(), chan["id"], author, content)
        self.messages[msg["id"]] = msg
        data = dict(msg)
        if guild_id:
            data["guild_id"] = guild_id
            member = self.members.get(author["id"])
            if member:
                data["member"] = {k: v for k, v in member.items() if k != "user"}
        return data
