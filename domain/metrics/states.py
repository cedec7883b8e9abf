"""The report's notification kinds. Measuring has no subject of its own to act on, so no
state machine: only what it posts."""

from __future__ import annotations

from domain.notifications import Offer

KINDS: dict[str, tuple[Offer, ...]] = {
    # The weekly digest in its channel: the week's report (with its chart), the longest-open
    # incidents, the breaches and the lowest satisfaction comments.
    "metrics_digest": (),
    # A report's chart, sent by DM to whoever asked for the report.
    "report_chart": (),
}
