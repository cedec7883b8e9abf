"""What the routes answer: JSON bodies, and one log line per refusal (never a token or a
body: a token may sit in the query string, which is why only the path is logged)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

log = logging.getLogger("adapters.monitoring")

# Seconds a sender is asked to wait when we are overloaded; Alertmanager retries 5xx
# on its own schedule, other senders may honour the header.
RETRY_AFTER = "5"


def answer(status: int, body: dict[str, Any]) -> JSONResponse:
    """A JSON answer."""
    headers = {"Retry-After": RETRY_AFTER} if status == 503 else None
    return JSONResponse(body, status_code=status, headers=headers)


def refused(request: Request, status: int, reason: str) -> JSONResponse:
    """An error answer `{"error": reason}`, logged in one line."""
    note(request, status, reason)
    return answer(status, {"error": reason})


def note(request: Request, status: int, reason: str) -> None:
    """Log a refusal: the route, the status and why."""
    log.info("monitoring: refused %s %s: %d %s", request.method, request.url.path, status, reason)
