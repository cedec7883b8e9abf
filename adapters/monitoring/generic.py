"""POST /api/v1/events: a generic JSON event, or a list of them, for any tool that can
send a webhook; GoAlert's generic-API body is read too.

Fields: `key` (the event's identity), `summary`, `severity`, `status` (firing | resolved |
acknowledged, or trigger | resolve | acknowledge), `service`, `source`, `details`,
`labels`, and optionally `url` and `at`. GoAlert's names mean the same: `dedup` is the
key, `meta` the labels, `action: "close"` a resolve. A trigger without a key gets one
(answered back, to resolve it later); a resolve or acknowledge without one is a 400.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from adapters.monitoring import fields
from adapters.monitoring.answers import answer, refused
from adapters.monitoring.auth import integration_for
from adapters.monitoring.body import Refused, parse_json, read_body
from adapters.monitoring.door import Door, Handler
from adapters.monitoring.vocabulary import action_of
from domain.events.signals import Signal


def read_events(body: Any) -> list[Signal]:
    """The signals of a body: one object, or a list of them."""
    if isinstance(body, dict):
        return [_signal(body, "")]
    if not isinstance(body, list):
        raise fields.Problem("body", "not an event object or a list of them")
    if not body:
        raise fields.Problem("body", "the list has no events")
    return [_signal(item, f"[{i}]") for i, item in enumerate(body)]


def _signal(event: Any, path: str) -> Signal:
    if not isinstance(event, dict):
        raise fields.Problem(path or "body", "not an object")
    at = f"{path}." if path else ""
    status_name = "status" if "status" in event else "action"
    status = fields.text(event.get(status_name), at + status_name)
    action = action_of(status) if status else "trigger"
    if action is None:
        raise fields.Problem(at + status_name, "must be firing, resolved or acknowledged")
    key_name = "key" if event.get("key") not in (None, "") else "dedup"
    key = fields.text(event.get(key_name), at + key_name)
    key = fields.clean(key) if key else key  # a key of NUL characters is no key
    if not key:
        if action != "trigger":
            raise fields.Problem(at + "key", f"required to {action} an event")
        key = uuid.uuid4().hex
    labels_name = "labels" if "labels" in event else "meta"
    labels = fields.labels(event.get(labels_name), at + labels_name)
    source = fields.text(event.get("source"), at + "source")
    if source and "source" not in labels:
        labels = {**labels, "source": source}
    return Signal(
        source="generic",
        key=fields.key(key),
        action=action,
        summary=fields.summary(fields.text(event.get("summary"), at + "summary")),
        severity=fields.severity(fields.text(event.get("severity"), at + "severity")),
        service=fields.service(fields.text(event.get("service"), at + "service")),
        labels=labels,
        details=fields.details(event.get("details")),
        url=fields.url(fields.text(event.get("url"), at + "url")),
        at=fields.timestamp(event.get("at")),
    )


def generic_route(door: Door) -> Handler:
    """The route's handler."""

    async def receive(request: Request) -> Response:
        settings = door.settings
        integration = integration_for(request, settings, "generic")
        if integration is None:
            return refused(request, 401, "no valid token for a generic integration")
        if await door.overloaded():
            return refused(request, 503, "overloaded: events are not being processed fast enough")
        try:
            signals = read_events(parse_json(await read_body(request, settings.max_event_bytes)))
        except Refused as refusal:
            return refused(request, refusal.status, refusal.reason)
        if not await door.store(integration.name, signals):
            return refused(request, 503, "the events could not be stored; try again")
        return answer(202, {"status": "accepted", "keys": [s.key for s in signals]})

    return receive
