"""Pages people open in a browser, served by deskbot's web server (the reset page)."""

from adapters.web.reset_page import reset_routes

__all__ = ["reset_routes"]
