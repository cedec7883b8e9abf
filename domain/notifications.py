"""Writing notifications into the outbox, in the same transaction as the change."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from domain.context import DeskContext
from domain.people import PLATFORM_ID_FIELDS
from domain.records import IncidentRecord, OutboxMessage, PersonRecord


def incident_snapshot(incident: IncidentRecord) -> dict[str, Any]:
    """The incident as templates see it, frozen at the moment of the notification."""
    return {
        "number": incident.id,
        "key": incident.key,
        "title": incident.title,
        "description": incident.description,
        "reporter": incident.reporter,
        "service": incident.service,
        "category": incident.category,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "priority": incident.priority,
        "group": incident.assignment_group,
        "assignee": incident.assignee,
        "state": incident.state,
        "hold_reason": incident.hold_reason,
        "resolution": incident.resolution,
        "breached": incident.breached,
        "opened_at": incident.opened_at.isoformat(),
    }


def notify_channel(
    ctx: DeskContext,
    channel: str | None,
    kind: str,
    *,
    incident: IncidentRecord | None = None,
    **context: Any,
) -> int:
    """Queue a post to a logical channel on every platform that has an address for it."""
    if not channel or channel not in ctx.policy.channels:
        return 0
    addresses = ctx.policy.channels[channel].addresses
    platforms = [p for p in ctx.platforms if p == "console" or p in addresses]
    return _queue(ctx, platforms, "channel", channel, kind, incident, context)


def notify_person(
    ctx: DeskContext,
    person: str | None,
    kind: str,
    *,
    incident: IncidentRecord | None = None,
    **context: Any,
) -> int:
    """Queue a direct message to a person on every platform where we can reach them."""
    if not person:
        return 0
    chat = [p for p in ctx.platforms if p != "console"]
    platforms = ["console"] if "console" in ctx.platforms else []
    if chat:  # only chat platforms need the person's ids, so only they cost a query
        record = ctx.session.scalar(select(PersonRecord).where(PersonRecord.name == person))
        if record is not None:
            platforms += [p for p in chat if getattr(record, PLATFORM_ID_FIELDS.get(p, ""), None)]
    return _queue(ctx, platforms, "dm", person, kind, incident, context)


def _queue(ctx, platforms, destination_kind, destination, kind, incident, context) -> int:
    now = ctx.clock.now()
    if incident is not None:
        context = {"incident": incident_snapshot(incident), **context}
    body = json.dumps(context, default=str)
    for platform in platforms:
        ctx.session.add(
            OutboxMessage(
                created_at=now,
                platform=platform,
                kind=kind,
                destination_kind=destination_kind,
                destination=destination,
                incident_id=incident.id if incident is not None else None,
                context=body,
                status="pending",
                attempts=0,
                next_attempt_at=now,
            )
        )
    return len(platforms)
