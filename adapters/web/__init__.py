"""What people open in a browser or a calendar app, served by deskbot's web server: the
reset page and the on-call calendar feeds."""

from adapters.web.oncall_feed import oncall_feed_routes
from adapters.web.reset_page import reset_routes

__all__ = ["oncall_feed_routes", "reset_routes"]
