"""A fake of the far end of Slack's Web API, served over real HTTP on 127.0.0.1.

The server runs in its own daemon thread (stdlib ``ThreadingHTTPServer``), so it
works the same from sync tests and from async tests: it never shares an event
loop with the code under test.

Typical use::

    with FakeSlackApi() as slack:
        client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
        ...
        [call] = slack.wait_for("chat.postMessage")
        assert call.args["channel"] == "C0GENERAL"
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import slack_rooms
from .slack_ids import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

# Identity of the fake workspace (slack_ids). slack_signing uses the same values as defaults,
# so signed requests and the fake's auth.test answer describe one workspace.
DEFAULT_TOKEN = "xoxb-0000-fake-deskbot-token"

API_PREFIX = "/api/"
RESPONSE_PREFIX = "/response/"
RESPONSE_URL_METHOD = "response_url"  # pseudo method name for POSTs to a response_url
UPLOAD_METHOD = "file_upload"  # pseudo method name for POSTs of a file to its upload URL
UNPARSED_BODY = "_unparsed_body"  # args key holding a body the fake could not parse

# Arguments that carry JSON even in a form body (Slack accepts both encodings).
_JSON_ARGS = ("blocks", "attachments", "view", "metadata")
_FIRST_TS_MICROS = 1_700_000_000_000_000

# Slack's trigger_id (slash commands, button clicks) opens a modal for 3 seconds only.
TRIGGER_TTL = 3.0
_trigger_seq = itertools.count(1)
_TRIGGER = re.compile(r"^\d+\.(\d{13})\.[0-9a-f]+$")


def make_trigger_id(issued_at: float | None = None) -> str:
    """A trigger id as Slack issues them, carrying its issue time (Unix ms) inside.

    slack_signing uses this for every payload it builds, so the fake's views.open can tell
    how old a trigger is. Pass ``issued_at`` (a ``time.time()`` value) for an older one.
    """
    issued = time.time() if issued_at is None else issued_at
    return f"{next(_trigger_seq)}.{int(issued * 1000):013d}.0123456789abcdef0123456789abcdef"


def trigger_issued_at(trigger_id: str) -> float | None:
    """When make_trigger_id issued ``trigger_id`` (time.time() scale); None for other ids."""
    match = _TRIGGER.match(trigger_id)
    return int(match.group(1)) / 1000 if match else None


@dataclass(frozen=True)
class RecordedCall:
    """One HTTP request the fake received, with the answer it gave."""

    method: str  # Web API method ("chat.postMessage") or "response_url"
    args: dict[str, Any]  # query + body args; JSON-in-form fields already decoded; no token
    time: float  # time.monotonic() at arrival: lets tests measure gaps (e.g. Retry-After)
    path: str
    http_method: str
    content_type: str
    status: int  # HTTP status the fake answered with
    response: Any  # the JSON body sent back (or text for response_url)

    @property
    def ok(self) -> bool:
        """True when the fake answered HTTP 200 with ``"ok": true`` (or accepted a response_url)."""
        if self.status != 200:
            return False
        return not isinstance(self.response, dict) or bool(self.response.get("ok"))


@dataclass
class _Fault:
    """A failure rule; ``remaining=None`` means until recover() is called."""

    method: str | None  # None matches every method, response_url included
    status: int
    remaining: int | None
    retry_after: int | None = None
    error: str = "fatal_error"
    body: str | None = None  # a raw body to send instead of {"ok": false, "error": ...}
    extra: dict[str, Any] = field(default_factory=dict)  # more fields of the error answer

    def matches(self, method: str) -> bool:
        return self.method is None or self.method == method


@dataclass
class _State:
    calls: list[RecordedCall] = field(default_factory=list)
    faults: list[_Fault] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    home_views: dict[str, dict[str, Any]] = field(default_factory=dict)
    rooms: slack_rooms.Rooms = field(default_factory=slack_rooms.Rooms)
    seq: int = 0


class FakeSlackApi:
    """Local stand-in for https://slack.com/api/ plus response_url endpoints."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        trigger_ttl: float = TRIGGER_TTL,
    ) -> None:
        """Create the fake; call start() (or use it as a context manager) to serve.

        views.open answers ``expired_trigger_id`` for a trigger id (see make_trigger_id)
        issued more than ``trigger_ttl`` seconds ago, as Slack does after 3 seconds.
        Trigger ids in any other format (``"t"``) are accepted whatever their age.
        """
        self.token = token
        self.host = host
        self.trigger_ttl = trigger_ttl
        self._cond = threading.Condition()
        self._state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------- lifecycle
    def start(self) -> FakeSlackApi:
        """Bind a free port and serve in a daemon thread. Returns self."""
        server = ThreadingHTTPServer((self.host, 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        # A short poll interval keeps stop() fast (shutdown waits for one poll).
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="fake-slack-api",
        )
        self._server = server
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound TCP port (after start())."""
        if self._server is None:
            raise RuntimeError("FakeSlackApi is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:41234/``."""
        return f"http://{self.host}:{self.port}/"

    @property
    def base_url(self) -> str:
        """Web API base URL for ``WebClient(base_url=...)``; ends with "/".

        slack_sdk builds endpoint URLs with ``urllib.parse.urljoin(base_url, method)``,
        so without the trailing slash the last path segment would be replaced.
        """
        return f"{self.url}api/"

    def response_url(self, response_id: str = "1") -> str:
        """A response_url pointing at this fake; POSTs to it are recorded."""
        return f"{self.url}response/{response_id}"

    # ------------------------------------------------------------ test data
    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        email: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add (or replace) a user served by users.info / users.lookupByEmail."""
        profile: dict[str, Any] = {"real_name": real_name or name, "display_name": name}
        if email is not None:  # Slack omits email entirely when it is not shared
            profile["email"] = email
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": False,
            "real_name": real_name or name,
            "tz": "Europe/London",
            "is_bot": False,
            "is_admin": False,
            "profile": profile,
            **extra,
        }
        with self._cond:
            self._state.users[user_id] = user
        return user

    def add_channel(
        self,
        name: str,
        *,
        creator: str = "U0SOMEONE",
        private: bool = False,
        members: list[str] | None = None,
    ) -> str:
        """A channel that exists already (made by `creator`); returns its id."""
        with self._cond:
            return slack_rooms.add_channel(
                self, name, creator=creator, private=private, members=members or []
            )

    def channel(self, channel_id: str) -> dict[str, Any] | None:
        """A channel the fake knows, as conversations.info describes it now."""
        with self._cond:
            found = self._state.rooms.channels.get(channel_id)
            return dict(found) if found else None

    def channel_named(self, name: str) -> dict[str, Any] | None:
        """The channel called `name`, if the fake knows one."""
        with self._cond:
            return next(
                (dict(c) for c in self._state.rooms.channels.values() if c["name"] == name), None
            )

    def members(self, channel_id: str) -> list[str]:
        """Who is in a channel the fake knows (the creator first)."""
        with self._cond:
            return list(self._state.rooms.members.get(channel_id, []))

    def pins(self, channel_id: str) -> list[str]:
        """The ts of every message pinned in a channel, in pinning order."""
        with self._cond:
            return list(self._state.rooms.pins.get(channel_id, []))

    def file(self, file_id: str) -> dict[str, Any] | None:
        """A file completed through files.completeUploadExternal, with its bytes ("data")."""
        with self._cond:
            return self._state.rooms.files.get(file_id)

    def add_message(self, channel: str, text: str, *, user: str, ts: str | None = None) -> str:
        """A person's message in a channel (served by conversations.history); returns its ts."""
        with self._cond:
            ts = ts or self._next_ts()
            self._state.messages[(channel, ts)] = {
                "type": "message",
                "user": user,
                "text": text,
                "ts": ts,
                "team": TEAM_ID,
            }
            return ts

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """Latest state of a message posted/updated through the fake."""
        with self._cond:
            return self._state.messages.get((channel, ts))

    def view(self, view_id: str) -> dict[str, Any] | None:
        """Latest state of a modal opened/updated through the fake."""
        with self._cond:
            return self._state.views.get(view_id)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for a user."""
        with self._cond:
            return self._state.home_views.get(user_id)

    # ------------------------------------------------------------ recording
    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Recorded calls in arrival order, optionally only those of one method."""
        with self._cond:
            return [c for c in self._state.calls if method is None or c.method == method]

    def responses(self, response_id: str | None = None) -> list[RecordedCall]:
        """Recorded POSTs to response_url endpoints (optionally one id)."""
        return [
            c
            for c in self.calls(RESPONSE_URL_METHOD)
            if response_id is None or c.path == f"{RESPONSE_PREFIX}{response_id}"
        ]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[RecordedCall], bool] | None = None,
    ) -> list[RecordedCall]:
        """Block until ``count`` matching calls were recorded; return all matches.

        Raises TimeoutError (listing what did arrive) when the deadline passes.
        Do not call from a coroutine running on the loop that must make the
        calls; use ``await async_wait_for(...)`` there.
        """

        def matching() -> list[RecordedCall]:
            return [
                c for c in self._state.calls if c.method == method and (where is None or where(c))
            ]

        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := matching()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [f"{c.method}:{c.status}" for c in self._state.calls]
                    raise TimeoutError(
                        f"wanted {count} x {method}, got {len(found)} within {timeout}s; "
                        f"calls seen: {seen}"
                    )
                self._cond.wait(left)  # woken by every recorded call
            return found

    async def async_wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[RecordedCall], bool] | None = None,
    ) -> list[RecordedCall]:
        """Async wait_for: blocks a worker thread, not the caller's event loop."""
        return await asyncio.to_thread(self.wait_for, method, count, timeout, where)

    def reset(self) -> None:
        """Forget calls, faults, messages and views (users are kept)."""
        with self._cond:
            users = self._state.users
            self._state = _State(users=users)

    # -------------------------------------------------------------- faults
    def rate_limit(
        self, method: str | None = None, *, times: int = 1, retry_after: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (None = any) with HTTP 429.

        The answer carries ``Retry-After: <retry_after>`` and
        ``{"ok": false, "error": "ratelimited"}``, as Slack does.
        """
        self._add_fault(_Fault(method, 429, times, retry_after, "ratelimited"))

    def fail(
        self,
        method: str | None = None,
        *,
        status: int = 500,
        times: int | None = None,
        body: str | None = None,
    ) -> None:
        """Answer ``method`` (None = any) with an HTTP error (500/503...).

        ``times=None`` keeps failing until recover() is called. ``body`` replaces the JSON
        error with raw text sent as ``application/json`` (e.g. ``"{not json"``), like a
        proxy in front of Slack answering with a broken page.
        """
        error = "service_unavailable" if status == 503 else "fatal_error"
        self._add_fault(_Fault(method, status, times, None, error, body))

    def refuse(self, method: str, error: str, *, times: int | None = None, **extra: Any) -> None:
        """Answer ``method`` with HTTP 200 ``{"ok": false, "error": error, **extra}``.

        For refusals no retry fixes, e.g. ``refuse("conversations.create", "missing_scope",
        needed="channels:manage", provided="chat:write")`` (an app installed without the
        scope) or ``"restricted_action"`` (a workspace that lets nobody make channels).
        """
        self._add_fault(_Fault(method, 200, times, None, error, None, dict(extra)))

    def recover(self, method: str | None = None) -> None:
        """Drop failure rules: all of them, or only those set for ``method``."""
        with self._cond:
            self._state.faults = [
                f for f in self._state.faults if method is not None and f.method != method
            ]

    def _add_fault(self, fault: _Fault) -> None:
        with self._cond:
            self._state.faults.append(fault)

    def _take_fault(self, method: str) -> _Fault | None:
        """Consume one use of the first fault rule matching ``method``."""
        for fault in self._state.faults:
            if fault.matches(method):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._state.faults.remove(fault)
                return fault
        return None

    # ------------------------------------------------------------ dispatch
    def _handle(
        self,
        http_method: str,
        raw_path: str,
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request; called from the server's handler threads."""
        split = urlsplit(raw_path)
        path = split.path
        content_type = headers.get("content-type", "")
        if path.startswith(API_PREFIX):
            method = path[len(API_PREFIX) :]
        elif path.startswith(RESPONSE_PREFIX) and http_method == "POST":
            method = RESPONSE_URL_METHOD
        elif path.startswith(slack_rooms.UPLOAD_PREFIX) and http_method == "POST":
            return self._upload(path, http_method, content_type, body)
        else:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        try:
            args = _parse_args(split.query, content_type, body)
        except (ValueError, TypeError):
            # Malformed body: answer ok=false like Slack instead of dropping the connection.
            args = {UNPARSED_BODY: body.decode("utf-8", "replace")}
        token = _bearer(headers.get("authorization")) or args.pop("token", None)

        with self._cond:
            status, extra_headers, answer = self._answer(method, args, token)
            self._state.calls.append(
                RecordedCall(
                    method=method,
                    args=args,
                    time=time.monotonic(),
                    path=path,
                    http_method=http_method,
                    content_type=content_type,
                    status=status,
                    response=answer,
                )
            )
            self._cond.notify_all()

        if isinstance(answer, _RawJson):  # before str: it is one
            out_headers = {"Content-Type": "application/json; charset=utf-8", **extra_headers}
            return status, out_headers, answer.encode()
        if isinstance(answer, str):
            return status, {"Content-Type": "text/html", **extra_headers}, answer.encode()
        out_headers = {"Content-Type": "application/json; charset=utf-8", **extra_headers}
        return status, out_headers, json.dumps(answer).encode()

    def _upload(
        self, path: str, http_method: str, content_type: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """A file's bytes POSTed to the upload URL files.getUploadURLExternal gave out."""
        file_id = path[len(slack_rooms.UPLOAD_PREFIX) :]
        with self._cond:
            fault = self._take_fault(UPLOAD_METHOD)
            if fault is not None:
                status, answer = fault.status, fault.error
            else:
                status, answer = slack_rooms.receive_upload(self, file_id, body)
            self._state.calls.append(
                RecordedCall(
                    method=UPLOAD_METHOD,
                    args={"file_id": file_id, "size": len(body)},
                    time=time.monotonic(),
                    path=path,
                    http_method=http_method,
                    content_type=content_type,
                    status=status,
                    response=answer,
                )
            )
            self._cond.notify_all()
        return status, {"Content-Type": "text/plain; charset=utf-8"}, answer.encode()

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], Any]:
        """Compute (status, headers, body); caller holds the lock."""
        fault = self._take_fault(method)
        if fault is not None:
            hdrs = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            if fault.body is not None:
                return fault.status, hdrs, _RawJson(fault.body)
            return fault.status, hdrs, {"ok": False, "error": fault.error, **fault.extra}
        if method == RESPONSE_URL_METHOD:
            return 200, {}, "ok"  # response_url needs no token; Slack answers plain "ok"
        if UNPARSED_BODY in args:
            return 200, {}, _error("invalid_json")
        if token != self.token:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        handler = _METHODS.get(method)
        answer = handler(self, args) if handler else {"ok": True}
        hdrs = {"x-oauth-scopes": _SCOPES} if method == "auth.test" else {}
        return 200, hdrs, answer

    # --------------------------------------------------- method behaviours
    def _next_ts(self) -> str:
        self._state.seq += 1
        micros = _FIRST_TS_MICROS + self._state.seq * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        self._state.seq += 1
        return f"{prefix}{self._state.seq:010d}"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Deskbot Test",
            "user": "deskbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return _error("channel_not_found")
        if args["channel"] in self._state.rooms.channels:  # others are taken on trust
            _, refused = slack_rooms.writable(self, args)
            if refused:
                return refused
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return _error("no_text")
        channel = _dm_channel(args["channel"])
        ts = self._next_ts()
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in args:
                message[key] = args[key]
        self._state.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = args.get("channel"), args.get("ts")
        if not channel or not ts:
            return _error("invalid_arguments")
        # Lenient on purpose: the message may come from a signed interaction
        # payload that never went through this fake.
        message = dict(self._state.messages.get((channel, ts), {"type": "message", "ts": ts}))
        message.update({k: args[k] for k in ("text", "blocks", "attachments") if k in args})
        self._state.messages[(channel, ts)] = message
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": message,
        }

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel") or not args.get("user"):
            return _error("invalid_arguments")
        return {"ok": True, "message_ts": self._next_ts()}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id") or not isinstance(args.get("view"), dict):
            return _error("invalid_arguments")
        issued = trigger_issued_at(str(args["trigger_id"]))
        if issued is not None and time.time() - issued > self.trigger_ttl:
            return _error("expired_trigger_id")
        view = self._materialize_view(args["view"], self._next_id("V"))
        self._state.views[view["id"]] = view
        return {"ok": True, "view": view}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id") or self._view_id_by_external(args.get("external_id"))
        if not view_id or not isinstance(args.get("view"), dict):
            return _error("invalid_arguments")
        view = self._materialize_view(args["view"], view_id)  # lenient: unknown ids accepted
        self._state.views[view_id] = view
        return {"ok": True, "view": view}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = args.get("user_id")
        if not user_id or not isinstance(args.get("view"), dict):
            return _error("invalid_arguments")
        previous = self._state.home_views.get(user_id)
        view = self._materialize_view(
            {"type": "home", **args["view"]}, previous["id"] if previous else self._next_id("V")
        )
        self._state.home_views[user_id] = view
        return {"ok": True, "view": view}

    def _view_id_by_external(self, external_id: str | None) -> str | None:
        for view in self._state.views.values():
            if external_id and view.get("external_id") == external_id:
                return view["id"]
        return None

    def _materialize_view(self, view: dict[str, Any], view_id: str) -> dict[str, Any]:
        """What Slack echoes back for a view: the input plus server-side fields."""
        full = {
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            **view,
        }
        full.update(
            {
                "id": view_id,
                "team_id": TEAM_ID,
                "state": {"values": {}},
                "hash": f"{int(time.time())}.{self._next_id('h')}",
                "previous_view_id": None,
                "root_view_id": view_id,
                "app_id": APP_ID,
                "app_installed_team_id": TEAM_ID,
                "bot_id": BOT_ID,
            }
        )
        return full

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._state.users.get(args.get("user", ""))
        return {"ok": True, "user": user} if user else _error("user_not_found")

    def _lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = (args.get("email") or "").lower()
        for user in self._state.users.values():
            if user["profile"].get("email", "").lower() == email and email:
                return {"ok": True, "user": user}
        return _error("users_not_found")

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {
                "ok": True,
                "no_op": True,
                "already_open": True,
                "channel": {"id": args["channel"]},
            }
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            return _error("users_list_not_supplied")
        channel_id = _dm_channel(users[0]) if len(users) == 1 else "G" + "".join(sorted(users))
        return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel_id}}


