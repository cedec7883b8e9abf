"""After a batch: what each group it touched means for its incident.

An exception that fires in a group opens an incident for the owning team (or joins the
one open, or reopens one resolved within the reopen window); when every event of the group
has resolved, the incident resolves itself. A group that keeps changing state is flapping:
its team hears it once, and the incident waits until the group has been still a while.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain import paging, timers
from domain.context import SYSTEM, Actor, DeskContext
from domain.errors import DeskError
from domain.event_settings import EventSettings
from domain.events.classify import highest, levels_for
from domain.events.records import EventGroup
from domain.events.states import INCIDENT_OPEN
from domain.incidents import lifecycle
from domain.incidents.records import IncidentRecord
from domain.notifications import notify_channel

if TYPE_CHECKING:
    from domain.events.processing import Live

log = logging.getLogger(__name__)
# The card is redrawn with the counts at most this often: a storm edits it, never floods.
CARD_EVERY = timedelta(seconds=10)


@dataclass
class Touch:
    """What one batch did to one group."""

    group: EventGroup
    received: int = 0
    new: list[Live] = field(default_factory=list)
    raising: list[Live] = field(default_factory=list)  # new exceptions nothing suppressed
    acknowledged: list[Live] = field(default_factory=list)
    transitions: int = 0

    def fired(self, event: Live, now: datetime, settings: EventSettings) -> None:
        """A new event fires in the group."""
        group = self.group
        self.new.append(event)
        group.events += 1
        group.firing += 1
        if event.classification == "exception" and event.suppressed is None:
            self.raising.append(event)
        if group.firing == 1:
            self._transition("firing", now, settings)

    def resolved(self, event: Live, now: datetime, settings: EventSettings) -> None:
        """One of the group's events resolved."""
        group = self.group
        group.firing = max(0, group.firing - 1)
        if group.firing == 0:
            self._transition("quiet", now, settings)

    def _transition(self, state: str, now: datetime, settings: EventSettings) -> None:
        group = self.group
        group.state = state
        group.quiet_since = now if state == "quiet" else None
        if group.flap_since is None or now - group.flap_since > settings.flap_window:
            group.flap_since, group.flap_changes = now, 0
        group.flap_changes += 1
        self.transitions += 1


def settle(ctx: DeskContext, now: datetime, touches: list[Touch]) -> None:
    """Open, join, reopen or resolve each touched group's incident; flapping; cards."""
    settings = ctx.policy.events
    for touch in touches:
        _settle(ctx, now, settings, touch)


def _settle(ctx: DeskContext, now: datetime, settings: EventSettings, touch: Touch) -> None:
    group = touch.group
    group.received += touch.received
    group.last_seen = now
    incident = group.incident if group.incident_id is not None else None
    newly_flapping = not group.flapping and group.flap_changes > settings.flap_changes
    if newly_flapping:
        group.flapping = True
    if group.flapping and touch.transitions:
        # Settled once it has been still for a whole window: the timer moves with it.
        timers.cancel(ctx, group, ("event_group_settle",))
        timers.schedule(ctx, group, "event_group_settle", now + settings.flap_window)
    said = False  # the incident's card was redrawn by a use case already
    if touch.raising:
        if incident is not None and incident.state in INCIDENT_OPEN:
            pass
        elif (
            incident is not None
            and incident.state == "resolved"
            and incident.resolved_at is not None
            and now - incident.resolved_at <= settings.reopen_window
        ):
            lifecycle.reopen_incident(ctx, SYSTEM, incident.key, _firing_again(touch))
            said = True
        else:
            incident = _open(ctx, group, touch)
            said = incident is not None
    live = incident is not None and incident.state in INCIDENT_OPEN
    if live:
        for event in touch.new:
            event.incident_id = incident.id
    if live and touch.acknowledged:
        first = touch.acknowledged[0]
        said |= lifecycle.acknowledge_incident(
            ctx, SYSTEM, incident, f"by {first.acknowledged_by} at the source ({first.key[:80]})"
        )
    if live and group.firing == 0 and touch.transitions and not group.flapping:
        resolve_group_incident(ctx, group, incident)
        said, live = True, False
    if newly_flapping:
        tell_flapping(ctx, group, incident, "event_flapping")
    if live and not said and (touch.received or touch.transitions):
        refresh_card(ctx, group, incident, now)


