"""POST /v2/enqueue: PagerDuty's Events API v2, so any tool that can page PagerDuty can
raise events here by changing one address.

The request and the answers are PagerDuty's (developer.pagerduty.com, "Send an Alert
Event"; PagerDuty/api-schema, events-v2): 202 `{"status": "success", "message": "Event
processed", "dedup_key": …}`; 400 `{"status": "invalid event", "message": "Event object
is invalid", "errors": [...]}` for an unknown routing key ("Invalid routing key") or
missing and invalid fields, every problem listed; 400 `{"status": "Unrecognized object",
"message": "Event object format is unrecognized", "errors": ["JSON parse error"]}` for a
body that is not JSON. The routing key is the token of an integration of kind pagerduty;
the key is in the body, so a bad one is PagerDuty's 400, not our 401.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from adapters.monitoring import fields
from adapters.monitoring.answers import answer, note
from adapters.monitoring.body import NotJson, Refused, parse_json, read_body
from adapters.monitoring.door import Door, Handler
from domain.event_settings import EventSettings, Integration
from domain.events.signals import Signal

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
SUMMARY_MAX = 1024  # PagerDuty's limit; the records keep the first SUMMARY_LENGTH
DEDUP_KEY_MAX = 255
INVALID = ("invalid event", "Event object is invalid")
UNRECOGNIZED = ("Unrecognized object", "Event object format is unrecognized")


class Invalid(Exception):
    """An event PagerDuty would refuse: its 400 with every problem in `errors`."""

    def __init__(self, errors: list[str], kind: tuple[str, str] = INVALID) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
        self.kind = kind


def routing_integration(
    body: dict[str, Any], header: str | None, settings: EventSettings
) -> Integration:
    """The pagerduty integration whose token is the event's routing_key, else Invalid.

    The key belongs in the body; `X-Routing-Key` is read too, since older PagerDuty client
    libraries sent it there.
    """
    key = body.get("routing_key")
    if not isinstance(key, str) or not key:
        key = header or ""
    integration = settings.by_token("pagerduty", key) if key else None
    if integration is None:
        raise Invalid(["Invalid routing key"])
    return integration


def read_event(body: dict[str, Any]) -> Signal:
    """The signal of a valid event, or Invalid listing every problem as PagerDuty words it."""
    errors: list[str] = []
    action = body.get("event_action")
    if action is None or action == "":
        errors.append("'event_action' is missing or blank")
    elif action not in ACTIONS:
        errors.append("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string")
        dedup_key = None
    elif dedup_key is not None:
        # NUL is no character a key can keep (PostgreSQL refuses it): a key of NULs is blank.
        dedup_key = fields.clean(dedup_key)
    if dedup_key and len(dedup_key) > DEDUP_KEY_MAX:
        errors.append(f"Length of 'dedup_key' is too long (maximum is {DEDUP_KEY_MAX} characters)")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append("'dedup_key' is missing or blank")
    payload: dict[str, Any] = {}
    if action == "trigger":
        payload = _payload(body.get("payload"), errors)
    if errors:
        raise Invalid(errors)
    if action != "trigger":  # an acknowledge or resolve names its alert and nothing more
        return Signal(source="pagerduty", key=fields.key(dedup_key), action=action)
    return Signal(
        source="pagerduty",
        # PagerDuty generates a key for a trigger without one (and returns it).
        key=fields.key(dedup_key) if dedup_key else uuid.uuid4().hex,
        action="trigger",
        summary=fields.summary(payload["summary"]),
        severity=payload["severity"].lower(),
        labels={
            name: fields.label_value(payload[name])
            for name in ("source", "component", "group", "class")
            if payload.get(name) is not None
        },
        details=fields.details(payload.get("custom_details")),
        url=_link(body),
        at=fields.timestamp(payload.get("timestamp")),
    )


def _payload(value: Any, errors: list[str]) -> dict[str, Any]:
    """A trigger's payload, its required fields checked (problems added to `errors`)."""
    if value is None:
        errors.append("'payload' is missing or blank")
        return {}
    if not isinstance(value, dict):
        errors.append("'payload' must be an object")
        return {}
    for name in ("summary", "source", "severity"):
        field = value.get(name)
        if field is None or (isinstance(field, str) and not field.strip()):
            errors.append(f"'payload.{name}' is missing or blank")
        elif not isinstance(field, str):
            errors.append(f"'payload.{name}' must be a string")
    summary = value.get("summary")
    if isinstance(summary, str) and len(summary) > SUMMARY_MAX:
        errors.append(
            f"Length of 'payload.summary' is too long (maximum is {SUMMARY_MAX} characters)"
        )
    severity = value.get("severity")
    if isinstance(severity, str) and severity.strip() and severity.lower() not in SEVERITIES:
        errors.append(
            "'payload.severity' is invalid (must be one of: critical, error, warning, info)"
        )
    return value


def _link(body: dict[str, Any]) -> str | None:
    """The first link's href, else the client's URL (both optional context)."""
    links = body.get("links")
    if isinstance(links, list) and links and isinstance(links[0], dict):
        href = links[0].get("href")
        if isinstance(href, str) and href:
            return fields.url(href)
    client_url = body.get("client_url")
    return fields.url(client_url) if isinstance(client_url, str) else None


def _refused(request: Request, status: int, kind: tuple[str, str], errors: list[str]) -> Response:
    note(request, status, "; ".join(errors))
    return answer(status, {"status": kind[0], "message": kind[1], "errors": errors})


def _unavailable(request: Request, reason: str) -> Response:
    note(request, 503, reason)
    return answer(503, {"status": "unavailable", "message": reason})


def pagerduty_route(door: Door) -> Handler:
    """The route's handler."""

    async def receive(request: Request) -> Response:
        settings = door.settings
        try:
            body = parse_json(await read_body(request, settings.max_event_bytes))
        except NotJson:
            return _refused(request, 400, UNRECOGNIZED, ["JSON parse error"])
        except Refused as refusal:
            kind = ("Request too large", refusal.reason) if refusal.status == 413 else INVALID
            return _refused(request, refusal.status, kind, [refusal.reason])
        if not isinstance(body, dict):
            return _refused(request, 400, UNRECOGNIZED, ["Event object is not a JSON object"])
        try:
            integration = routing_integration(body, request.headers.get("x-routing-key"), settings)
            signal = read_event(body)
        except Invalid as invalid:
            return _refused(request, 400, invalid.kind, invalid.errors)
        if await door.overloaded():
            return _unavailable(request, "Events are not being processed fast enough; retry")
        if not await door.store(integration.name, [signal]):
            return _unavailable(request, "The event could not be stored; retry")
        return JSONResponse(
            {"status": "success", "message": "Event processed", "dedup_key": signal.key},
            status_code=202,
        )

    return receive
