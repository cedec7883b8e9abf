"""Socket Mode with bad credentials or no network: a refused token stops the process in one
line (exit 1); an unreachable Slack is retried, one line per attempt, and /readyz says so."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from adapters.slack import SlackAdapter
from bot.config import load_config_text
from bot.runtime import Runtime
from bot.settings import Settings
from tests.slack.harness import CONFIG
from tests.slack.test_socket_mode import APP_TOKEN, SocketModeFake

DESKBOT = str(Path(sys.executable).parent / "deskbot")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(
    tmp_path: Path, database_url: str, stderr=subprocess.PIPE, **env: str
) -> tuple[subprocess.Popen, int]:
    config = tmp_path / "deskbot.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    environment.update(DATABASE_URL=database_url, DESKBOT_CONFIG=str(config), PORT=str(port), **env)
    process = subprocess.Popen(
        [DESKBOT, "run"],
        cwd=tmp_path,
        env=environment,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )
    return process, port


def _finish(process: subprocess.Popen, timeout: float = 30) -> tuple[str, str]:
    try:
        return process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_a_refused_bot_token_stops_run_with_one_line_and_exit_1(tmp_path, database_url, slack):
    process, _ = _start(
        tmp_path,
        database_url,
        SLACK_BOT_TOKEN="xoxb-bad",
        SLACK_APP_TOKEN="xapp-bad",
        SLACK_API_URL=slack.base_url,
    )
    out, err = _finish(process)  # before: it retried forever and this timed out
    assert process.returncode == 1, err
    assert "Traceback" not in err
    assert "deskbot: Slack rejected SLACK_BOT_TOKEN (invalid_auth); check the token." in err
    assert "stopped because a part failed" not in err
    assert [c.method for c in slack.calls()] == ["auth.test"]


def test_a_refused_app_token_stops_run_with_one_line_and_exit_1(tmp_path, database_url, slack):
    process, _ = _start(
        tmp_path,
        database_url,
        SLACK_BOT_TOKEN=slack.token,
        SLACK_APP_TOKEN="xapp-bad",
        SLACK_API_URL=slack.base_url,
    )
    out, err = _finish(process)
    assert process.returncode == 1, err
    assert "Traceback" not in err
    assert "deskbot: Slack rejected SLACK_APP_TOKEN (invalid_auth); check the token." in err
    assert [c.method for c in slack.calls("apps.connections.open")] == ["apps.connections.open"]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_an_unreachable_slack_is_retried_one_line_at_a_time_and_not_ready(tmp_path, database_url):
    closed = _free_port()  # nothing listens there: connection refused
    log = (tmp_path / "stderr.txt").open("w+", encoding="utf-8")
    process, port = _start(
        tmp_path,
        database_url,
        stderr=log,
        SLACK_BOT_TOKEN="xoxb-any",
        SLACK_APP_TOKEN="xapp-any",
        SLACK_API_URL=f"http://127.0.0.1:{closed}/api/",
    )

    def attempts() -> list[str]:
        text = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
        return [line for line in text.splitlines() if "cannot reach Slack" in line]

    try:
        deadline = time.monotonic() + 30
        readiness = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                readiness = _get(f"http://127.0.0.1:{port}/readyz")
                break
            except OSError:
                time.sleep(0.1)
        assert readiness is not None, "the web server never answered"
        status, body = readiness
        assert status == 503 and '"slack":"disconnected"' in body, body
        while time.monotonic() < deadline and len(attempts()) < 2 and process.poll() is None:
            time.sleep(0.1)
        assert process.poll() is None  # an outage is not a reason to stop
        assert _get(f"http://127.0.0.1:{port}/readyz")[0] == 503
    finally:
        process.send_signal(signal.SIGTERM)
        _finish(process)
        log.close()
    err = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert len(attempts()) >= 2, err
    assert all("; retrying in " in line for line in attempts())
    assert err.count("deskbot: stopping") == 1


async def test_the_adapter_reports_its_socket_mode_connection(database_url, slack):
    fake = SocketModeFake(slack)
    await fake.start()
    settings = Settings(
        database_url=database_url,
        config_path=None,
        slack_bot_token=slack.token,
        slack_app_token=APP_TOKEN,
        slack_api_url=fake.base_url,
    )
    runtime = Runtime(settings, load_config_text(CONFIG), platforms=("slack",))
    runtime.prepare()
    adapter = SlackAdapter(runtime, channel_interval=0)
    stop = asyncio.Event()
    assert await adapter.connected() is False
    task = asyncio.create_task(adapter.run(stop))
    try:
        await asyncio.wait_for(fake.connected.wait(), timeout=10)
        for _ in range(100):
            if await adapter.connected():
                break
            await asyncio.sleep(0.05)
        assert await adapter.connected() is True
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        await fake.stop()
        runtime.close()
    assert await adapter.connected() is False
