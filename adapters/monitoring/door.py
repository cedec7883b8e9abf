"""What every monitoring route shares: the settings it reads and the inbox it stores into.

The routes store a request's signals and only then answer; a failure to store (or a
backlog processing has not caught up with) is a 503, which Alertmanager and PagerDuty
clients retry, never a 2xx for something that was not kept.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from bot.event_intake import EventIntake
from domain.event_settings import EventSettings
from domain.events.signals import Signal

log = logging.getLogger("adapters.monitoring")

# A route's handler, as Starlette calls it.
Handler = Callable[[Request], Awaitable[Response]]


class Door:
    """The runtime's event settings and the inbox, as the routes use them."""

    def __init__(self, runtime, intake: EventIntake) -> None:
        self.runtime = runtime
        self.intake = intake

    @property
    def settings(self) -> EventSettings:
        """Read on every request, so a reloaded configuration applies at once."""
        return self.runtime.policy.events

    async def overloaded(self) -> bool:
        """True when the inbox is too far behind (or cannot even be counted)."""
        try:
            return await self.intake.overloaded()
        except Exception:
            log.exception("monitoring: could not read the event backlog")
            return True

    async def store(self, integration: str, signals: list[Signal]) -> bool:
        """Store the signals; False (logged) when they could not be."""
        try:
            await self.intake.store(integration, signals)
        except Exception:
            log.exception("monitoring: could not store %d signal(s)", len(signals))
            return False
        return True
