"""How the dashboard's pages go out: its own autoescaping Jinja2 environment (HTML for a
browser, unlike the chat templates), and the headers every page carries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

from domain.clock import format_duration

# Pages are private (a person's incidents) and some addresses carry a token: never cached,
# never sent on as a Referer, never framed; only our own stylesheet, images and forms.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


def _when(value: datetime | str | None) -> str:
    """A moment as the pages show it: 2026-12-05 09:30 UTC."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _seconds(value: float | None) -> str:
    """A duration in seconds (the report's unit) as people read it: 2h 15m."""
    if value is None:
        return "—"
    return format_duration(timedelta(seconds=float(value)))


def _left(delta: timedelta) -> str:
    """Time left on an SLA clock: 25m left, or breached 1h 5m ago."""
    if delta.total_seconds() < 0:
        return f"breached {format_duration(-delta)} ago"
    return f"{format_duration(delta)} left"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


_env = Environment(
    loader=PackageLoader("adapters.web.dashboard", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(when=_when, seconds=_seconds, percent=_percent, left=_left)


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A rendered page with the dashboard's headers."""
    html = _env.get_template(f"{template}.html.j2").render(**context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)
