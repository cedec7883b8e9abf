"""The public status page's data: each service's state (operational, degraded, outage)
from major incidents, alert incidents and events, the latest public updates, and ninety
days of history. Read-only: it records nothing and registers no process."""

from domain.status_page.history import DAYS, window
from domain.status_page.spans import STATES
from domain.status_page.status import (
    DayState,
    PublicUpdate,
    ServiceStatus,
    overall,
    service_status,
    shown_services,
)

__all__ = [
    "DAYS",
    "STATES",
    "DayState",
    "PublicUpdate",
    "ServiceStatus",
    "overall",
    "service_status",
    "shown_services",
    "window",
]
