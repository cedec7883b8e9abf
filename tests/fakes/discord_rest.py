"""REST routes of the fake Discord (API v10): identity, gateway info, application commands,
interaction callbacks and webhooks, channels, messages, threads and DMs.

Plumbing (recording, auth, faults, exact JSON content type) lives in :mod:`discord_http`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import discord_interactions as ix
from . import discord_payloads as p
from .discord_guild_rest import add_guild_routes
from .discord_http import (
    API_PREFIX,
    BODY_KEY,
    error_response,
    json_response,
    make_middleware,
    no_content,
    truthy,
)

if TYPE_CHECKING:
    from .discord_server import FakeDiscord
    from .discord_world import InteractionRecord

JSON = dict[str, Any]


def build_rest_app(fake: FakeDiscord) -> web.Application:
    """The aiohttp application serving the REST API under ``/api/v10``."""
    rest = _Rest(fake)
    app = web.Application(middlewares=[make_middleware(fake)], client_max_size=64 * 1024 * 1024)
    r = app.router
    a = API_PREFIX
    r.add_get(a + "/users/@me", rest.get_me)
    r.add_get(a + "/users/{user_id}", rest.get_user)
    r.add_get(a + "/oauth2/applications/@me", rest.get_application)
    r.add_get(a + "/gateway", rest.get_gateway)
    r.add_get(a + "/gateway/bot", rest.get_gateway_bot)
    r.add_get(a + "/applications/{app_id}/commands", rest.get_commands)
    r.add_put(a + "/applications/{app_id}/commands", rest.put_commands)
    r.add_get(a + "/applications/{app_id}/guilds/{guild_id}/commands", rest.get_commands)
    r.add_put(a + "/applications/{app_id}/guilds/{guild_id}/commands", rest.put_commands)
    r.add_post(a + "/interactions/{interaction_id}/{token}/callback", rest.post_callback)
    r.add_post(a + "/webhooks/{app_id}/{token}", rest.post_followup)
    r.add_get(a + "/webhooks/{app_id}/{token}/messages/{message_id}", rest.get_webhook_message)
    r.add_patch(a + "/webhooks/{app_id}/{token}/messages/{message_id}", rest.patch_webhook_message)
    r.add_delete(
        a + "/webhooks/{app_id}/{token}/messages/{message_id}", rest.delete_webhook_message
    )
    r.add_get(a + "/channels/{channel_id}", rest.get_channel)
    r.add_get(a + "/channels/{channel_id}/messages", rest.list_messages)
    r.add_post(a + "/channels/{channel_id}/messages", rest.post_message)
    r.add_get(a + "/channels/{channel_id}/messages/{message_id}", rest.get_message)
    r.add_patch(a + "/channels/{channel_id}/messages/{message_id}", rest.patch_message)
    r.add_delete(a + "/channels/{channel_id}/messages/{message_id}", rest.delete_message)
    r.add_post(
        a + "/channels/{channel_id}/messages/{message_id}/threads", rest.post_thread_from_message
    )
    r.add_post(a + "/channels/{channel_id}/threads", rest.post_thread)
    r.add_post(a + "/users/@me/channels", rest.post_dm_channel)
    add_guild_routes(app, fake)  # channels made at run time, overwrites, pins
    return app


class _Rest:
    """Route handlers; all state lives on the owning FakeDiscord."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    # ------------------------------------------------------------------ identity / gateway

    async def get_me(self, request: web.Request) -> web.Response:
        return json_response(self.fake.bot_user)

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.fake.users.get(request.match_info["user_id"])
        return (
            json_response(user) if user is not None else error_response(404, "Unknown User", 10013)
        )

    async def get_application(self, request: web.Request) -> web.Response:
        f = self.fake
        return json_response(
            p.application_payload(
                f.app_id,
                f.bot_user["username"],
                bot=f.users[f.app_id],
                owner=f.owner,
                flags=f.app_flags,
            )
        )

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.fake.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}
        return json_response(
            {"url": self.fake.gateway_url, "shards": 1, "session_start_limit": limit}
        )

    # ------------------------------------------------------------------ application commands

    def _check_app(self, request: web.Request) -> web.Response | None:
        if request.match_info["app_id"] != self.fake.app_id:
            return error_response(404, "Unknown Application", 10002)
        return None

    async def get_commands(self, request: web.Request) -> web.Response:
        if (err := self._check_app(request)) is not None:
            return err
        return json_response(self.fake.commands.get(request.match_info.get("guild_id"), []))

    async def put_commands(self, request: web.Request) -> web.Response:
        """Bulk overwrite: replaces the whole set, echoing ids (stable per name, like Discord)."""
        if (err := self._check_app(request)) is not None:
            return err
        guild_id = request.match_info.get("guild_id")
        body = request[BODY_KEY]
        if not isinstance(body, list):
            return error_response(400, "Invalid Form Body", 50035)
        echoed = [
            p.echo_application_command(
                cmd,
                command_id=self.fake.command_id(
                    cmd["name"], guild_id=guild_id, command_type=cmd.get("type", 1)
                ),
                app_id=self.fake.app_id,
                guild_id=guild_id,
            )
            for cmd in body
        ]
        self.fake.commands[guild_id] = echoed
        return json_response(echoed)

    # ------------------------------------------------------------------ interactions

    def _record_by_token(self, token: str) -> InteractionRecord | None:
        return next((r for r in self.fake.interactions.values() if r.token == token), None)

    def _interaction_message(
        self, record: InteractionRecord, data: JSON, *, message_type: int | None = None
    ) -> JSON:
        """A message authored by the app's webhook in the interaction's channel."""
        f = self.fake
        inter = record.payload
        invoker = inter.get("member", {}).get("user") or inter.get("user")
        metadata: JSON = {
            "id": inter["id"],
            "type": inter["type"],
            "user": invoker,
            "authorizing_integration_owners": inter.get("authorizing_integration_owners", {}),
        }
        if inter["type"] == ix.INTERACTION_APPLICATION_COMMAND:
            metadata.update(
                {"name": inter["data"]["name"], "command_type": inter["data"].get("type", 1)}
            )
        if message_type is None:
            message_type = (
                ix.MESSAGE_CHAT_INPUT_COMMAND
                if inter["type"] == ix.INTERACTION_APPLICATION_COMMAND
                else ix.MESSAGE_DEFAULT
            )
        msg = ix.message_payload(
            f.snowflakes.next(),
            inter["channel_id"],
            f.users[f.app_id],
            data.get("content") or "",
            embeds=data.get("embeds") or (),
            components=data.get("components") or (),
            attachments=_attachments(data),
            flags=int(data.get("flags") or 0),
            message_type=message_type,
            webhook_id=f.app_id,
            application_id=f.app_id,
            interaction_metadata=metadata,
            tts=bool(data.get("tts")),
        )
        f.messages[msg["id"]] = msg
        return msg

    async def post_callback(self, request: web.Request) -> web.Response:
        """Initial response: must be the first, and within the deadline (else 10062/40060)."""
        f = self.fake
        record = f.interactions.get(request.match_info["interaction_id"])
        if record is None or record.token != request.match_info["token"]:
            return error_response(404, "Unknown interaction", 10062)
        if record.callback_type is not None:
            return error_response(400, "Interaction has already been acknowledged.", 40060)
        if asyncio.get_running_loop().time() - record.dispatched_at > f.interaction_deadline:
            return error_response(404, "Unknown interaction", 10062)
        body = request[BODY_KEY] or {}
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        record.callback_type, record.callback_data = kind, data
        message: JSON | None = None
        if kind == ix.CALLBACK_CHANNEL_MESSAGE:
            message = self._interaction_message(record, data)
            record.original_message_id = message["id"]
            if not message["flags"] & ix.FLAG_EPHEMERAL:
                await f._emit_message_event("MESSAGE_CREATE", message)
        elif kind == ix.CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            # "Bot is thinking...": a LOADING-flagged message, edited later via @original.
            message = self._interaction_message(
                record, {"flags": (int(data.get("flags") or 0) | ix.FLAG_LOADING)}
            )
            record.original_message_id = message["id"]
        elif kind == ix.CALLBACK_UPDATE_MESSAGE and record.payload.get("message"):
            target = f.messages.setdefault(
                record.payload["message"]["id"], dict(record.payload["message"])
            )
            _apply_edit(target, data)
            message = target
            record.original_message_id = target["id"]
        elif kind == ix.CALLBACK_DEFERRED_UPDATE_MESSAGE and record.payload.get("message"):
            record.original_message_id = record.payload["message"]["id"]
        f._notify()
        if not truthy(request.query.get("with_response")):
            return no_content()
        return json_response(
            ix.interaction_callback_response(record.payload, kind, message=message)
        )

    def _webhook_record(
        self, request: web.Request
    ) -> tuple[InteractionRecord | None, web.Response | None]:
        record = self._record_by_token(request.match_info["token"])
        if request.match_info["app_id"] != self.fake.app_id or record is None:
            return None, error_response(404, "Unknown Webhook", 10015)
        if record.callback_type is None:
            # The interaction webhook only exists once the interaction was acknowledged.
            return None, error_response(404, "Unknown Webhook", 10015)
        return record, None

    def _webhook_message_id(self, record: InteractionRecord, message_id: str) -> str | None:
        if message_id == "@original":
            return record.original_message_id
        allowed = {record.original_message_id, *record.followup_ids}
        return message_id if message_id in allowed else None

    async def post_followup(self, request: web.Request) -> web.Response:
        record, err = self._webhook_record(request)
        if err is not None:
            return err
        assert record is not None
        data = request[BODY_KEY] or {}
        if (bad := _validate_message_body(data, request)) is not None:
            return bad
        msg = self._interaction_message(record, data, message_type=ix.MESSAGE_DEFAULT)
        record.followup_ids.append(msg["id"])
        if not msg["flags"] & ix.FLAG_EPHEMERAL:
            await self.fake._emit_message_event("MESSAGE_CREATE", msg)
        return json_response(msg) if truthy(request.query.get("wait")) else no_content()

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        record, err = self._webhook_record(request)
        if err is not None:
            return err
        mid = self._webhook_message_id(record, request.match_info["message_id"])  # type: ignore[arg-type]
        if mid is None or mid not in self.fake.messages:
            return error_response(404, "Unknown Message", 10008)
        return json_response(self.fake.messages[mid])

    async def patch_webhook_message(self, request: web.Request) -> web.Response:
        record, err = self._webhook_record(request)
        if err is not None:
            return err
        mid = self._webhook_message_id(record, request.match_info["message_id"])  # type: ignore[arg-type]
        if mid is None or mid not in self.fake.messages:
            return error_response(404, "Unknown Message", 10008)
        msg = self.fake.messages[mid]
        msg["flags"] = int(msg.get("flags") or 0) & ~ix.FLAG_LOADING  # editing ends "thinking"
        _apply_edit(msg, request[BODY_KEY] or {})
        await self.fake._emit_message_event("MESSAGE_UPDATE", msg)
        return json_response(msg)

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        record, err = self._webhook_record(request)
        if err is not None:
            return err
        mid = self._webhook_message_id(record, request.match_info["message_id"])  # type: ignore[arg-type]
        if mid is None or self.fake.messages.pop(mid, None) is None:
            return error_response(404, "Unknown Message", 10008)
        return no_content()

    # ------------------------------------------------------------------ channels & messages

    def _channel_or_404(self, request: web.Request) -> tuple[JSON | None, web.Response | None]:
        channel = self.fake.channels.get(request.match_info["channel_id"])
        if (
            channel is None
            or channel["type"] == p.CHANNEL_GUILD_CATEGORY
            and request.method != "GET"
        ):
            return None, error_response(404, "Unknown Channel", 10003)
        return channel, None

    def _message_or_404(self, request: web.Request) -> tuple[JSON | None, web.Response | None]:
        msg = self.fake.messages.get(request.match_info["message_id"])
        if msg is None or msg["channel_id"] != request.match_info["channel_id"]:
            return None, error_response(404, "Unknown Message", 10008)
        return msg, None

    async def get_channel(self, request: web.Request) -> web.Response:
        channel, err = self._channel_or_404(request)
        return err or json_response(channel)

    async def list_messages(self, request: web.Request) -> web.Response:
        channel, err = self._channel_or_404(request)
        if err is not None:
            return err
        limit = int(request.query.get("limit", "50"))
        newest_first = list(reversed(self.fake.messages_in(channel["id"])))  # type: ignore[index]
        return json_response(newest_first[:limit])

    async def post_message(self, request: web.Request) -> web.Response:
        f = self.fake
        channel, err = self._channel_or_404(request)
        if err is not None:
            return err
        data = request[BODY_KEY] or {}
        if (bad := _validate_message_body(data, request)) is not None:
            return bad
        if "attach_files" in f.bot_denied and request.content_type == "multipart/form-data":
            return error_response(403, "Missing Permissions", 50013)
        nonce = data.get("nonce")
        if nonce is not None and data.get("enforce_nonce"):
            # Discord: a message with the same nonce from the same author, created in the
            # last few minutes, is returned instead of being posted again.
            for earlier in f.messages.values():
                if (
                    earlier.get("nonce") == str(nonce)
                    and earlier["channel_id"] == channel["id"]  # type: ignore[index]
                    and earlier["author"]["id"] == f.app_id
                ):
                    return json_response(earlier)
        reference = data.get("message_reference")
        msg = ix.message_payload(
            f.snowflakes.next(),
            channel["id"],  # type: ignore[index]
            f.users[f.app_id],
            data.get("content") or "",
            embeds=data.get("embeds") or (),
            components=data.get("components") or (),
            attachments=_attachments(data),
            flags=int(data.get("flags") or 0),
            message_type=ix.MESSAGE_REPLY if reference else ix.MESSAGE_DEFAULT,
            message_reference=reference,
            tts=bool(data.get("tts")),
            nonce=str(nonce) if nonce is not None else None,
        )
        f.messages[msg["id"]] = msg
        channel["last_message_id"] = msg["id"]  # type: ignore[index]
        await f._emit_message_event("MESSAGE_CREATE", msg)
        return json_response(msg)

    async def get_message(self, request: web.Request) -> web.Response:
        msg, err = self._message_or_404(request)
        return err or json_response(msg)

    async def patch_message(self, request: web.Request) -> web.Response:
        msg, err = self._message_or_404(request)
        if err is not None:
            return err
        assert msg is not None
        body = request[BODY_KEY] or {}
        if msg["author"]["id"] != self.fake.app_id and set(body) - {"flags"}:
            return error_response(403, "Cannot edit a message authored by another user", 50005)
        _apply_edit(msg, body)
        await self.fake._emit_message_event("MESSAGE_UPDATE", msg)
        return json_response(msg)

    async def delete_message(self, request: web.Request) -> web.Response:
        msg, err = self._message_or_404(request)
        if err is not None:
            return err
        self.fake.messages.pop(msg["id"])  # type: ignore[index]
        return no_content()

    async def _new_thread(
        self, parent: JSON, thread_id: str, body: JSON, thread_type: int
    ) -> web.Response:
        f = self.fake
        thread = p.thread_channel_payload(
            thread_id,
            f.guild_id,
            parent["id"],
            f.app_id,
            body.get("name") or "thread",
            thread_type=thread_type,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        )
        f.channels[thread["id"]] = thread
        session = f.gateway.current_session
        if session is not None and not session.invalidated and session.intents & 1:
            await f.gateway.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return json_response(thread, 201)

    async def post_thread_from_message(self, request: web.Request) -> web.Response:
        """Start a thread on a message: the thread's id *is* the message id, as on Discord."""
        channel, err = self._channel_or_404(request)
        if err is not None:
            return err
        if channel["type"] != p.CHANNEL_GUILD_TEXT:  # type: ignore[index]
            return error_response(400, "Cannot execute action on this channel type", 50024)
        msg, err = self._message_or_404(request)
        if err is not None:
            return err
        if "thread" in msg or msg["id"] in self.fake.channels:  # type: ignore[operator,index]
            return error_response(400, "A thread has already been created for this message", 160004)
        resp = await self._new_thread(
            channel, msg["id"], request[BODY_KEY] or {}, p.CHANNEL_PUBLIC_THREAD
        )  # type: ignore[arg-type,index]
        msg["thread"] = self.fake.channels[msg["id"]]  # type: ignore[index]
        return resp

    async def post_thread(self, request: web.Request) -> web.Response:
        channel, err = self._channel_or_404(request)
        if err is not None:
            return err
        body = request[BODY_KEY] or {}
        return await self._new_thread(
            channel,
            self.fake.snowflakes.next(),
            body,
            int(body.get("type") or p.CHANNEL_PRIVATE_THREAD),
        )  # type: ignore[arg-type]

    async def post_dm_channel(self, request: web.Request) -> web.Response:
        """Create (or return the existing) DM channel with ``recipient_id``."""
        recipient = str((request[BODY_KEY] or {}).get("recipient_id"))
        if recipient not in self.fake.users or recipient == self.fake.app_id:
            return error_response(400, "Invalid Recipient(s)", 50033)
        return json_response(self.fake._dm_channel_for(recipient))


