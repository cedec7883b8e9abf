"""The HTTP side: health and readiness, plus the routes adapters contribute (Slack events…)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import BaseRoute, Route


def build_web_app(
    runtime,
    extra_routes: list[BaseRoute] | None = None,
    connections: Mapping[str, Callable[[], Awaitable[bool]]] | None = None,
    middleware: Sequence[Middleware] | None = None,
) -> Starlette:
    """The ASGI app: /healthz, /readyz and whatever routes the adapters add.

    `connections` are the live connections this process runs (Slack's Socket Mode…): /readyz
    answers 503 while one of them is down, as it does when the database is unreachable.
    `middleware` wraps every route (the request timing and log line of
    adapters/web/prometheus.py), the first given outermost.
    """
    connections = dict(connections or {})

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> JSONResponse:
        database = await asyncio.to_thread(runtime.database.ping)
        body = {"database": "ok" if database else "unreachable"}
        ready = database
        for name, connected in connections.items():
            try:
                up = await connected()
            except Exception:
                up = False
            body[name] = "connected" if up else "disconnected"
            ready = ready and up
        return JSONResponse(body, status_code=200 if ready else 503)

    routes: list[BaseRoute] = [Route("/healthz", healthz), Route("/readyz", readyz)]
    return Starlette(routes=routes + list(extra_routes or []), middleware=list(middleware or []))


def listen(port: int, host: str = "0.0.0.0") -> socket.socket:
    """Bind the HTTP port now, so a taken port is a clear error before anything starts."""
    # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off only on sockets that say they
    # are TCP, and with it on, small answers on a kept-alive connection wait for an ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"the web server cannot listen on port {port}: {exc.strerror}") from None
    return sock


async def serve(
    app: Starlette, sock: socket.socket, stop: asyncio.Event, trusted_proxies: str = "127.0.0.1"
) -> None:
    """Serve `app` on the bound socket in this event loop until `stop` is set.

    No access log: a reset link's token is in its path (the request middleware of
    adapters/web/prometheus.py logs route templates instead). uvicorn's own records go to
    deskbot's handler (bot/logs.py: its format, its redaction), not a handler of its own.
    X-Forwarded-* headers are believed only from `trusted_proxies` (TRUSTED_PROXIES).
    """
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        lifespan="off",
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=trusted_proxies,
    )
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # the CLI owns SIGINT/SIGTERM
    task = asyncio.create_task(server.serve(sockets=[sock]))
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    try:
        await task
    finally:
        stopper.cancel()
        sock.close()
