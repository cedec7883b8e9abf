"""The monitoring adapter: HTTP routes through which monitoring systems raise events.

An inbound adapter like the chat adapters, on deskbot's web server: Alertmanager (and
Grafana), anything that speaks PagerDuty's Events API v2, a generic JSON webhook (and
GoAlert's), and heartbeats of batch jobs. Each route checks the sender's token, reads
the body within its limit, turns it into signals (`domain.events.signals`) and stores
them in the event inbox (`bot.event_intake`) before answering; processing follows in
the worker.
"""

from __future__ import annotations

from starlette.routing import Route

from adapters.monitoring.alertmanager import alertmanager_route
from adapters.monitoring.door import Door
from adapters.monitoring.generic import generic_route
from adapters.monitoring.heartbeats import heartbeat_route
from adapters.monitoring.pagerduty import pagerduty_route
from bot.event_intake import EventIntake


def monitoring_routes(runtime, intake: EventIntake) -> list[Route]:
    """The routes, for `build_web_app(extra_routes=…)`; `runtime.policy.events` is read on
    each request."""
    door = Door(runtime, intake)
    return [
        Route("/api/v1/events/alertmanager", alertmanager_route(door), methods=["POST"]),
        Route("/v2/enqueue", pagerduty_route(door), methods=["POST"]),
        Route("/api/v1/events", generic_route(door), methods=["POST"]),
        Route("/api/v1/heartbeats/{name}", heartbeat_route(door), methods=["POST"]),
    ]


__all__ = ["monitoring_routes"]