# What the app's manifest asks for (adapters/slack/manifest.yaml).
_SCOPES = (
    "channels:history,channels:join,channels:manage,channels:read,chat:write,commands,"
    "files:write,groups:history,groups:read,groups:write,im:history,pins:write,"
    "reactions:read,users:read,users:read.email"
)

_METHODS: dict[str, Callable[[FakeSlackApi, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": FakeSlackApi._auth_test,
    "chat.postMessage": FakeSlackApi._post_message,
    "chat.update": FakeSlackApi._update,
    "chat.postEphemeral": FakeSlackApi._post_ephemeral,
    "views.open": FakeSlackApi._views_open,
    "views.update": FakeSlackApi._views_update,
    "views.publish": FakeSlackApi._views_publish,
    "users.info": FakeSlackApi._users_info,
    "users.lookupByEmail": FakeSlackApi._lookup_by_email,
    "conversations.open": FakeSlackApi._conversations_open,
    **slack_rooms.METHODS,
}


def _error(error: str) -> dict[str, Any]:
    return {"ok": False, "error": error}


class _RawJson(str):
    """A body sent as-is with a JSON content type, even though it is not JSON."""


def _dm_channel(channel: str) -> str:
    """Slack lets you post to a user id; the message lands in the DM "D<user>"."""
    return f"D{channel}" if channel[:1] in ("U", "W") else channel


def _bearer(value: str | None) -> str | None:
    if value and value.startswith("Bearer "):
        return value[len("Bearer ") :]
    return None


def _parse_args(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Merge query-string, form and JSON args the way Slack's API accepts them."""
    args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    if body:
        if "json" in content_type:
            args.update(json.loads(body))
        elif "x-www-form-urlencoded" in content_type:
            form = parse_qs(body.decode(), keep_blank_values=True)
            args.update({k: v[-1] for k, v in form.items()})
    for key in _JSON_ARGS:  # form bodies carry these as JSON strings
        if isinstance(args.get(key), str) and args[key][:1] in ("[", "{"):
            args[key] = json.loads(args[key])
    return args


class _Handler(BaseHTTPRequestHandler):
    """Thin HTTP shell around FakeSlackApi._handle."""

    # HTTP/1.1 with keep-alive, as slack.com speaks it: a client that reuses its connections
    # is measured as it would run in production. An idle connection's thread is a daemon.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, the second waits for
    # the client's delayed ACK (40 ms) on every kept-alive request.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake: FakeSlackApi = self.server.fake  # type: ignore[attr-defined]
        status, out_headers, payload = fake._handle(self.command, self.path, headers, body)
        self.send_response(status)
        for name, value in out_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence per-request stderr logging; the fake records calls instead."""
