"""Files made as a message is delivered, so the outbox keeps numbers, never images.

A message whose context has a "chart" (a report's numbers, `Report.as_dict()`) leaves with
the chart drawn as a PNG in `OutboundMessage.files`, for the sender to attach. Drawing it
at delivery keeps the outbox row small, and a retry draws it again from the same numbers.

A chart that cannot be drawn costs the file, never the message: the text goes without it,
and the failure is logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from bot.charts import chart_alt_text, chart_title, render_report_chart

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: its name, bytes, and alt text (what it shows, in words)."""

    filename: str
    content: bytes
    alt: str
    title: str = ""

    @property
    def is_png(self) -> bool:
        return self.content.startswith(b"\x89PNG\r\n\x1a\n")


def needs_files(message: Any) -> bool:
    """Whether `message` carries numbers to be drawn at delivery (its context has a chart)."""
    return isinstance(message.context.get("chart"), dict) and not message.files


def with_files(message: Any) -> Any:
    """`message` with its chart attached as a PNG; unchanged (and logged) if drawing fails.

    Takes a few hundred milliseconds of CPU: call it in a thread.
    """
    chart: dict[str, Any] = message.context["chart"]
    try:
        png = render_report_chart(chart)
        attachment = Attachment(
            filename=f"desk-report-{message.id}.png",
            content=png,
            alt=chart_alt_text(chart),
            title=chart_title(chart),
        )
    except Exception:  # a bad number or a broken install: the text still goes
        log.warning(
            "outbox %s: could not draw its chart; sending the text without it",
            message.id,
            exc_info=True,
        )
        return message
    return replace(message, files=(attachment,))
