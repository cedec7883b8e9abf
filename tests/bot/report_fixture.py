"""A report as `domain.metrics.Report.as_dict()` gives it, with numbers a test can name.

Team network, 5 January to 2 February 2026 (four ISO weeks): 30 opened, 29 resolved.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from bot.identity import BY_NAME
from domain.context import DeskContext
from domain.notifications import notify_person

REPORT: dict[str, Any] = {
    "scope": {
        "label": "team network",
        "team": "network",
        "service": None,
        "since": "2026-01-05T00:00:00+00:00",
        "until": "2026-02-02T00:00:00+00:00",
        "all_time": False,
    },
    "opened": 30,
    "resolved": 29,
    "mtta": {"count": 30, "median_s": 600.0, "p90_s": 1800.0},
    "mttr": {"count": 29, "median_s": 9000.0, "p90_s": 93600.0},
    "sla": [
        {
            "priority": "P1",
            "respond_met": 3,
            "respond_total": 4,
            "resolve_met": 2,
            "resolve_total": 4,
        },
        {
            "priority": "P3",
            "respond_met": 17,
            "respond_total": 20,
            "resolve_met": 0,
            "resolve_total": 0,
        },
    ],
    "weeks": [
        {"start": "2026-01-05", "opened": 12, "resolved": 9, "mttr_median_s": 10800.0},
        {"start": "2026-01-12", "opened": 7, "resolved": 10, "mttr_median_s": 5400.0},
        {"start": "2026-01-19", "opened": 0, "resolved": 0, "mttr_median_s": None},
        {"start": "2026-01-26", "opened": 11, "resolved": 10, "mttr_median_s": 93600.0},
    ],
}

# Nothing happened: no week had an incident, no SLA target fell due.
EMPTY: dict[str, Any] = {
    **deepcopy(REPORT),
    "scope": {**REPORT["scope"], "label": "your own", "team": None},
    "opened": 0,
    "resolved": 0,
    "mtta": {"count": 0, "median_s": None, "p90_s": None},
    "mttr": {"count": 0, "median_s": None, "p90_s": None},
    "sla": [],
    "weeks": [
        {"start": "2026-01-05", "opened": 0, "resolved": 0, "mttr_median_s": None},
        {"start": "2026-01-12", "opened": 0, "resolved": 0, "mttr_median_s": None},
    ],
}

PNG = b"\x89PNG\r\n\x1a\n"  # how every PNG file starts


def report() -> dict[str, Any]:
    """A copy of REPORT for a test to change."""
    return deepcopy(REPORT)


def queue_chart(
    runtime, person: str, numbers: dict[str, Any] | None = None, kind: str = "report_chart"
) -> None:
    """Queue the DM `/desk report` sends: the report's chart (and its numbers) to `person`,
    on every platform where they can be reached, then wake the worker to deliver it."""
    numbers = report() if numbers is None else numbers
    with runtime.database.transaction() as session:
        ctx = DeskContext(
            session,
            runtime.policy,
            runtime.clock,
            platforms=runtime.platforms,
            by_name=frozenset(p for p in runtime.platforms if p in BY_NAME),
        )
        notify_person(ctx, person, kind, chart=numbers, report=numbers)
    runtime.worker.wake()
