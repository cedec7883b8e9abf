"""POST /api/v1/heartbeats/NAME: a batch job or backup checking in (`curl -X POST`).

NAME must be a configured heartbeat, and the token its integration's. A token that
belongs to no integration is refused before the name is looked at, so a stranger cannot
find out which heartbeats exist. The body, if any, is read (within the limit) and not
kept: the check-in is the news.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response

from adapters.monitoring.answers import answer, refused
from adapters.monitoring.auth import presented_token
from adapters.monitoring.body import Refused, read_body
from adapters.monitoring.door import Door, Handler
from domain.events.signals import Signal


def heartbeat_route(door: Door) -> Handler:
    """The route's handler."""

    async def receive(request: Request) -> Response:
        settings = door.settings
        name = request.path_params["name"]
        token = presented_token(request)
        if not token or settings.by_token(None, token) is None:
            return refused(request, 401, "no valid token")
        heartbeat = settings.heartbeats.get(name)
        if heartbeat is None:
            return refused(request, 404, f"no heartbeat named {name[:64]!r}")
        integration = settings.integrations.get(heartbeat.integration)
        if integration is None or not _same(integration.token, token):
            return refused(request, 401, f"the token is not the one of heartbeat {name!r}")
        if await door.overloaded():
            return refused(request, 503, "overloaded: events are not being processed fast enough")
        try:
            await read_body(request, settings.max_event_bytes)
        except Refused as refusal:
            return refused(request, refusal.status, refusal.reason)
        signal = Signal(source="heartbeat", key=name, action="checkin")
        if not await door.store(integration.name, [signal]):
            return refused(request, 503, "the heartbeat could not be stored; try again")
        return answer(202, {"status": "accepted", "heartbeat": name})

    return receive


def _same(expected: str | None, presented: str) -> bool:
    """The presented token is `expected`, compared in constant time (None: unset)."""
    return expected is not None and hmac.compare_digest(expected.encode(), presented.encode())
