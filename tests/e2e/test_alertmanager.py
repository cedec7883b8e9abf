"""A real Prometheus Alertmanager posts to a real `deskbot run`: firing alerts open one
incident, repeats add none, and resolving them resolves it.

Alertmanager (the Debian package `prometheus-alertmanager`) runs on 127.0.0.1 with its
clustering off, a short `group_wait` and `group_interval`, and a webhook receiver that
authenticates with `http_config.authorization`, as docs/events.md tells operators to set it
up. deskbot is the example company (`deskbot run` in an empty directory) with
DESKBOT_ALERTMANAGER_TOKEN set. Without the binary the test is skipped, unless
DESKBOT_REQUIRE_ALERTMANAGER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bot.db import normalise_url
from domain.events.records import EventGroup, EventRecord
from domain.incidents.records import IncidentRecord

DESKBOT = str(Path(sys.executable).parent / "deskbot")
WAIT = 30.0  # seconds for one step; each takes about a second or two when all is well
ALERTNAME = "VPNTunnelDown"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http(method: str, url: str, body: Any = None) -> tuple[int, str]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _wait_until(
    what: str,
    probe: Callable[[], Any],
    alive: Callable[[], str | None],
    logs: Callable[[], str] = lambda: "",
) -> Any:
    """Poll `probe` until it returns something true; fail naming `what`, with the logs."""
    deadline = time.monotonic() + WAIT
    while True:
        found = probe()
        if found:
            return found
        trouble = alive()
        if trouble or time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT:.0f}s for {what}\n{trouble or logs()}")
        time.sleep(0.1)


@pytest.fixture
def alertmanager_binary() -> str:
    """The installed Alertmanager, else a skip (or, when it is required, a failure)."""
    found = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if found:
        return found
    reason = (
        "Prometheus Alertmanager is not installed (Debian: apt-get install "
        "prometheus-alertmanager); DESKBOT_REQUIRE_ALERTMANAGER=1 makes this a failure"
    )
    if os.environ.get("DESKBOT_REQUIRE_ALERTMANAGER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Deskbot:
    """`deskbot run` as an operator starts it, and a read-only view of its database."""

    process: subprocess.Popen
    url: str
    token: str
    engine: Any
    logs: Path

    def trouble(self) -> str | None:
        if self.process.poll() is None:
            return None
        return f"deskbot exited ({self.process.returncode}):\n{self.logs.read_text()}"

    def rows(self, model: type) -> list:
        with Session(self.engine) as session:
            return list(session.scalars(select(model).order_by(model.id)))

    def count(self, model: type) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def deskbot(tmp_path: Path, database_url: str) -> Iterator[Deskbot]:
    """The example company served by `deskbot run` on 127.0.0.1, with the webhook's token."""
    workdir = tmp_path / "deskbot"
    workdir.mkdir()
    port = _free_port()
    token = secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.pop("DESKBOT_CONFIG", None)
    env.update(DATABASE_URL=database_url, PORT=str(port), DESKBOT_ALERTMANAGER_TOKEN=token)
    logs = workdir / "deskbot.log"
    with logs.open("w") as log:
        # stdin stays open and empty: the console waits for a line while the server runs.
        # Output goes to a file, so a chatty console can never fill a pipe and stall it.
        process = subprocess.Popen(
            [DESKBOT, "run"], cwd=workdir, env=env, stdin=subprocess.PIPE, stdout=log, stderr=log
        )
    engine = create_engine(normalise_url(database_url))
    bot = Deskbot(process, f"http://127.0.0.1:{port}", token, engine, logs)
    try:
        _wait_until("deskbot to answer /healthz", lambda: _healthy(bot.url), bot.trouble)
        yield bot
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        engine.dispose()


def _healthy(url: str) -> bool:
    try:
        return _http("GET", url + "/healthz") == (200, "ok")
    except OSError:
        return False


@dataclass
class Alertmanager:
    """A running Prometheus Alertmanager and its API v2."""

    process: subprocess.Popen
    url: str
    logs: Path

    def trouble(self) -> str | None:
        if self.process.poll() is None:
            return None
        return f"Alertmanager exited ({self.process.returncode}):\n{self.logs.read_text()}"

    def push(self, alerts: list[dict]) -> None:
        """POST /api/v2/alerts, as Prometheus does."""
        status, body = _http("POST", self.url + "/api/v2/alerts", alerts)
        assert status == 200, (status, body)

    def fingerprints(self) -> set[str]:
        status, body = _http("GET", self.url + "/api/v2/alerts?active=true")
        assert status == 200, (status, body)
        return {alert["fingerprint"] for alert in json.loads(body)}

    def webhook_metrics(self) -> dict[str, float]:
        """Notifications Alertmanager sent to webhooks, and how many failed (non-2xx)."""
        status, body = _http("GET", self.url + "/metrics")
        assert status == 200
        totals = {"alertmanager_notifications_total": 0.0}
        totals["alertmanager_notifications_failed_total"] = 0.0
        for line in body.splitlines():
            name, _, rest = line.partition("{")
            if name in totals and 'integration="webhook"' in rest:
                totals[name] += float(line.rsplit(" ", 1)[1])
        return totals


def _alertmanager_config(deskbot: Deskbot) -> str:
    """The route and webhook receiver docs/events.md shows, with test-short intervals."""
    return f"""\
route:
  receiver: deskbot
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1m
receivers:
  - name: deskbot
    webhook_configs:
      - url: {deskbot.url}/api/v1/events/alertmanager
        send_resolved: true
        max_alerts: 2000
        http_config:
          authorization:
            type: Bearer
            credentials: {deskbot.token}
"""