# ---------------------------------------------------------------------- helpers


def _attachments(data: JSON) -> list[JSON]:
    out = []
    for att in data.get("attachments") or []:
        filename = att.get("filename", "file")
        out.append(
            {
                "id": str(att.get("id", "0")),
                "filename": filename,
                "size": 0,
                "url": f"https://cdn.discordapp.com/attachments/0/0/{filename}",
                "proxy_url": "",
                "content_type": "application/octet-stream",
                # Alt text, as the sender gave it (Discord keeps it on the attachment).
                **({"description": att["description"]} if att.get("description") else {}),
            }
        )
    return out


def _apply_edit(msg: JSON, data: JSON) -> None:
    for key in ("content", "embeds", "components", "flags"):
        if key in data and data[key] is not None:
            msg[key] = data[key]
    if "attachments" in data:
        msg["attachments"] = _attachments(data)
    msg["edited_timestamp"] = p.iso_timestamp()


def _validate_message_body(data: JSON, request: web.Request) -> web.Response | None:
    content = data.get("content") or ""
    if len(content) > 2000:
        errors = {
            "content": {
                "_errors": [
                    {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
                ]
            }
        }
        return error_response(400, "Invalid Form Body", 50035, errors)
    has_files = request.content_type == "multipart/form-data"
    if not (
        content
        or data.get("embeds")
        or data.get("components")
        or data.get("sticker_ids")
        or data.get("poll")
        or has_files
    ):
        return error_response(400, "Cannot send an empty message", 50006)
    return None
