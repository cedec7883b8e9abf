"""What a signal means here: its integration's reading of severity, service, team and group."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from domain.event_settings import Integration, Severity
from domain.events.signals import KEY_LENGTH, Signal
from domain.policy import DeskPolicy

ORDER = {"P1": 1, "P2": 2, "P3": 3, "P4": 4, "P5": 5}


@dataclass(frozen=True)
class Reading:
    """A signal as this desk reads it."""

    classification: str  # informational | warning | exception
    priority: str | None
    service: str | None  # a service of the catalogue, or None
    team: str | None  # the service's owner, else the triage team
    group_key: str


def read(policy: DeskPolicy, integration: Integration, signal: Signal) -> Reading:
    """Classify a signal and find its service, team and group."""
    if signal.source == "heartbeat":  # a silent job: always worth an incident
        beat = policy.events.heartbeats.get(signal.key.removeprefix("heartbeat:"))
        severity = Severity("exception", beat.priority if beat else "P3")
        named = signal.service or integration.service
    else:
        severity = integration.severity(signal.severity)
        named = integration.service_for(signal.labels, signal.service)
    service = policy.services.get(named.lower()) if named else None
    team = service.owner if service is not None else policy.triage_team
    return Reading(
        severity.classification,
        severity.priority or ("P3" if severity.classification == "exception" else None),
        service.name if service is not None else None,
        team,
        group_key(integration, signal),
    )


def group_key(integration: Integration, signal: Signal) -> str:
    """The group a signal belongs to: the configured labels' values, else the source's own
    grouping (Alertmanager's groupKey), else the event alone."""
    if integration.group_by:
        values = "\x1f".join(signal.labels.get(name, "") for name in integration.group_by)
        return fit("labels:" + values)
    if signal.group:
        return fit("group:" + signal.group)
    return fit("key:" + signal.key)


def fit(key: str) -> str:
    """A key that fits its column: long ones (Alertmanager's groupKeys) keep their start
    and a digest of the whole, so two long keys never collide."""
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return key[: KEY_LENGTH - 33] + "~" + digest


def levels_for(policy: DeskPolicy, priority: str) -> tuple[str, str]:
    """An impact and urgency that the priority matrix turns into `priority` (equal levels
    preferred), so an incident opened by an event has the mapping's priority."""
    pairs = [(i, u) for i, row in policy.matrix.items() for u, p in row.items() if p == priority]
    if not pairs:
        return "medium", "medium"
    pairs.sort(key=lambda pair: (pair[0] != pair[1], pair))
    return pairs[0]


def highest(priorities: list[str | None]) -> str | None:
    """The most urgent of these priorities."""
    known = [p for p in priorities if p in ORDER]
    return min(known, key=ORDER.__getitem__) if known else None
