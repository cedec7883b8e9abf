"""A signal: one event report from a source, as every adapter hands it over.

The monitoring adapter turns Alertmanager alerts, PagerDuty events, generic events and
heartbeats into signals; the inbox stores them as JSON (`as_json`); processing reads them
back (`from_json`). Nothing platform-specific survives past this shape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# "checkin": a heartbeat arrived (source "heartbeat", key = its name).
ACTIONS = ("trigger", "acknowledge", "resolve", "checkin")
SOURCES = ("alertmanager", "pagerduty", "generic", "heartbeat")
# Lengths the records keep; adapters cut to them so nothing is refused for a long label.
KEY_LENGTH = 255
SUMMARY_LENGTH = 500


@dataclass(frozen=True)
class Signal:
    """One report about one event."""

    source: str  # alertmanager | pagerduty | generic | heartbeat
    key: str  # the source's identity: fingerprint, dedup_key, generic key, heartbeat name
    action: str  # trigger | acknowledge | resolve | checkin
    summary: str = ""
    severity: str | None = None  # as the source says it (lower-cased)
    group: str | None = None  # the source's grouping (Alertmanager groupKey), if any
    service: str | None = None  # a service the event names itself
    labels: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    url: str | None = None
    at: str | None = None  # ISO 8601: when the source says it happened

    def as_json(self) -> dict[str, Any]:
        """The signal as the inbox stores it (defaults left out)."""
        data = asdict(self)
        return {k: v for k, v in data.items() if v not in (None, {}, "")} | {
            "source": self.source,
            "key": self.key,
            "action": self.action,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Signal:
        """A signal the inbox stored."""
        return cls(
            source=data["source"],
            key=data["key"],
            action=data["action"],
            summary=data.get("summary", ""),
            severity=data.get("severity"),
            group=data.get("group"),
            service=data.get("service"),
            labels=data.get("labels") or {},
            details=data.get("details") or {},
            url=data.get("url"),
            at=data.get("at"),
        )
