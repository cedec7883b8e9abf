"""HTTP plumbing of the fake Discord REST API: recording, auth, fault injection, responses.

Every response body is JSON sent with ``Content-Type: application/json`` *exactly*:
discord.py's ``json_or_text`` (discord/http.py) compares the header with ``==``, so aiohttp's
usual ``application/json; charset=utf-8`` would make it treat bodies as plain text.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .discord_server import FakeDiscord

JSON = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_PREFIX = "/api/v10"

try:  # typed request/response storage keys (aiohttp >= 3.12); plain strings before that
    BODY_KEY: Any = web.RequestKey("fake_discord_body", object)
    JSON_KEY: Any = web.ResponseKey("fake_discord_json", object)
except AttributeError:  # pragma: no cover - older aiohttp
    BODY_KEY, JSON_KEY = "fake_discord_body", "fake_discord_json"

#: Routes discord.py calls without a bot token (interaction webhooks) or that need none.
_NO_AUTH_PREFIXES = ("/interactions/", "/webhooks/")


def json_response(
    data: Any, status: int = 200, *, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response with the exact content type discord.py requires."""
    resp = web.Response(
        body=json.dumps(data).encode("utf-8"),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    resp[JSON_KEY] = data
    return resp


def error_response(
    status: int, message: str, code: int = 0, errors: JSON | None = None
) -> web.Response:
    """Discord's error body shape ``{"message", "code"[, "errors"]}``."""
    body: JSON = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return json_response(body, status)


def no_content() -> web.Response:
    """HTTP 204 with no body (what Discord answers e.g. to callbacks without ``with_response``)."""
    return web.Response(status=204)


def bucket_hash(method: str, route: str) -> str:
    """A stable fake ``X-RateLimit-Bucket`` per route template."""
    return hashlib.md5(f"{method} {route}".encode()).hexdigest()


def truthy(value: str | None) -> bool:
    """Query-string booleans as discord.py sends them ("1"/"true")."""
    return (value or "").lower() in ("1", "true")


@dataclass
class RecordedCall:
    """One REST request the fake received, and what it answered."""

    method: str
    #: Path without the ``/api/v10`` prefix, e.g. ``/channels/123/messages``.
    path: str
    query: dict[str, str]
    #: JSON body, or the parsed ``payload_json`` part of a multipart body; None if no body.
    json: Any
    #: Multipart file parts: ``{"field", "filename", "content_type", "size", "data"}``.
    files: list[JSON]
    headers: dict[str, str]
    #: Route template, e.g. ``/channels/{channel_id}/messages`` ("<unhandled>" if no route).
    route: str = ""
    status: int = 0
    response: Any = None
    at: float = 0.0

    @property
    def ok(self) -> bool:
        """True for 2xx answers."""
        return 200 <= self.status < 300


@dataclass
class FaultRule:
    """An injected failure: answer ``status`` for matching calls while active."""

    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int | None
    until: float | None
    retry_after: float = 0.0
    is_global: bool = False
    scope: str = "user"
    cloudflare: bool = False
    hits: int = 0

    def active(self, now: float) -> bool:
        """Still has budget (count) and time left (duration)."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.until is None or now < self.until

    def matches(self, method: str, path: str) -> bool:
        """Method (or "*") and path pattern match."""
        return self.method in ("*", method) and self.pattern.fullmatch(path) is not None


def compile_path_pattern(pattern: str) -> re.Pattern[str]:
    """``*`` matches one path segment, a trailing ``/**`` any rest, a lone ``*`` everything."""
    if pattern in ("*", "**"):
        return re.compile(r".*")
    tail = ""
    if pattern.endswith("/**"):
        pattern, tail = pattern[:-3], r"(/.*)?"
    parts = [r"[^/]+" if seg == "*" else re.escape(seg) for seg in pattern.split("/")]
    return re.compile("/".join(parts) + tail)


def make_middleware(fake: FakeDiscord) -> Any:
    """Middleware: record the call, apply faults and auth, run the route, add rate-limit headers."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record the call, apply faults and auth, run the route, stamp rate-limit headers."""
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)  # the gateway websocket
        path = request.path[len(API_PREFIX) :]
        body, files = await read_body(request)
        resource = getattr(request.match_info.route, "resource", None)
        route = resource.canonical[len(API_PREFIX) :] if resource is not None else "<unhandled>"
        call = RecordedCall(
            method=request.method,
            path=path,
            query=dict(request.query),
            json=body,
            files=files,
            headers={
                k: v
                for k, v in request.headers.items()
                if k.lower()
                in ("authorization", "content-type", "x-audit-log-reason", "user-agent")
            },
            route=route,
            at=time.monotonic(),
        )
        fake.requests.append(call)
        request[BODY_KEY] = body
        fault = fake._match_fault(request.method, path)
        if fault is not None:
            resp = fault_response(fault, request.method, route)
        elif (
            not path.startswith(_NO_AUTH_PREFIXES)
            and path != "/gateway"
            and request.headers.get("Authorization") != f"Bot {fake.token}"
        ):
            resp = error_response(401, "401: Unauthorized")
        else:
            try:
                resp = await handler(request)
            except web.HTTPException as exc:  # unknown route / wrong method
                resp = error_response(exc.status, f"{exc.status}: {exc.reason}")
        if (
            200 <= resp.status < 300
            and "X-RateLimit-Bucket" not in resp.headers
            and resp.status != 204
        ):
            # Generous, never-exhausted bucket so discord.py never pre-emptively sleeps.
            resp.headers.update(
                {
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "4",
                    "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                    "X-RateLimit-Reset-After": "1.000",
                    "X-RateLimit-Bucket": bucket_hash(request.method, route),
                }
            )
        call.status = resp.status
        call.response = resp.get(JSON_KEY)
        fake._notify()
        return resp

    return middleware


async def read_body(request: web.Request) -> tuple[Any, list[JSON]]:
    """Parse a JSON or multipart (``payload_json`` + ``files[n]``) body."""
    ctype = request.content_type
    if ctype == "application/json":
        raw = await request.read()
        return (json.loads(raw) if raw else None), []
    if ctype == "multipart/form-data":
        form = await request.post()
        body: Any = None
        files: list[JSON] = []
        for name, value in form.items():
            if name == "payload_json":
                body = json.loads(value if isinstance(value, str) else value.file.read())
            elif isinstance(value, web.FileField):
                data = value.file.read()
                files.append(
                    {
                        "field": name,
                        "filename": value.filename,
                        "content_type": value.content_type,
                        "size": len(data),
                        "data": data,
                    }
                )
        return body, files
    return None, []


def fault_response(rule: FaultRule, method: str, route: str) -> web.Response:
    """429 with every header discord.py reads (JSON body), or a JSON 5xx error."""
    if rule.status == 429:
        if rule.cloudflare:
            # Cloudflare ban: HTML, no Via header -> discord.py raises instead of retrying.
            return web.Response(
                status=429,
                text="<html><body>Error 1015: You are being rate limited</body></html>",
                content_type="text/html",
                headers={"Retry-After": "60"},
            )
        retry = rule.retry_after
        headers = {
            "Retry-After": str(max(1, math.ceil(retry))),
            "X-RateLimit-Scope": "global" if rule.is_global else rule.scope,
            # discord.py treats a 429 *without* a Via header as a Cloudflare ban (discord/http.py).
            "Via": "1.1 google",
        }
        if rule.is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update(
                {
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                    "X-RateLimit-Reset-After": f"{retry:.3f}",
                    "X-RateLimit-Bucket": bucket_hash(method, route),
                }
            )
        body: JSON = {
            "message": "You are being rate limited.",
            "retry_after": retry,
            "global": rule.is_global,
        }
        if rule.is_global:
            body["code"] = 0
        return json_response(body, 429, headers=headers)
    # Real 502/504s often come from Cloudflare as HTML; discord.py retries 500/502/504/524 the
    # same way whatever the body, so keep the "always JSON" rule here.
    reasons = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    return error_response(rule.status, f"{rule.status}: {reasons.get(rule.status, 'Error')}")
