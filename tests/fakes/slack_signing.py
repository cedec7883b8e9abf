"""Build inbound Slack requests signed exactly as Slack signs them.

Slack's v0 scheme: ``X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:{ts}:{body}")>``
with ``X-Slack-Request-Timestamp: {ts}`` (Unix seconds). Slash commands and
interactions arrive form-encoded (interactions as ``payload=<json>``); Events API
callbacks arrive as a JSON body. Field shapes follow Slack's documented payloads
and slack-bolt's own scenario tests.

Two layers: ``*_fields``/``*_payload``/``*_event`` build plain dicts you can tweak,
``sign_*`` turn them into a :class:`SignedRequest`; :class:`SlackSigner` chains both.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .slack_api import make_trigger_id
from .slack_ids import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
VERIFICATION_TOKEN = "legacy-verification-token"  # deprecated field Slack still sends

_ids = itertools.count(1)  # unique event ids within a test run


@dataclass(frozen=True)
class SignedRequest:
    """Body and headers to POST to the app's Slack endpoint, as Slack would."""

    body: str
    headers: dict[str, str]

    @property
    def content(self) -> bytes:
        """The body as bytes (what was signed), for ``httpx.post(content=...)``."""
        return self.body.encode("utf-8")


# ------------------------------------------------------------------ signing
def compute_signature(signing_secret: str, timestamp: int | str, body: str) -> str:
    """Slack's v0 signature of ``body`` at ``timestamp``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def sign(
    body: str,
    content_type: str,
    signing_secret: str,
    *,
    timestamp: int | None = None,
    extra_headers: dict[str, str] | None = None,
) -> SignedRequest:
    """Sign a raw body. ``timestamp`` defaults to now (Bolt rejects > 5 minutes skew)."""
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": compute_signature(signing_secret, ts, body),
        **(extra_headers or {}),
    }
    return SignedRequest(body=body, headers=headers)


def sign_form(
    fields: dict[str, str], signing_secret: str, *, timestamp: int | None = None
) -> SignedRequest:
    """Sign form fields (slash commands) as ``application/x-www-form-urlencoded``."""
    return sign(urlencode(fields), FORM, signing_secret, timestamp=timestamp)


def sign_interaction(
    payload: dict[str, Any], signing_secret: str, *, timestamp: int | None = None
) -> SignedRequest:
    """Sign an interactivity payload; Slack sends it as the form field ``payload``."""
    return sign_form({"payload": json.dumps(payload)}, signing_secret, timestamp=timestamp)


def sign_event(
    envelope: dict[str, Any],
    signing_secret: str,
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> SignedRequest:
    """Sign an Events API callback (JSON body).

    With ``retry_num`` the request carries Slack's redelivery headers
    ``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason`` (e.g. "http_timeout", "http_error").
    """
    extra = {}
    if retry_num is not None:
        extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
    return sign(
        json.dumps(envelope), JSON, signing_secret, timestamp=timestamp, extra_headers=extra
    )


# ----------------------------------------------------------------- payloads
def new_trigger_id(issued_at: float | None = None) -> str:
    """A fresh trigger id (or one issued at ``issued_at``, a time.time() value).

    Its issue time is inside it, so FakeSlackApi's views.open refuses it with
    ``expired_trigger_id`` once it is more than 3 seconds old, as Slack does.
    """
    return make_trigger_id(issued_at)


def _team() -> dict[str, Any]:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def _user(user_id: str, user_name: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID}


def slash_command_fields(
    *,
    command: str = "/desk",
    text: str = "",
    user_id: str = "U0ALICE",
    user_name: str = "alice",
    channel_id: str = "C0GENERAL",
    channel_name: str = "general",
    response_url: str = "https://hooks.slack.com/commands/T0DESK/1/fake",
    trigger_id: str | None = None,
) -> dict[str, str]:
    """Form fields of a slash command invocation."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or make_trigger_id(),
    }


def block_actions_payload(
    *,
    action_id: str,
    value: str = "",
    block_id: str = "actions",
    user_id: str = "U0ALICE",
    user_name: str = "alice",
    channel_id: str = "C0GENERAL",
    channel_name: str = "general",
    message_ts: str = "1700000000.000100",
    message_blocks: list[dict[str, Any]] | None = None,
    message_text: str = "",
    response_url: str = "https://hooks.slack.com/actions/T0DESK/1/fake",
    trigger_id: str | None = None,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button click. From a bot message by default; pass ``view`` for a modal/Home button.

    A view-hosted click has a ``view`` container and no channel/message/response_url.
    """
    action = {
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "type": "button",
        "text": {"type": "plain_text", "text": value or action_id, "emoji": True},
        "action_ts": f"{time.time():.6f}",  # a press of its own, to the microsecond
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or make_trigger_id(),
        "team": _team(),
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = view
        return payload
    payload["container"] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    payload["channel"] = {"id": channel_id, "name": channel_name}
    payload["message"] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "text": message_text,
        "ts": message_ts,
        "blocks": message_blocks or [],
    }
    payload["response_url"] = response_url
    return payload


def message_action_payload(
    *,
    callback_id: str,
    message_ts: str,
    message_text: str = "",
    message_user: str | None = "U0BOB",
    user_id: str = "U0ALICE",
    user_name: str = "alice",
    channel_id: str = "C0GENERAL",
    channel_name: str = "general",
    response_url: str = "https://hooks.slack.com/app/T0DESK/1/fake",
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A message shortcut (⋮ on a message → the app's action); ``message_user`` None: a bot's."""
    message: dict[str, Any] = {
        "type": "message",
        "text": message_text,
        "ts": message_ts,
        "team": TEAM_ID,
    }
    if message_user is None:
        message.update({"bot_id": BOT_ID, "user": BOT_USER_ID, "app_id": APP_ID})
    else:
        message.update({"user": message_user, "client_msg_id": f"m-{next(_ids)}"})
    return {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": _team(),
        "user": _user(user_id, user_name),
        "channel": {"id": channel_id, "name": channel_name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or make_trigger_id(),
        "response_url": response_url,
        "message_ts": message_ts,
        "message": message,
    }


def reaction_event(
    *,
    reaction: str,
    channel_id: str,
    ts: str,
    user_id: str = "U0ALICE",
    item_user: str = "U0BOB",
    added: bool = True,
) -> dict[str, Any]:
    """Inner ``event`` of reaction_added (or reaction_removed) on a message."""
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user_id,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel_id, "ts": ts},
        "event_ts": f"{int(time.time())}.{next(_ids):06d}",
    }


