"""Run an ASGI app (e.g. Starlette + Bolt) under a real uvicorn server in a thread.

The server gets its own event loop in a daemon thread, so sync tests can hit it
with ``httpx.Client`` and async tests with ``httpx.AsyncClient`` alike. The port
is chosen by the OS (we pre-bind the socket, so there is no pick-then-bind race).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class UvicornThread:
    """``with UvicornThread(app) as server: httpx.post(server.url + "/slack/events", ...)``."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", log_level: str = "warning") -> None:
        """Prepare (not start) a server for ``app``."""
        self.host = host
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        config = uvicorn.Config(app, log_level=log_level, lifespan="auto")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            daemon=True,
            name="uvicorn-test-server",
        )

    @property
    def port(self) -> int:
        """The bound TCP port."""
        return self._sock.getsockname()[1]

    @property
    def url(self) -> str:
        """Base URL without trailing slash, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> UvicornThread:
        """Start serving; return once uvicorn reports it has started."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        # uvicorn only exposes a "started" flag, so poll it against a deadline.
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("uvicorn exited during startup (see log output)")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"uvicorn did not start within {timeout}s")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to shut down gracefully and wait for its thread."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> UvicornThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
