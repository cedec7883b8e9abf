"""GET /metrics for Prometheus, and the middleware that times and logs every HTTP request.

The scrape answers from a registry of this process's own (never prometheus_client's
global one): the desk's gauges, read from the database at scrape time
(`domain.metrics_gauges`), and this process's request histograms. It is off (404) unless
the variable `metrics.scrape_token_env` names holds a token; then Prometheus must send it
as `Authorization: Bearer …`, or gets 401.

Labels name route templates (`/reset/{token}`), never the paths requested: tokens live in
paths, and a label per path would grow without end.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import time
import uuid
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.logs import REQUEST_ID
from domain.metrics_gauges import Gauges, read_gauges

log = logging.getLogger("deskbot.http")

METRICS_PATH = "/metrics"
# Requests a chat platform or a monitoring system waits on: Slack wants its answer within
# 3 s, Alertmanager and PagerDuty retry what is slow. (Discord's interactions come over the
# gateway, not HTTP: the Discord adapter acknowledges those.)
ACK_ROUTES = frozenset(
    {
        "/slack/events",
        "/api/v1/events/alertmanager",
        "/v2/enqueue",
        "/api/v1/events",
        "/api/v1/heartbeats/{name}",
    }
)
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
UNMATCHED = "unmatched"  # the route label of a request no route took (a 404)
# The method label: HTTP's own methods, anything else "other". A client may send any token
# as its method, and a label per token would grow without end (memory, and Prometheus').
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
# A request id a proxy sent is kept when it looks like one; anything else gets a new one.
REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9._-]{1,64}")


class WebMetrics:
    """One process's /metrics: its registry, its request histograms, its route and its
    middleware. Build one per web app (`build_web_app(..., middleware=[m.middleware()])`)."""

    def __init__(self, runtime, ack_routes: Iterable[str] = ACK_ROUTES) -> None:
        self.runtime = runtime
        self.ack_routes = frozenset(ack_routes)
        env = runtime.policy.metrics.scrape_token_env
        # Read once: a token set after start is not picked up, as for every other secret.
        self.token = (os.environ.get(env) or "").strip() if env else ""
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "deskbot_http_request_duration_seconds",
            "HTTP requests this process served, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.acks = Histogram(
            "deskbot_ack_latency_seconds",
            "From a chat platform's or monitoring system's request arriving to its answer.",
            ["route"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(DeskCollector(runtime))

    def routes(self) -> list[Route]:
        """GET /metrics."""
        return [Route(METRICS_PATH, self.handle, methods=["GET"])]

    def middleware(self) -> Middleware:
        """Times, counts and logs every HTTP request of the app it wraps."""
        return Middleware(RequestObserver, metrics=self)

    async def handle(self, request: Request) -> Response:
        if not self.token:
            return PlainTextResponse("Not Found", 404)
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        ):
            return PlainTextResponse(
                "A bearer token is needed to scrape /metrics.\n",
                401,
                headers={"WWW-Authenticate": 'Bearer realm="deskbot metrics"'},
            )
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        # The collector reads the database: in a thread, never on the event loop.
        body = await asyncio.to_thread(encoder, self.registry)
        return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})

    def observe(self, method: str, route: str, status: int, seconds: float, acked: float) -> None:
        self.requests.labels(method, route, str(status)).observe(seconds)
        if route in self.ack_routes:
            self.acks.labels(route).observe(acked)


class DeskCollector(Collector):
    """The database's gauges as metric families, read afresh at every scrape."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime

    def describe(self) -> list[Metric]:
        return []  # nothing to check against other collectors: the names are deskbot_*

    def collect(self) -> Iterable[Metric]:
        started = time.perf_counter()
        try:
            with self.runtime.dispatcher.unit_of_work() as ctx:
                gauges = read_gauges(ctx)
        except Exception:  # the database is away: say so, rather than fail the scrape
            log.warning("/metrics: could not read the database", exc_info=True)
            gauges = None
        up = GaugeMetricFamily(
            "deskbot_database_up", "1 when this scrape could read the database, else 0."
        )
        up.add_metric([], 1 if gauges is not None else 0)
        yield up
        took = GaugeMetricFamily(
            "deskbot_scrape_database_seconds", "How long this scrape's database reads took."
        )
        took.add_metric([], time.perf_counter() - started)
        yield took
        if gauges is not None:
            yield from families(gauges)


