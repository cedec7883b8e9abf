"""The fake Slack Web API's channels, pins, reactions and file uploads (see slack_api.py).

Shapes follow Slack's reference (docs.slack.dev/reference/methods/…): conversations.create
answers a conversation object whose `creator` is the bot, `name_taken` when the name is in
use (archived channels keep their names); conversations.invite with `force=true` invites the
valid users and lists the others in `errors` ([{"user", "ok": false, "error"}]); the upload
flow of files_upload_v2 is files.getUploadURLExternal → a POST of the bytes to the
`upload_url` (served by the fake, answering "OK - <length>") → files.completeUploadExternal.

Every handler runs with the fake's lock held and gets (fake, args); state lives in
`fake._state.rooms`.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from .slack_ids import BOT_USER_ID, TEAM_ID

UPLOAD_PREFIX = "/upload/v1/"
PNG = b"\x89PNG\r\n\x1a\n"  # how a PNG file starts
NAME = re.compile(r"^[a-z0-9_-]+$")
MAX_NAME = 80
MAX_TOPIC = 250  # topic and purpose alike
# Errors an invite reports per user (the rest fail the whole call).
PER_USER = {"user_not_found", "cant_invite_self", "already_in_channel", "user_is_ultra_restricted"}


@dataclass
class Rooms:
    """Channels the fake knows (made through it or added by a test), pins and files."""

    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    pins: dict[str, list[str]] = field(default_factory=dict)
    reactions: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id → upload
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # completed files


def channel_object(channel_id: str, name: str, *, creator: str, private: bool) -> dict[str, Any]:
    """A conversation object as conversations.create / .info / .list describe it."""
    now = int(time.time())
    return {
        "id": channel_id,
        "name": name,
        "is_channel": not private,
        "is_group": private,
        "is_im": False,
        "is_mpim": False,
        "is_private": private,
        "created": now,
        "creator": creator,
        "is_archived": False,
        "is_general": False,
        "unlinked": 0,
        "name_normalized": name,
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "pending_shared": [],
        "is_pending_ext_shared": False,
        "is_member": creator == BOT_USER_ID,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "previous_names": [],
        "context_team_id": TEAM_ID,
    }


def _error(error: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": error, **extra}


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def add_channel(fake, name: str, *, creator: str, private: bool, members: list[str]) -> str:
    """A channel made outside the bot (or by it, in an earlier life); returns its id."""
    rooms: Rooms = fake._state.rooms
    channel_id = fake._next_id("G" if private else "C")
    rooms.channels[channel_id] = channel_object(channel_id, name, creator=creator, private=private)
    rooms.members[channel_id] = [creator, *[m for m in members if m != creator]]
    rooms.channels[channel_id]["is_member"] = BOT_USER_ID in rooms.members[channel_id]
    return channel_id


def _known(fake, args: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(channel, None) for a channel the fake knows, else (None, an error answer)."""
    channel = fake._state.rooms.channels.get(str(args.get("channel") or ""))
    return (channel, None) if channel else (None, _error("channel_not_found"))


