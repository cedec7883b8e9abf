"""The public status page: GET /status (HTML) and GET /status.json.

Anyone may read it: no sign-in, no cookie set or read, cacheable for 30 seconds. What it
shows comes from `domain.status_page`, which lets out only service names, state words
and the text of `--public` major-incident updates. When `metrics.status_page.enabled`
is false both addresses answer 404, as for any address deskbot does not serve.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from domain import status_page

MAX_AGE = 30  # seconds a browser or proxy may reuse an answer
HEADERS = {
    "Cache-Control": f"public, max-age={MAX_AGE}",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
LABELS = {"operational": "Operational", "degraded": "Degraded", "outage": "Outage"}
# Shown beside the colour, so a state never rests on colour alone.
SYMBOLS = {"operational": "✓", "degraded": "!", "outage": "✕"}
HEADLINES = {
    "operational": "All services are operating normally.",
    "degraded": "Some services are degraded.",
    "outage": "Some services are down.",
}
_env = Environment(autoescape=select_autoescape(default=True), keep_trailing_newline=False)
_page = _env.from_string(
    resources.files("adapters.web").joinpath("status.html.j2").read_text(encoding="utf-8")
)


def status_page_routes(runtime, *, fresh_for: float = 10.0) -> list[Route]:
    """The status page's routes on deskbot's web server. `fresh_for` seconds: how long one
    reading of the database serves every visitor (a busy outage must not hammer it)."""
    page = StatusPage(runtime, fresh_for)
    return [Route("/status", page.html), Route("/status.json", page.json)]


class StatusPage:
    def __init__(self, runtime, fresh_for: float) -> None:
        self.runtime, self.fresh_for = runtime, fresh_for
        self._last: tuple[float, dict[str, Any]] | None = None

    @property
    def settings(self):
        return self.runtime.policy.metrics.status_page

    async def html(self, request: Request) -> Response:
        if not self.settings.enabled:
            return _not_found()
        board = await self._board()
        return HTMLResponse(_render(board), headers=HEADERS)

    async def json(self, request: Request) -> Response:
        if not self.settings.enabled:
            return _not_found()
        return JSONResponse(await self._board(), headers=HEADERS)

    async def _board(self) -> dict[str, Any]:
        """The page's data as plain values, read at most once per `fresh_for` seconds."""
        last = self._last
        if last is not None and time.monotonic() - last[0] < self.fresh_for:
            return last[1]
        board = await asyncio.to_thread(self._read)
        self._last = (time.monotonic(), board)
        return board

    def _read(self) -> dict[str, Any]:
        with self.runtime.dispatcher.unit_of_work() as ctx:
            now = ctx.clock.now()
            services = status_page.service_status(ctx, now)
        return {
            "title": self.settings.title,
            "generated_at": now.isoformat(),
            "timezone": "UTC",
            "days": status_page.DAYS,
            "state": status_page.overall(services),
            "services": [s.as_dict() for s in services],
        }


def _not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404, headers={"Cache-Control": "no-store"})


def _render(board: dict[str, Any]) -> str:
    services = [dict(s, summary=_summary(s["history"])) for s in board["services"]]
    return _page.render(
        title=board["title"],
        state=board["state"],
        headline=HEADLINES[board["state"]],
        generated_at=datetime.fromisoformat(board["generated_at"]),
        days=board["days"],
        services=services,
        labels=LABELS,
        symbols=SYMBOLS,
        when=_when,
        day_name=_day_name,
    )


def _summary(history: list[dict[str, str]]) -> str:
    """The history in words, for whoever cannot see the cells' colours."""
    out = sum(1 for d in history if d["state"] == "outage")
    degraded = sum(1 for d in history if d["state"] == "degraded")
    if not out and not degraded:
        return f"No trouble in the last {len(history)} days."
    parts = [
        f"{n} {'day' if n == 1 else 'days'} {what}"
        for n, what in ((out, "with an outage"), (degraded, "degraded"))
        if n
    ]
    return f"{' and '.join(parts).capitalize()} in the last {len(history)} days."


def _when(value: str | datetime) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%-d %b %Y %H:%M UTC")


def _day_name(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%-d %b %Y")
