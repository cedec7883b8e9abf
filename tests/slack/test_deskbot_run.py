"""`deskbot run` as an admin starts it: the real process, HTTP mode, the Slack fake as Slack."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx

from tests.fakes.slack_signing import SlackSigner
from tests.slack.harness import CONFIG, SECRET, TRIAGE

DESKBOT = str(Path(sys.executable).parent / "deskbot")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"deskbot exited early:\n{process.communicate()[1]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def test_deskbot_run_serves_slack_and_delivers_without_logging_secrets(
    tmp_path, database_url, slack
):
    config = tmp_path / "deskbot.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.update(
        DATABASE_URL=database_url,
        DESKBOT_CONFIG=str(config),
        PORT=str(port),
        SLACK_BOT_TOKEN=slack.token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.base_url,
    )
    process = subprocess.Popen(
        [DESKBOT, "-v", "run"],
        cwd=tmp_path,
        env=env,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        request = SlackSigner(SECRET).slash_command(
            command="/incident",
            text='new "VPN drops every 10 min" --service vpn',
            user_id="U0ALICE",
            user_name="alice",
            response_url=slack.response_url("run"),
        )
        response = httpx.post(
            f"http://127.0.0.1:{port}/slack/events",
            content=request.content,
            headers=request.headers,
            timeout=10,
        )
        assert (response.status_code, response.text) == (200, "")

        [reply] = slack.wait_for("response_url", timeout=15)
        assert reply.args["text"].startswith('Opened INC-1 [P3] "VPN drops every 10 min"')
        [card] = slack.wait_for("chat.postMessage", timeout=15)
        assert card.args["channel"] == TRIAGE and "blocks" in card.args
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    for secret in (slack.token, SECRET):
        assert secret not in out + err
