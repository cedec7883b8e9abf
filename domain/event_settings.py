"""The `events:` section of deskbot.yaml as plain values: integrations, correlation,
flapping, maintenance windows and heartbeats.

Beside `domain/events/` (not in it) so the config reads it without importing SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

KINDS = ("alertmanager", "pagerduty", "generic")
CLASSES = ("informational", "warning", "exception")
# What a source's severity means when an integration does not say (lower-case names).
DEFAULT_SEVERITIES: dict[str, tuple[str, str | None]] = {
    "critical": ("exception", "P2"),
    "page": ("exception", "P2"),
    "error": ("exception", "P3"),
    "warning": ("warning", None),
    "info": ("informational", None),
    "informational": ("informational", None),
    "none": ("informational", None),
}
# A severity nobody mapped: worth keeping, not worth waking anyone.
UNKNOWN_SEVERITY = ("warning", None)
# An alert is ~0.5–1 KB; the Alertmanager route takes this much per alert of `max_alerts`.
BYTES_PER_ALERT = 4096


@dataclass(frozen=True)
class Severity:
    """What one severity of a source means here."""

    classification: str  # informational | warning | exception
    priority: str | None = None  # P1–P5: the priority of the incident an exception opens


@dataclass(frozen=True)
class ServiceRule:
    """Events whose labels match all of `labels` belong to `service`."""

    labels: tuple[tuple[str, str], ...]
    service: str

    def matches(self, labels: dict[str, str]) -> bool:
        """True when every label of the rule has the same value in `labels`."""
        return all(labels.get(name) == value for name, value in self.labels)


@dataclass(frozen=True)
class Integration:
    """One monitoring source allowed to send events, and how to read them."""

    name: str
    kind: str  # alertmanager | pagerduty | generic
    token: str | None  # None: unset (its environment variable is empty): every request is 401
    service: str | None = None  # the default service of its events
    services: tuple[ServiceRule, ...] = ()
    severities: dict[str, Severity] = field(default_factory=dict)
    # Labels whose values put events in one group (one incident); empty: Alertmanager's
    # groupKey, or each event on its own for the other kinds.
    group_by: tuple[str, ...] = ()
    token_env: str | None = None  # where the token came from, for messages (never the token)

    def severity(self, name: str | None) -> Severity:
        """The meaning of a source severity: the integration's mapping, else the defaults."""
        name = (name or "").strip().lower()
        if name in self.severities:
            return self.severities[name]
        classification, priority = DEFAULT_SEVERITIES.get(name, UNKNOWN_SEVERITY)
        return Severity(classification, priority)

    def service_for(self, labels: dict[str, str], named: str | None) -> str | None:
        """The service of an event: the first matching rule, the one the event names, the
        integration's default (names are checked against the catalogue by the caller)."""
        for rule in self.services:
            if rule.matches(labels):
                return rule.service
        return named or labels.get("service") or self.service


@dataclass(frozen=True)
class RecurringWindow:
    """A maintenance window that comes back every week: events inside are stored, not raised."""

    service: str
    days: tuple[int, ...]  # 0 = Monday … 6 = Sunday
    start: time
    end: time  # may be before `start`: the window runs past midnight
    zone: str  # an IANA zone name
    reason: str = "scheduled maintenance"


@dataclass(frozen=True)
class Heartbeat:
    """A batch job or backup that must check in every `every` (plus `grace`)."""

    name: str
    integration: str  # its token authenticates the heartbeat
    every: timedelta
    grace: timedelta = timedelta(minutes=5)
    service: str | None = None
    priority: str = "P3"
    summary: str = ""  # default: "No heartbeat from NAME since …"


@dataclass(frozen=True)
class EventSettings:
    """The whole `events:` section."""

    integrations: dict[str, Integration] = field(default_factory=dict)
    # A new firing in a group whose incident was resolved less than this ago reopens it.
    reopen_window: timedelta = timedelta(hours=1)
    # More than `flap_changes` state changes of a group within `flap_window`: flapping.
    flap_changes: int = 6
    flap_window: timedelta = timedelta(minutes=10)
    # Alertmanager's webhook `max_alerts` to pair with: the route's body limit follows it.
    max_alerts: int = 2000
    # The other routes' body limit (one event or heartbeat).
    max_event_bytes: int = 64 * 1024
    # Signals accepted but not yet processed beyond which the routes answer 503.
    max_backlog: int = 200_000
    windows: tuple[RecurringWindow, ...] = ()
    heartbeats: dict[str, Heartbeat] = field(default_factory=dict)

    @property
    def alertmanager_bytes(self) -> int:
        """The Alertmanager route's body limit: a full group of `max_alerts` alerts."""
        return max(self.max_alerts * BYTES_PER_ALERT, 1024 * 1024)

    def by_token(self, kind: str | None, token: str) -> Integration | None:
        """The integration (of `kind`, if given) whose token this is."""
        for integration in self.integrations.values():
            if integration.token is None or (kind and integration.kind != kind):
                continue
            if _same(integration.token, token):
                return integration
        return None


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())