def writable(fake, args: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    channel, error = _known(fake, args)
    if channel is None:
        return None, error
    if channel["is_archived"]:
        return None, _error("is_archived")
    if BOT_USER_ID not in fake._state.rooms.members[channel["id"]]:
        return None, _error("not_in_channel")
    return channel, None


def create(fake, args: dict[str, Any]) -> dict[str, Any]:
    name = str(args.get("name") or "")
    if not name:
        return _error("invalid_name_required")
    if len(name) > MAX_NAME:
        return _error("invalid_name_maxlength")
    if not NAME.match(name):
        return _error("invalid_name_specials")
    if any(c["name"] == name for c in fake._state.rooms.channels.values()):
        return _error("name_taken")
    private = _flag(args.get("is_private"))
    channel_id = add_channel(fake, name, creator=BOT_USER_ID, private=private, members=[])
    return {"ok": True, "channel": dict(fake._state.rooms.channels[channel_id])}


def invite(fake, args: dict[str, Any]) -> dict[str, Any]:
    channel, error = writable(fake, args)
    if channel is None:
        return error
    users = [u for u in str(args.get("users") or "").split(",") if u]
    if not users:
        return _error("no_user")
    members = fake._state.rooms.members[channel["id"]]
    errors = []
    for user in users:
        problem = _invite_problem(fake, user, members)
        if problem:
            errors.append({"user": user, "ok": False, "error": problem})
    if errors and (not _flag(args.get("force")) or len(errors) == len(users)):
        # Without force one bad id fails the call (nobody is invited).
        return _error(errors[0]["error"], errors=errors)
    failed = {e["user"] for e in errors}
    members.extend(u for u in users if u not in failed)
    answer: dict[str, Any] = {"ok": True, "channel": dict(channel)}
    if errors:
        answer["errors"] = errors
    return answer


def _invite_problem(fake, user: str, members: list[str]) -> str | None:
    if user == BOT_USER_ID:
        return "cant_invite_self"
    found = fake._state.users.get(user)
    if found is None or found.get("deleted"):
        return "user_not_found"
    if found.get("is_ultra_restricted"):
        return "user_is_ultra_restricted"
    if user in members:
        return "already_in_channel"
    return None


def _set_text(fake, args: dict[str, Any], key: str) -> dict[str, Any]:
    channel, error = writable(fake, args)
    if channel is None:
        return error
    value = str(args.get(key) or "")
    if len(value) > MAX_TOPIC:
        return _error("too_long")
    channel[key] = {"value": value, "creator": BOT_USER_ID, "last_set": int(time.time())}
    return {"ok": True, "channel": dict(channel)}


def set_topic(fake, args: dict[str, Any]) -> dict[str, Any]:
    return _set_text(fake, args, "topic")


def set_purpose(fake, args: dict[str, Any]) -> dict[str, Any]:
    return _set_text(fake, args, "purpose")


def archive(fake, args: dict[str, Any]) -> dict[str, Any]:
    channel, error = _known(fake, args)
    if channel is None:
        return error
    if channel["is_archived"]:
        return _error("already_archived")
    if BOT_USER_ID not in fake._state.rooms.members[channel["id"]]:
        return _error("not_in_channel")
    channel["is_archived"] = True
    return {"ok": True}


def info(fake, args: dict[str, Any]) -> dict[str, Any]:
    channel, error = _known(fake, args)
    return {"ok": True, "channel": dict(channel)} if channel else error


def list_channels(fake, args: dict[str, Any]) -> dict[str, Any]:
    types = str(args.get("types") or "public_channel").split(",")
    found = [
        dict(c)
        for c in fake._state.rooms.channels.values()
        if ("private_channel" if c["is_private"] else "public_channel") in types
        and not (_flag(args.get("exclude_archived")) and c["is_archived"])
    ]
    limit = min(int(args.get("limit") or 100), 1000)
    start = int(args.get("cursor") or 0)
    page = found[start : start + limit]
    more = start + limit < len(found)
    next_cursor = str(start + limit) if more else ""
    return {"ok": True, "channels": page, "response_metadata": {"next_cursor": next_cursor}}


def history(fake, args: dict[str, Any]) -> dict[str, Any]:
    channel, error = _known(fake, args)
    if channel is None:
        return error
    if BOT_USER_ID not in fake._state.rooms.members[channel["id"]]:
        return _error("not_in_channel")
    latest, oldest = args.get("latest"), args.get("oldest")
    inclusive = _flag(args.get("inclusive"))
    messages = sorted(
        (
            m
            for (c, _), m in fake._state.messages.items()
            # Replies in threads are not in a channel's history (conversations.replies).
            if c == channel["id"] and m.get("thread_ts", m["ts"]) == m["ts"]
        ),
        key=lambda m: float(m["ts"]),
        reverse=True,
    )

    def within(ts: float) -> bool:
        if latest is not None and (ts > float(latest) or (ts == float(latest) and not inclusive)):
            return False
        return not (
            oldest is not None and (ts < float(oldest) or (ts == float(oldest) and not inclusive))
        )

    messages = [m for m in messages if within(float(m["ts"]))]
    limit = int(args.get("limit") or 100)
    return {
        "ok": True,
        "messages": messages[:limit],
        "has_more": len(messages) > limit,
        "pin_count": len(fake._state.rooms.pins.get(channel["id"], [])),
        "response_metadata": {"next_cursor": ""},
    }


def pins_add(fake, args: dict[str, Any]) -> dict[str, Any]:
    channel_id, ts = str(args.get("channel") or ""), str(args.get("timestamp") or "")
    if not ts:
        return _error("no_item_specified")
    if (channel_id, ts) not in fake._state.messages:
        return _error("message_not_found")
    pins = fake._state.rooms.pins.setdefault(channel_id, [])
    if ts in pins:
        return _error("already_pinned")
    pins.append(ts)
    return {"ok": True}


def reactions_add(fake, args: dict[str, Any]) -> dict[str, Any]:
    channel_id, ts = str(args.get("channel") or ""), str(args.get("timestamp") or "")
    name = str(args.get("name") or "")
    if (channel_id, ts) not in fake._state.messages:
        return _error("message_not_found")
    if not name:
        return _error("invalid_name")
    users = fake._state.rooms.reactions.setdefault((channel_id, ts), {}).setdefault(name, [])
    if BOT_USER_ID in users:
        return _error("already_reacted")
    users.append(BOT_USER_ID)
    return {"ok": True}


def get_upload_url(fake, args: dict[str, Any]) -> dict[str, Any]:
    filename, length = args.get("filename"), args.get("length")
    if not filename or length in (None, ""):
        return _error("invalid_arguments")
    file_id = fake._next_id("F")
    fake._state.rooms.uploads[file_id] = {
        "filename": str(filename),
        "length": int(length),
        "alt_txt": args.get("alt_txt"),  # an image's description for screen readers
        "data": None,
    }
    return {"ok": True, "upload_url": f"{fake.url}{UPLOAD_PREFIX[1:]}{file_id}", "file_id": file_id}


def receive_upload(fake, file_id: str, body: bytes) -> tuple[int, str]:
    """The upload URL: (HTTP status, plain-text answer) as files.slack.com gives them."""
    upload = fake._state.rooms.uploads.get(file_id)
    if upload is None:
        return 404, "not found"
    upload["data"] = body
    return 200, f"OK - {len(body)}"


def complete_upload(fake, args: dict[str, Any]) -> dict[str, Any]:
    try:
        files = json.loads(args["files"]) if isinstance(args.get("files"), str) else args["files"]
    except (KeyError, ValueError):
        return _error("invalid_arguments")
    rooms: Rooms = fake._state.rooms
    channel_id = args.get("channel_id")
    if channel_id in rooms.channels:  # channels it does not know (configured ones) are accepted
        _, error = writable(fake, {"channel": channel_id})
        if error:
            return error
    done = []
    for item in files:
        upload = rooms.uploads.get(str(item.get("id")))
        if upload is None or upload["data"] is None:
            return _error("file_not_found")
        if len(upload["data"]) != upload["length"]:
            return _error("file_upload_size_mismatch")
        done.append(_file_object(item, upload))
    shares = {}
    if channel_id:
        ts = fake._next_ts()
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "text": str(args.get("initial_comment") or ""),
            "ts": ts,
            "upload": True,
            "files": [{"id": f["id"], "name": f["name"]} for f in done],
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        fake._state.messages[(channel_id, ts)] = message
        private = rooms.channels.get(channel_id, {}).get("is_private", False)
        shares = {"private" if private else "public": {channel_id: [{"ts": ts}]}}
    for found in done:
        found["shares"] = shares
        found["channels"] = [channel_id] if channel_id else []
        rooms.files[found["id"]] = found
    return {"ok": True, "files": [{k: v for k, v in f.items() if k != "data"} for f in done]}


def _file_object(item: dict[str, Any], upload: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(item["id"]),
        "created": int(time.time()),
        "name": upload["filename"],
        "title": str(item.get("title") or upload["filename"]),
        "mimetype": "image/png" if upload["data"].startswith(PNG) else "text/plain",
        "filetype": "png" if upload["data"].startswith(PNG) else "text",
        "alt_txt": upload.get("alt_txt"),
        "user": BOT_USER_ID,
        "size": upload["length"],
        "data": upload["data"],
    }


METHODS = {
    "conversations.create": create,
    "conversations.invite": invite,
    "conversations.setTopic": set_topic,
    "conversations.setPurpose": set_purpose,
    "conversations.archive": archive,
    "conversations.info": info,
    "conversations.list": list_channels,
    "conversations.history": history,
    "pins.add": pins_add,
    "reactions.add": reactions_add,
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}
