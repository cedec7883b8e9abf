"""The door of POST /slack/events: size, signature and shape are checked before Bolt sees
a request, so nothing malformed reaches a listener (or a 500).

In this order: a body over `MAX_BODY` is refused (413) without reading it all; a missing,
malformed, stale or wrong signature is refused (401); a signed body that is not what Slack
sends (broken JSON, a list for a payload, a button press without a user, a DM event without
its channel) is refused (400). Each refusal is one log line with its reason and the body's
size; a body is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's own payloads stay far below this
MAX_AGE = 5 * 60  # seconds a signed request stays valid (Slack's advice)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

# Interaction payload types that name the person who acted.
WITH_USER = {
    "block_actions",
    "block_suggestion",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
}


class Refused(Exception):
    """A request the gate turns away: the HTTP status and the reason (said to the sender)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.size: int | None = None  # of the body, once read


@dataclass(frozen=True)
class Admitted:
    """A request that passed the gate: its body, and its fields if it is a slash command."""

    body: bytes
    command: dict[str, str] | None = None


async def admit(request: Request, signing_secret: str) -> Admitted:
    """The request if it may go on (to Bolt, or straight to the desk); else raises Refused."""
    body = await read_body(request, MAX_BODY)
    try:
        verify_signature(request.headers, body, signing_secret, now=time.time())
        command = check_shape(request.headers.get("content-type", ""), body)
    except Refused as refused:
        refused.size = len(body)
        raise
    return Admitted(body, command)


def refusal_response(request: Request, refused: Refused) -> Response:
    """The 4xx for a refused request, logged in one line without the body."""
    log.info(
        "slack: refused %s %s: %d %s (%s bytes)",
        request.method,
        request.url.path,
        refused.status,
        refused.reason,
        "unknown" if refused.size is None else refused.size,
    )
    return PlainTextResponse(refused.reason, status_code=refused.status)


def with_body(request: Request, body: bytes) -> Request:
    """The request again, its body served from memory (the gate has read the stream)."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or Refused(413) as soon as it is known to exceed `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Refused(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise Refused(413, f"body over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # a body sent without (or under) its declared length
            raise Refused(413, f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def verify_signature(
    headers: Mapping[str, str], body: bytes, secret: str, *, now: float, max_age: int = MAX_AGE
) -> None:
    """Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}`, and a fresh timestamp."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        raise Refused(401, "missing Slack signature headers")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise Refused(401, "the request timestamp is not a Unix time")
    if abs(now - int(timestamp)) > max_age:
        raise Refused(401, "the request timestamp is too old (or in the future)")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Refused(401, "the signature does not match")


def check_shape(content_type: str, body: bytes) -> dict[str, str] | None:
    """Refused(400) unless the body has the shape of something Slack sends.

    Returns a slash command's fields (each field's first value), else None.
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8") from None
    if kind == FORM:
        return _check_form(text)
    if kind == JSON:
        _check_event(_json(text, "body"))
        return None
    raise Refused(400, f"unexpected content type {kind or '(none)'}")


def _json(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise Refused(400, f"the {what} is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, f"the {what} is not a JSON object")
    _check_types(data, what)
    return data


# The envelope fields Bolt reads to route a request, and the types Slack sends them as;
# anything else there would fail inside Bolt (a 500) instead of here (a 400).
IDS = {
    "enterprise_id",
    "team_id",
    "user_id",
    "channel_id",
    "api_app_id",
    "context_team_id",
    "context_enterprise_id",
    "id",
    "type",
    "callback_id",
    "trigger_id",
    "response_url",
}
FLAGS = {"is_enterprise_install", "is_ext_shared_channel"}
OBJECT_OR_ID = {"team", "user", "enterprise", "channel"}
OBJECTS = {"event", "message", "previous_message", "view", "container", "state"}


def _check_types(data: dict[str, Any], where: str, depth: int = 0) -> None:
    if depth > 4:
        return
    for key, value in data.items():
        if value is None:
            continue
        if key in IDS and not isinstance(value, str):
            raise Refused(400, f"{where}: {key} is not a string")
        if key in FLAGS and not isinstance(value, bool | str):
            raise Refused(400, f"{where}: {key} is not a flag")
        if key in OBJECT_OR_ID and not isinstance(value, dict | str):
            raise Refused(400, f"{where}: {key} is neither an object nor an id")
        if key in OBJECTS and not isinstance(value, dict):
            raise Refused(400, f"{where}: {key} is not an object")
        if key == "authorizations" and not (
            isinstance(value, list) and all(isinstance(a, dict) for a in value)
        ):
            raise Refused(400, f"{where}: authorizations is not a list of objects")
        if isinstance(value, dict) and (key in OBJECTS or key in OBJECT_OR_ID):
            _check_types(value, f"{where}.{key}", depth + 1)
        if key == "authorizations":
            for item in value:
                _check_types(item, f"{where}.authorizations", depth + 1)


def _check_form(text: str) -> dict[str, str] | None:
    try:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError:
        raise Refused(400, "the form body is malformed") from None
    if "payload" in fields:
        _check_interaction(_json(fields["payload"][0], "payload"))
        return None
    if "ssl_check" in fields:
        return None  # Slack checking the certificate: Bolt answers it
    _require_text(fields, ("command", "user_id"), "slash command")
    if not fields["command"][0].startswith("/"):
        raise Refused(400, "the slash command's name does not start with /")
    return {name: values[0] for name, values in fields.items()}


def _require_text(fields: dict[str, list[str]], names: tuple[str, ...], what: str) -> None:
    for name in names:
        if not fields.get(name) or not fields[name][0]:
            raise Refused(400, f"the {what} has no {name}")


def _check_interaction(payload: dict[str, Any]) -> None:
    kind = payload.get("type")
    if not isinstance(kind, str):
        raise Refused(400, "the payload has no type")
    if kind in WITH_USER:
        user = payload.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise Refused(400, f"the {kind} payload has no user")
    if kind == "block_actions":
        actions = payload.get("actions")
        # Bolt reads actions[0]: an empty list would fail inside it (a 500), not here.
        if (
            not isinstance(actions, list)
            or not actions
            or not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
        ):
            raise Refused(400, "the block_actions payload has no valid actions")
    if kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("id"), str):
            raise Refused(400, f"the {kind} payload has no view")


def _check_event(body: dict[str, Any]) -> None:
    kind = body.get("type")
    if kind == "url_verification":
        if not isinstance(body.get("challenge"), str):
            raise Refused(400, "the url_verification has no challenge")
        return
    if kind == "app_rate_limited":
        return
    if kind != "event_callback":
        raise Refused(400, f"unexpected event body type {kind!r}"[:120])
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise Refused(400, "the event_callback has no event")
    if not isinstance(body.get("event_id", ""), str):
        raise Refused(400, "the event_id is not a string")
    if event["type"] == "message" and not isinstance(event.get("channel"), str):
        raise Refused(400, "the message event has no channel")
    plain = "subtype" not in event  # a person's own message, not an edit or a bot's
    needs = {"message": ("user", "ts"), "app_home_opened": ("user",)}.get(event["type"], ())
    for name in needs if plain else ():
        if not isinstance(event.get(name), str):
            raise Refused(400, f"the {event['type']} event has no {name}")