def plain_text_values(values: dict[str, dict[str, str]]) -> dict[str, Any]:
    """``{block_id: {action_id: "text"}}`` -> Slack's ``view.state.values`` shape."""
    return {
        block_id: {
            action_id: {"type": "plain_text_input", "value": text}
            for action_id, text in actions.items()
        }
        for block_id, actions in values.items()
    }


def view_submission_payload(
    *,
    callback_id: str,
    values: dict[str, Any] | None = None,
    private_metadata: str = "",
    view_id: str = "V0MODAL",
    user_id: str = "U0ALICE",
    user_name: str = "alice",
    blocks: list[dict[str, Any]] | None = None,
    response_urls: list[dict[str, Any]] | None = None,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A modal submission. ``values`` is the raw ``state.values`` (see plain_text_values)."""
    view = {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": "modal",
        "blocks": blocks or [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": values or {}},
        "hash": f"{int(time.time())}.fakehash",
        "title": {"type": "plain_text", "text": "Deskbot"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "clear_on_close": False,
        "notify_on_close": False,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    }
    return {
        "type": "view_submission",
        "team": _team(),
        "user": _user(user_id, user_name),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or make_trigger_id(),
        "view": view,
        "response_urls": response_urls or [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def message_im_event(
    *,
    text: str,
    user_id: str = "U0ALICE",
    channel_id: str | None = None,
    ts: str | None = None,
) -> dict[str, Any]:
    """Inner ``event`` of a message.im callback (a user DMs the bot)."""
    ts = ts or f"{int(time.time())}.{next(_ids):06d}"
    return {
        "type": "message",
        "channel_type": "im",
        "user": user_id,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel": channel_id or f"D{user_id}",
        "team": TEAM_ID,
    }


def app_home_opened_event(
    *,
    user_id: str = "U0ALICE",
    tab: str = "home",
    channel_id: str | None = None,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Inner ``event`` of app_home_opened; ``view`` only once a Home was published."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id or f"D{user_id}",
        "tab": tab,
        "event_ts": f"{int(time.time())}.{next(_ids):06d}",
    }
    if view is not None:
        event["view"] = view
    return event


def event_callback(
    event: dict[str, Any], *, event_id: str | None = None, event_time: int | None = None
) -> dict[str, Any]:
    """Wrap an inner event in the Events API ``event_callback`` envelope."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


class SlackSigner:
    """Shortcut: build a payload with the functions above and sign it with one secret."""

    def __init__(self, signing_secret: str) -> None:
        """Remember the app's signing secret."""
        self.signing_secret = signing_secret

    def slash_command(self, *, timestamp: int | None = None, **fields: Any) -> SignedRequest:
        """Signed slash command; ``fields`` go to slash_command_fields()."""
        return sign_form(slash_command_fields(**fields), self.signing_secret, timestamp=timestamp)

    def block_action(self, *, timestamp: int | None = None, **fields: Any) -> SignedRequest:
        """Signed block_actions; ``fields`` go to block_actions_payload()."""
        return sign_interaction(
            block_actions_payload(**fields), self.signing_secret, timestamp=timestamp
        )

    def message_action(self, *, timestamp: int | None = None, **fields: Any) -> SignedRequest:
        """Signed message_action (a message shortcut); ``fields`` go to message_action_payload()."""
        return sign_interaction(
            message_action_payload(**fields), self.signing_secret, timestamp=timestamp
        )

    def view_submission(self, *, timestamp: int | None = None, **fields: Any) -> SignedRequest:
        """Signed view_submission; ``fields`` go to view_submission_payload()."""
        return sign_interaction(
            view_submission_payload(**fields), self.signing_secret, timestamp=timestamp
        )

    def event(
        self,
        event: dict[str, Any],
        *,
        timestamp: int | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        event_id: str | None = None,
    ) -> SignedRequest:
        """Signed event_callback around ``event`` (e.g. message_im_event(...))."""
        return sign_event(
            event_callback(event, event_id=event_id),
            self.signing_secret,
            timestamp=timestamp,
            retry_num=retry_num,
            retry_reason=retry_reason,
        )
