"""Maintenance windows and silences: events inside them are stored, never raised."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain.context import DeskContext
from domain.event_settings import RecurringWindow
from domain.events.records import EventSilence, MaintenanceWindow


def in_recurring(window: RecurringWindow, now: datetime) -> bool:
    """True when `now` falls inside the weekly window (in the window's own zone)."""
    local = now.astimezone(ZoneInfo(window.zone))
    at = local.time().replace(tzinfo=None)
    if window.start <= window.end:
        return local.weekday() in window.days and window.start <= at < window.end
    # Past midnight (22:00–02:00): the evening of a listed day, or the next morning.
    if local.weekday() in window.days and at >= window.start:
        return True
    yesterday = (local - timedelta(days=1)).weekday()
    return yesterday in window.days and at < window.end


def services_in_maintenance(ctx: DeskContext, now: datetime) -> dict[str, str]:
    """Services in maintenance now (service → reason): windows from chat and the config's."""
    rows = ctx.session.execute(
        select(MaintenanceWindow.service, MaintenanceWindow.reason).where(
            MaintenanceWindow.since <= now,
            MaintenanceWindow.until > now,
            MaintenanceWindow.ended_at.is_(None),
        )
    )
    found = {service: reason or "maintenance" for service, reason in rows}
    for window in ctx.policy.events.windows:
        if window.service not in found and in_recurring(window, now):
            found[window.service] = window.reason
    return found


def silenced_keys(ctx: DeskContext, now: datetime) -> set[tuple[str, str]]:
    """The (integration, key) pairs silenced now ("*": a key silenced before it fired).
    Silences are few: all of them in one query beats looking each key up."""
    rows = ctx.session.execute(
        select(EventSilence.integration, EventSilence.dedup_key).where(
            EventSilence.since <= now,
            EventSilence.until > now,
            EventSilence.ended_at.is_(None),
        )
    )
    return {(integration, key) for integration, key in rows}


class Suppressions:
    """What keeps a batch's new events quiet, read once per batch."""

    def __init__(self, ctx: DeskContext, now: datetime) -> None:
        self.maintenance = services_in_maintenance(ctx, now)
        self.silenced = silenced_keys(ctx, now)

    def why(self, integration: str, key: str, service: str | None) -> str | None:
        """'silenced', 'maintenance' or None."""
        if (integration, key) in self.silenced or ("*", key) in self.silenced:
            return "silenced"
        if service is not None and service in self.maintenance:
            return "maintenance"
        return None
