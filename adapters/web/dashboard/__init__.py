"""The web dashboard (docs/dashboard.md): queues, one incident with its timeline, the
report with its chart, major incidents running and who is on call — for people signed in
with a one-time link from `/desk dashboard`. Server-rendered; no script needed."""

from __future__ import annotations

from starlette.routing import Route

from adapters.web.dashboard.site import Dashboard


def dashboard_routes(runtime) -> list[Route]:
    """The dashboard's routes on deskbot's web server."""
    site = Dashboard(runtime)
    return [
        Route("/dashboard", site.queue, methods=["GET"]),
        Route("/dashboard/", site.queue, methods=["GET"]),
        Route("/dashboard/sign-in/{token}", site.sign_in_page, methods=["GET"]),
        Route("/dashboard/sign-in/{token}", site.sign_in, methods=["POST"]),
        Route("/dashboard/sign-out", site.sign_out, methods=["POST"]),
        Route("/dashboard/incidents/{key}", site.incident, methods=["GET"]),
        Route("/dashboard/report", site.report, methods=["GET"]),
        Route("/dashboard/report.png", site.report_png, methods=["GET"]),
        Route("/dashboard/dashboard.css", site.stylesheet, methods=["GET"]),
    ]


__all__ = ["dashboard_routes"]
