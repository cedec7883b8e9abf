"""Start-up says what each process runs, and what is missing when credentials are partial."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.cli import _mask_password
from tests.slack.harness import CONFIG

DESKBOT = str(Path(sys.executable).parent / "deskbot")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.pop("DESKBOT_CONFIG", None)
    env.update(DATABASE_URL=database_url, PORT=str(_free_port()), **extra)
    return env


def _first_line_of(command: str, tmp_path: Path, env: dict[str, str]) -> str:
    """Start `deskbot COMMAND`, wait for its first line of output, stop it (SIGTERM)."""
    out_path = tmp_path / "stdout.txt"
    with out_path.open("w") as out:
        process = subprocess.Popen(
            [DESKBOT, command],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and process.poll() is None:
                if out_path.read_text().strip():
                    break
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                _, err = process.communicate(timeout=30)
            finally:
                if process.poll() is None:
                    process.kill()
    assert process.returncode == 0, err
    lines = out_path.read_text().splitlines()
    assert len(lines) == 1, lines  # one line, then quiet
    return lines[0]


def test_version_comes_from_the_package_metadata():
    result = subprocess.run([DESKBOT, "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"deskbot {version('deskbot')}\n"


def test_a_bot_token_alone_says_what_slack_still_needs(tmp_path, database_url):
    env = _env(database_url, SLACK_BOT_TOKEN="xoxb-only")
    result = subprocess.run(
        [DESKBOT, "run"],
        cwd=tmp_path,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "No Slack or Discord credentials are set" not in result.stdout
    assert (
        "Slack is not connected: SLACK_BOT_TOKEN is set but Slack also needs SLACK_APP_TOKEN "
        "(Socket Mode) or SLACK_SIGNING_SECRET (HTTP), so deskbot runs the local console."
    ) in result.stdout


def test_serve_states_its_urls_database_and_config(tmp_path, database_url):
    env = _env(database_url, SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="s3cret")
    web = f"http://localhost:{env['PORT']}"
    line = _first_line_of("serve", tmp_path, env)
    assert line.startswith("deskbot serve: web server on ")
    assert f"{web}/healthz" in line
    assert f"Slack over HTTP (events at {web}/slack/events)" in line
    assert f"database {_mask_password(database_url)}" in line
    assert "config examples/deskbot.yaml (the example company)" in line
    assert "xoxb-x" not in line and "s3cret" not in line


def test_run_in_http_mode_states_what_it_runs(tmp_path, database_url):
    config = tmp_path / "desk.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    env = _env(
        database_url,
        SLACK_BOT_TOKEN="xoxb-x",
        SLACK_SIGNING_SECRET="s3cret",
        SLACK_API_URL=f"http://127.0.0.1:{_free_port()}/api/",
        DESKBOT_CONFIG=str(config),
    )
    line = _first_line_of("run", tmp_path, env)
    assert line.startswith("deskbot run: web server on ")
    assert "Slack over HTTP" in line and "the worker" in line
    assert line.endswith(f"config {config}")


def test_worker_states_what_it_runs(tmp_path, database_url):
    line = _first_line_of("worker", tmp_path, _env(database_url))
    assert line.startswith("deskbot worker: the worker (timers, escalations, delivery to ")
    assert f"database {_mask_password(database_url)}" in line


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://desk:hunter2@db:5432/desk", "postgresql://desk:***@db:5432/desk"),
        ("postgresql://desk@db/desk", "postgresql://desk@db/desk"),
        ("sqlite:////srv/deskbot.db", "sqlite:////srv/deskbot.db"),
    ],
)
def test_the_database_password_is_masked(url, shown):
    assert _mask_password(url) == shown


def test_discord_states_what_it_runs(tmp_path, database_url):
    closed = _free_port()
    env = _env(
        database_url,
        DISCORD_TOKEN="not-a-real-token",
        DISCORD_API_URL=f"http://127.0.0.1:{closed}/api/v10",
        DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{closed}/",
    )
    line = _first_line_of("discord", tmp_path, env)
    assert line.startswith("deskbot discord: the Discord gateway; database ")
    assert "not-a-real-token" not in line
