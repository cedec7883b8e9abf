"""Reading a request's body: the size limit first, then strict JSON.

A body over the limit is refused (413) as soon as that is known: from its Content-Length
before a byte is read, else while it streams in (a sender may leave the length out, or
send more than it declared). JSON is parsed strictly: NaN and Infinity, nesting deeper
than the parser can follow, and text that cannot be stored (a lone UTF-16 surrogate) are
a 400, so nothing accepted fails later when it is stored or processed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import ClientDisconnect, Request


class Refused(Exception):
    """A request turned away: the HTTP status and what to tell the sender."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class NotJson(Refused):
    """A body that is not JSON at all (PagerDuty answers this one differently)."""

    def __init__(self, reason: str) -> None:
        super().__init__(400, reason)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or Refused(413) as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isascii() or not declared.isdigit():
            raise Refused(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise Refused(413, f"the body is over the limit of {limit} bytes")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:  # sent without (or beyond) its declared length
                raise Refused(413, f"the body is over the limit of {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise Refused(400, "the sender went away before the body was complete") from None
    return b"".join(chunks)


# A \uD800–\uDFFF escape: the only way JSON text can carry a lone surrogate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    """The body as JSON, or NotJson naming why not."""
    if not body.strip():
        raise NotJson("the body is empty (expected JSON)")
    try:
        data = json.loads(body, parse_constant=_no_constants)
    except RecursionError:
        raise NotJson("the body is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, over-long integers
        raise NotJson(f"the body is not JSON ({_short(exc)})") from None
    if _SURROGATE_ESCAPE.search(body):
        # Surrogate pairs decode to one character; a lone one cannot be stored as UTF-8.
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise NotJson("the body has an invalid \\u escape (a lone surrogate)") from None
    return data


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120]