def families(gauges: Gauges) -> list[Metric]:
    """The desk's gauges as Prometheus metric families."""
    open_ = GaugeMetricFamily(
        "deskbot_incidents_open",
        "Open incidents, by priority and team.",
        labels=["priority", "team"],
    )
    breached = GaugeMetricFamily(
        "deskbot_incidents_sla_breached",
        "Open incidents past an SLA target (respond or resolve), by priority and team.",
        labels=["sla", "priority", "team"],
    )
    for row in gauges.incidents:
        open_.add_metric([row.priority, row.team], row.count)
        breached.add_metric(["respond", row.priority, row.team], row.respond_breached)
        breached.add_metric(["resolve", row.priority, row.team], row.resolve_breached)
    pending = GaugeMetricFamily(
        "deskbot_outbox_pending",
        "Notifications waiting to be delivered (pending or being sent), by platform.",
        labels=["platform"],
    )
    oldest = GaugeMetricFamily(
        "deskbot_outbox_oldest_pending_age_seconds",
        "Age of the oldest notification still waiting, by platform (0: none waits).",
        labels=["platform"],
    )
    failed = CounterMetricFamily(
        "deskbot_outbox_failed",
        "Notifications that failed for good (never to be retried), by platform.",
        labels=["platform"],
    )
    for row in gauges.outbox:
        pending.add_metric([row.platform], row.pending)
        oldest.add_metric([row.platform], row.oldest_pending_age_s)
        failed.add_metric([row.platform], row.failed)
    overdue = GaugeMetricFamily("deskbot_timers_overdue", "Timers due and not fired yet.")
    overdue.add_metric([], gauges.timers_overdue)
    lag = GaugeMetricFamily(
        "deskbot_timer_lag_seconds", "How long the oldest overdue timer has been due (0: none)."
    )
    lag.add_metric([], gauges.timer_lag_s)
    events = CounterMetricFamily(
        "deskbot_events_ingested",
        "Monitoring events stored, by integration and source (repeats not counted).",
        labels=["integration", "source"],
    )
    signals = CounterMetricFamily(
        "deskbot_event_signals_ingested",
        "Monitoring signals received, repeats of a known event included.",
        labels=["integration", "source"],
    )
    for row in gauges.events:
        events.add_metric([row.integration, row.source], row.events)
        signals.add_metric([row.integration, row.source], row.signals)
    inbox = GaugeMetricFamily(
        "deskbot_event_inbox_pending", "Monitoring signals accepted and not processed yet."
    )
    inbox.add_metric([], gauges.event_inbox)
    return [open_, breached, pending, oldest, failed, overdue, lag, events, signals, inbox]


class RequestObserver:
    """ASGI middleware: a request id, a histogram observation and one log line per request.

    Plain ASGI rather than Starlette's BaseHTTPMiddleware: it adds no task per request and
    leaves streamed answers alone.
    """

    def __init__(self, app: ASGIApp, metrics: WebMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        answered: dict[str, float | int] = {"status": 500}

        async def send_observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
                answered["at"] = time.perf_counter()
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_observed)
        finally:
            REQUEST_ID.reset(token)
            ended = time.perf_counter()
            route = _route(scope)
            status = int(answered["status"])
            method = scope.get("method", "GET")
            method = method if method in METHODS else OTHER_METHOD
            self.metrics.observe(
                method, route, status, ended - started, answered.get("at", ended) - started
            )
            ms = round((ended - started) * 1000, 1)
            log.info(
                "%s %s %s in %s ms",
                method,
                route,
                status,
                ms,
                extra={
                    "request_id": request_id,
                    "method": method,
                    "route": route,
                    "status": status,
                    "ms": ms,
                },
            )


def _route(scope: Scope) -> str:
    """The template of the route that took the request; never the path itself."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if REQUEST_ID_SHAPE.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex[:16]
