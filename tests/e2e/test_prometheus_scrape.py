"""A real Prometheus scrapes deskbot's /metrics with the bearer token, as docs/operations.md
tells operators to set it up, and its query API answers with the desk's gauge.

Prometheus (the Debian package `prometheus`) runs on 127.0.0.1 with a one-second scrape
interval and its storage in a temporary directory. It scrapes deskbot's web app on a real
uvicorn server twice: once with the right token (the target is up) and once with a wrong
one (down, refused with 401). Without the binary the test is skipped, unless
DESKBOT_REQUIRE_PROMETHEUS=1 (CI) makes that a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.web.prometheus import WebMetrics
from bot.web import build_web_app
from tests.fakes.asgi_server import UvicornThread
from tests.harness import DeskHarness

WAIT = 30.0  # seconds for one step; each takes a second or two when all is well
TOKEN_ENV = "DESKBOT_METRICS_TOKEN"  # what the example company's metrics section names


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _wait_until(what: str, probe: Callable[[], Any], trouble: Callable[[], str | None]) -> Any:
    """Poll `probe` until it returns something true; fail naming `what`, with the logs."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            found = probe()
        except OSError:
            found = None
        if found:
            return found
        problem = trouble()
        if problem or time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT:.0f}s for {what}\n{problem or ''}")
        time.sleep(0.2)


@pytest.fixture
def prometheus_binary() -> str:
    """The installed Prometheus, else a skip (or, when it is required, a failure)."""
    found = shutil.which("prometheus") or (
        "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
    )
    if found:
        return found
    reason = (
        "Prometheus is not installed (Debian: apt-get install prometheus); "
        "DESKBOT_REQUIRE_PROMETHEUS=1 makes this a failure"
    )
    if os.environ.get("DESKBOT_REQUIRE_PROMETHEUS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Prometheus:
    process: subprocess.Popen
    url: str
    logs: Path

    def trouble(self) -> str | None:
        if self.process.poll() is None:
            return None
        return f"Prometheus exited ({self.process.returncode}):\n{self.logs.read_text()}"

    def api(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        status, body = _get(f"{self.url}/api/v1/{path}{query}")
        assert status == 200, (status, body)
        answer = json.loads(body)
        assert answer["status"] == "success", answer
        return answer["data"]

    def targets(self) -> dict[str, dict]:
        """The active targets by job name."""
        return {t["labels"]["job"]: t for t in self.api("targets")["activeTargets"]}


def _config(deskbot_url: str, token: str) -> str:
    """The scrape config docs/operations.md shows, with a test-short interval, and a second
    job that sends a wrong token."""
    host = deskbot_url.removeprefix("http://")
    return f"""\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: deskbot
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials: {token}
    static_configs:
      - targets: ["{host}"]
  - job_name: deskbot-wrong-token
    metrics_path: /metrics
    authorization:
      credentials: not-{token}
    static_configs:
      - targets: ["{host}"]
"""


@pytest.fixture
def deskbot(database_url, example_config, monkeypatch) -> Iterator[tuple[DeskHarness, str, str]]:
    """The example company's web app with /metrics on 127.0.0.1, and its scrape token."""
    token = secrets.token_urlsafe(24)
    monkeypatch.setenv(TOKEN_ENV, token)
    desk = DeskHarness.start(database_url, example_config)
    metrics = WebMetrics(desk.runtime)
    app = build_web_app(desk.runtime, metrics.routes(), middleware=[metrics.middleware()])
    server = UvicornThread(app).start()
    try:
        yield desk, server.url, token
    finally:
        server.stop()
        desk.close()


@pytest.fixture
def prometheus(prometheus_binary: str, tmp_path: Path, deskbot) -> Iterator[Prometheus]:
    """Prometheus on 127.0.0.1, scraping deskbot every second."""
    _, url, token = deskbot
    home = tmp_path / "prometheus"
    (home / "data").mkdir(parents=True)
    config = home / "prometheus.yml"
    config.write_text(_config(url, token))
    port = _free_port()
    logs = home / "prometheus.log"
    with logs.open("w") as log:
        process = subprocess.Popen(
            [
                prometheus_binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=log,
        )
    server = Prometheus(process, f"http://127.0.0.1:{port}", logs)
    try:
        _wait_until(
            "Prometheus to be ready",
            lambda: _get(server.url + "/-/ready")[0] == 200,
            server.trouble,
        )
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_prometheus_scrapes_the_desk_with_its_bearer_token(deskbot, prometheus: Prometheus):
    desk, _, token = deskbot
    reply = desk.say("alice", '/incident new "VPN drops every 10 minutes"')
    assert reply.startswith("Opened INC-1 [P3]"), reply

    def both_scraped() -> dict[str, dict] | None:
        targets = prometheus.targets()
        scraped = [targets.get(job, {}).get("health") for job in ("deskbot", "deskbot-wrong-token")]
        return targets if "unknown" not in scraped and None not in scraped else None

    targets = _wait_until("both targets scraped", both_scraped, prometheus.trouble)
    assert targets["deskbot"]["health"] == "up", targets["deskbot"]
    assert targets["deskbot-wrong-token"]["health"] == "down"
    assert "401" in targets["deskbot-wrong-token"]["lastError"]

    query = 'deskbot_incidents_open{job="deskbot",priority="P3",team="service-desk"}'

    def answered() -> list | None:
        return prometheus.api("query", query=query)["result"] or None

    (series,) = _wait_until(f"Prometheus to answer {query}", answered, prometheus.trouble)
    assert series["value"][1] == "1"
    # The request histogram is labelled by route template. A scrape's own request is
    # counted once it is answered, so the next scrape is the first to carry it.
    _wait_until(
        "a scrape counted by its route",
        lambda: "/metrics" in prometheus.api("label/route/values"),
        prometheus.trouble,
    )
    assert token not in prometheus.logs.read_text()
