"""What people open in a browser or a calendar app, served by deskbot's web server: the
reset page, the on-call calendar feeds, the dashboard, the public status page and
Prometheus' /metrics."""

from adapters.web.dashboard import dashboard_routes
from adapters.web.oncall_feed import oncall_feed_routes
from adapters.web.prometheus import WebMetrics
from adapters.web.reset_page import reset_routes
from adapters.web.status_page import status_page_routes

__all__ = [
    "WebMetrics",
    "dashboard_routes",
    "oncall_feed_routes",
    "reset_routes",
    "status_page_routes",
]
