"""POST /api/v1/events/alertmanager: Alertmanager's webhook (version 4), and Grafana's
Alertmanager-compatible webhook, which has the same fields and a few more.

Alertmanager sends a whole group each time (firing and resolved alerts of one groupKey),
retries on 5xx and drops what gets a 4xx; its `max_alerts` caps the group, and this
route's body limit (`EventSettings.alertmanager_bytes`) follows the `max_alerts` setting.
"""

from __future__ import annotations

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


def read_alerts(body: Any) -> list[Signal]:
    """The signals of a webhook body: one per alert."""
    if not isinstance(body, dict):
        raise fields.Problem("body", "not a JSON object")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise fields.Problem("alerts", "missing" if alerts is None else "not a list")
    group_key = fields.text(body.get("groupKey"), "groupKey")
    group = fields.key(group_key) if group_key else None
    group_status = body.get("status")
    return [_signal(alert, f"alerts[{i}]", group, group_status) for i, alert in enumerate(alerts)]


def _signal(alert: Any, path: str, group: str | None, group_status: Any) -> Signal:
    if not isinstance(alert, dict):
        raise fields.Problem(path, "not an object")
    labels = fields.labels(alert.get("labels"), f"{path}.labels")
    annotations = fields.obj(alert.get("annotations"), f"{path}.annotations")
    status = fields.text(alert.get("status", group_status), f"{path}.status")
    resolved = bool(status) and action_of(status) == "resolve"
    fingerprint = fields.text(alert.get("fingerprint"), f"{path}.fingerprint")
    fingerprint = fields.clean(fingerprint) if fingerprint else fingerprint  # NULs: none
    summary = (
        fields.text(annotations.get("summary"), f"{path}.annotations.summary")
        or fields.text(annotations.get("description"), f"{path}.annotations.description")
        or labels.get("alertname")
    )
    starts = fields.timestamp(alert.get("startsAt"))
    ends = fields.timestamp(alert.get("endsAt"))
    return Signal(
        source="alertmanager",
        key=fields.key(fingerprint) if fingerprint else fields.label_hash(labels),
        action="resolve" if resolved else "trigger",
        summary=fields.summary(summary),
        severity=fields.severity(labels.get("severity")),
        group=group,
        labels=labels,
        details=annotations,
        url=fields.url(fields.text(alert.get("generatorURL"), f"{path}.generatorURL")),
        # A resolved alert happened when it ended; a firing one when it started.
        at=(ends or starts) if resolved else (starts or ends),
    )


def alertmanager_route(door: Door) -> Handler:
    """The route's handler."""

    async def receive(request: Request) -> Response:
        settings = door.settings
        integration = integration_for(request, settings, "alertmanager")
        if integration is None:
            return refused(request, 401, "no valid token for an alertmanager integration")
        if await door.overloaded():
            return refused(request, 503, "overloaded: events are not being processed fast enough")
        try:
            signals = read_alerts(parse_json(await read_body(request, settings.alertmanager_bytes)))
        except Refused as refusal:
            return refused(request, refusal.status, refusal.reason)
        if signals and not await door.store(integration.name, signals):
            return refused(request, 503, "the events could not be stored; try again")
        return answer(200, {"status": "accepted", "alerts": len(signals)})

    return receive
