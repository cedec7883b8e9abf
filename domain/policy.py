"""The desk's rules as plain values: people, teams, services, priorities, SLAs, routing.

The bot layer builds a `DeskPolicy` from the YAML configuration; the domain only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from domain.directory import PasswordPolicy
from domain.event_settings import EventSettings
from domain.major_settings import MajorSettings
from domain.metrics_settings import MetricsSettings
from domain.oncall_settings import OncallSettings

if TYPE_CHECKING:
    from domain.access_resources import AccessSettings
    from domain.catalog import CatalogItem

ROLES = ("employee", "agent", "admin")
LEVELS = ("high", "medium", "low")
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")

DEFAULT_MATRIX: dict[str, dict[str, str]] = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P5"},
}


@dataclass(frozen=True)
class PersonProfile:
    """A person declared in the configuration."""

    name: str
    display_name: str
    email: str | None = None
    roles: tuple[str, ...] = ("employee",)
    # platform → the person's user id there ("slack" → "U0BOB"); filled from <platform>_id.
    accounts: dict[str, str] = field(default_factory=dict)
    manager: str | None = None  # else the directory's manager attribute
    recovery_email: str | None = None  # the built-in directory's recovery address


@dataclass(frozen=True)
class Team:
    """An assignment group: who works its queue, who leads it, where it talks."""

    name: str
    members: tuple[str, ...]
    lead: str | None
    channel: str | None
    display_name: str | None = None


@dataclass(frozen=True)
class Service:
    """A service people report incidents against, owned by a team."""

    name: str
    owner: str
    categories: tuple[str, ...] = ()
    display_name: str | None = None


@dataclass(frozen=True)
class SlaTarget:
    """How fast a priority must be answered and resolved, and when to warn."""

    respond: timedelta
    resolve: timedelta
    warn_at: float = 0.75  # fraction of the target elapsed before the warning


@dataclass(frozen=True)
class Channel:
    """A logical channel and its address on each platform (platform -> id)."""

    name: str
    addresses: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeskPolicy:
    """Everything the domain needs to know from configuration."""

    people: dict[str, PersonProfile]
    teams: dict[str, Team]
    services: dict[str, Service]
    sla: dict[str, SlaTarget]
    channels: dict[str, Channel]
    triage_channel: str
    escalation_channel: str | None = None
    # Where access decisions, break-glass use and the audit chain's head are announced.
    security_channel: str | None = None
    triage_team: str | None = None
    matrix: dict[str, dict[str, str]] = field(default_factory=lambda: DEFAULT_MATRIX)
    default_role: str = "employee"
    auto_close_after: timedelta = timedelta(days=3)
    # Problem management: suggest a problem when this many incidents of one service and
    # category open within the window and no open problem covers them.
    recurring_incidents: int = 3
    recurring_window: timedelta = timedelta(hours=24)
    # Request fulfilment: the service catalogue (item id → item), in the config's order.
    catalog: dict[str, CatalogItem] = field(default_factory=dict)
    # What new passwords must meet where the directory states no policy of its own.
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    # The built-in directory's groups and their first members (group → people).
    directory_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Access management: resources, reconciliation.
    access: AccessSettings = field(default_factory=lambda: _no_access())
    # Major incident management: war rooms, cadence, stakeholders.
    major: MajorSettings = field(default_factory=MajorSettings)
    # Event management: integrations, correlation, flapping, maintenance, heartbeats.
    events: EventSettings = field(default_factory=EventSettings)
    # on-call schedules, escalation policies, and business-hours calendars for SLA clocks
    oncall: OncallSettings = field(default_factory=OncallSettings)
    # measuring the desk: the /metrics scrape token, the weekly digest, the status page
    metrics: MetricsSettings = field(default_factory=MetricsSettings)

    def priority(self, impact: str, urgency: str) -> str:
        """Look up the priority for an impact × urgency pair."""
        return self.matrix[impact][urgency]

    def teams_of(self, person: str) -> list[Team]:
        """Teams the person is a member or the lead of."""
        return [t for t in self.teams.values() if person in t.members or t.lead == person]

    def team_channel(self, team: str | None) -> str | None:
        """The logical channel a team is routed to, if any."""
        found = self.teams.get(team) if team else None
        return found.channel if found else None


def _no_access() -> AccessSettings:
    from domain.access_resources import AccessSettings  # the process imports this module

    return AccessSettings()