def resolve_group_incident(ctx: DeskContext, group: EventGroup, incident: IncidentRecord) -> None:
    """Every event of the group has resolved: so has the incident."""
    lifecycle.resolve_incident(
        ctx,
        SYSTEM,
        incident.key,
        (
            f"its alert from {group.integration} resolved"
            if group.events == 1
            else f"all {group.events} alerts from {group.integration} resolved"
        ),
        authorised=True,
    )


def tell_flapping(
    ctx: DeskContext, group: EventGroup, incident: IncidentRecord | None, kind: str
) -> None:
    """Say once in the team's channel that a group flaps (or has settled)."""
    channel = ctx.policy.team_channel(group.team) or ctx.policy.triage_channel
    notify_channel(
        ctx,
        channel,
        kind,
        group=group_data(group),
        incident=incident.key if incident is not None else None,
    )
    if incident is not None:
        words = "flapping" if kind == "event_flapping" else "settled"
        lifecycle.record_event(
            ctx, incident, SYSTEM, kind, f"Alerts from {group.integration} {words}"
        )


def refresh_card(
    ctx: DeskContext, group: EventGroup, incident: IncidentRecord, now: datetime
) -> None:
    """Redraw the incident's card with the counts now, or plan it within CARD_EVERY."""
    if group.card_at is None or group.card_at <= now - CARD_EVERY:
        redraw_card(ctx, incident)
        group.card_at = now
    elif group.card_at <= now:  # redrawn a moment ago: once more when the interval is up
        group.card_at = group.card_at + CARD_EVERY
        timers.schedule(ctx, group, "event_card", group.card_at)
    # else: a redraw is planned already


def redraw_card(ctx: DeskContext, incident: IncidentRecord) -> None:
    """Edit the incident's card in place; nothing is posted in its thread."""
    notify_channel(
        ctx, ctx.policy.triage_channel, "incident_alerts", subject=incident, updates_ref="card"
    )


def group_data(group: EventGroup) -> dict:
    """A group as templates see it."""
    return {
        "key": group.key,
        "title": group.title,
        "integration": group.integration,
        "service": group.service,
        "team": group.team,
        "firing": group.firing,
        "events": group.events,
        "received": group.received,
        "flapping": group.flapping,
        "changes": group.flap_changes,
    }


def _open(ctx: DeskContext, group: EventGroup, touch: Touch) -> IncidentRecord | None:
    raising = touch.raising
    ctx.session.flush()  # a new group gets its id (EVG-n) for the description
    priority = highest([e.priority for e in raising]) or "P3"
    impact, urgency = levels_for(ctx.policy, priority)
    title = raising[0].summary[:150]
    if len(raising) > 1:
        title += f" (+{len(raising) - 1} more)"
    description = (
        f"Raised by event management from {group.integration}: "
        f"{_alerts(len(raising))} firing in {group.key}, first {raising[0].key}."
    )
    # Linked as it opens (link_opening, an ON_OPEN hook), so its first card has the counts.
    ctx.cache["events_opening"] = group
    try:
        incident = lifecycle.open_incident(
            ctx,
            SYSTEM,
            title=title,
            description=description,
            service=group.service,
            impact=impact,
            urgency=urgency,
        )
    except DeskError as exc:  # e.g. a summary no title can be made of
        log.warning("events: %s could not open an incident: %s", group.key, exc)
        incident = lifecycle.open_incident(
            ctx,
            SYSTEM,
            title=f"Alerts from {group.integration}",
            description=description,
            service=group.service,
            impact=impact,
            urgency=urgency,
        )
    ctx.cache.pop("events_opening", None)
    group.card_at = ctx.clock.now()
    paging.page(
        ctx, incident.assignment_group, incident, f"Opened by alerts from {group.integration}"
    )
    return incident


def link_opening(ctx: DeskContext, actor: Actor, incident: IncidentRecord) -> None:
    """incidents.lifecycle.ON_OPEN: the group whose alerts open this incident stands for it."""
    group = ctx.cache.pop("events_opening", None)
    if group is not None:
        group.incident_id = incident.id
        group.incident = incident


def _alerts(count: int) -> str:
    return "1 alert" if count == 1 else f"{count:,} alerts"


def _firing_again(touch: Touch) -> str:
    first = touch.raising[0]
    more = f" and {len(touch.raising) - 1} more" if len(touch.raising) > 1 else ""
    return f"firing again: {first.summary[:120]}{more}"