@pytest.fixture
def alertmanager(
    alertmanager_binary: str, tmp_path: Path, deskbot: Deskbot
) -> Iterator[Alertmanager]:
    """Prometheus Alertmanager on 127.0.0.1 with its storage in a temporary directory.

    `alertmanager_binary` comes first, so a missing binary skips before deskbot starts.
    """
    home = tmp_path / "alertmanager"
    (home / "data").mkdir(parents=True)
    config = home / "alertmanager.yml"
    config.write_text(_alertmanager_config(deskbot))
    port = _free_port()
    logs = home / "alertmanager.log"
    with logs.open("w") as log:
        process = subprocess.Popen(
            [
                alertmanager_binary,
                f"--config.file={config}",
                f"--storage.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",  # no clustering: no gossip port, no peers to wait for
            ],
            stdout=log,
            stderr=log,
        )
    manager = Alertmanager(process, f"http://127.0.0.1:{port}", logs)
    try:
        _wait_until("Alertmanager to be ready", lambda: _ready(manager.url), manager.trouble)
        yield manager
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready(url: str) -> bool:
    try:
        return _http("GET", url + "/-/ready")[0] == 200
    except OSError:
        return False


def _alert(instance: str, starts: datetime, ends: datetime | None = None) -> dict:
    alert = {
        "labels": {
            "alertname": ALERTNAME,
            "instance": instance,
            "job": "blackbox",
            "service": "vpn",
            "severity": "critical",
        },
        "annotations": {"summary": f"VPN tunnel down on {instance}"},
        "startsAt": starts.isoformat(),
        "generatorURL": "http://prometheus.example.com/graph?g0.expr=probe_success",
    }
    if ends is not None:
        alert["endsAt"] = ends.isoformat()
    return alert


def test_alertmanager_firing_opens_one_incident_and_resolving_resolves_it(
    deskbot: Deskbot, alertmanager: Alertmanager
):
    def trouble() -> str | None:
        return deskbot.trouble() or alertmanager.trouble()

    def logs() -> str:
        return (
            f"deskbot:\n{deskbot.logs.read_text()}\nAlertmanager:\n{alertmanager.logs.read_text()}"
        )

    started = datetime.now(UTC) - timedelta(minutes=2)
    assert deskbot.count(IncidentRecord) == 0

    # Firing: two alerts of one group arrive in one webhook and open one incident.
    alertmanager.push([_alert("vpn-1", started), _alert("vpn-2", started)])
    _wait_until(
        "two events from the first webhook",
        lambda: deskbot.count(EventRecord) == 2,
        trouble,
        logs,
    )
    (incident,) = _wait_until("the incident", lambda: deskbot.rows(IncidentRecord), trouble, logs)
    assert incident.state in ("new", "assigned", "in_progress"), logs()
    assert (incident.service, incident.assignment_group, incident.priority) == (
        "vpn",
        "network",
        "P2",
    )
    events = deskbot.rows(EventRecord)
    # deskbot knows each alert by Alertmanager's own fingerprint, never by its text.
    assert {e.dedup_key for e in events} == alertmanager.fingerprints()
    assert {(e.state, e.incident_id, e.source) for e in events} == {
        ("firing", incident.id, "alertmanager")
    }

    # Repeats: a third alert joins the group, so Alertmanager sends the whole group again.
    # The two alerts already known are repeats: counted on their events, no new incident.
    alertmanager.push(
        [_alert("vpn-1", started), _alert("vpn-2", started), _alert("vpn-3", started)]
    )

    def repeated() -> bool:
        events = deskbot.rows(EventRecord)
        return len(events) == 3 and all(e.count >= 2 for e in events[:2])

    _wait_until("the group to be sent again with its repeats", repeated, trouble, logs)
    assert [i.id for i in deskbot.rows(IncidentRecord)] == [incident.id], logs()
    (group,) = deskbot.rows(EventGroup)
    assert (group.incident_id, group.events, group.firing) == (incident.id, 3, 3)
    assert group.received >= 5  # 2 in the first webhook, 3 in the second
    assert {e.incident_id for e in deskbot.rows(EventRecord)} == {incident.id}

    # Resolved: every alert ends in the past; Alertmanager sends the resolved group.
    ended = datetime.now(UTC) - timedelta(seconds=1)
    alertmanager.push([_alert(i, started, ended) for i in ("vpn-1", "vpn-2", "vpn-3")])

    def resolved() -> bool:
        incidents = deskbot.rows(IncidentRecord)
        assert len(incidents) == 1, logs()
        return incidents[0].state == "resolved"

    _wait_until("the incident to resolve itself", resolved, trouble, logs)
    assert deskbot.count(IncidentRecord) == 1, logs()
    assert {e.state for e in deskbot.rows(EventRecord)} == {"resolved"}
    assert deskbot.count(EventRecord) == 3  # a resolve is not a new event
    # Every notification Alertmanager sent was answered 2xx: none was dropped or retried.
    metrics = alertmanager.webhook_metrics()
    assert metrics["alertmanager_notifications_total"] >= 3, metrics
    assert metrics["alertmanager_notifications_failed_total"] == 0, (metrics, logs())
    assert "Traceback" not in deskbot.logs.read_text(), logs()
