"""Stopping: with nothing in flight `deskbot run` stops at once, in one line, exit 0; Ctrl-C in
an interactive console prints no traceback; a second signal stops at once."""

from __future__ import annotations

import asyncio
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot import cli

DESKBOT = str(Path(sys.executable).parent / "deskbot")
STOP_LINE = "deskbot: stopping (nothing in flight)…"
# The old shutdown waited out a 10 s drain timeout (11 s in all); this is well under it and
# far above the fraction of a second stopping takes now.
OLD_WAIT = 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.pop("DESKBOT_CONFIG", None)
    env.update(DATABASE_URL=database_url, PORT=str(_free_port()), **extra)
    return env


def _wait_healthy(port: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "deskbot exited early"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("deskbot did not answer /healthz")


def _stop_and_wait(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    process.send_signal(sig)
    try:
        process.wait(timeout=OLD_WAIT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"still running {OLD_WAIT}s after the signal") from None


def test_run_with_an_idle_console_stops_at_once_on_sigterm(tmp_path, database_url):
    env = _env(tmp_path, database_url)
    process = subprocess.Popen(
        [DESKBOT, "run"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,  # kept open: the console is waiting for a line
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_healthy(env["PORT"], process)
        _stop_and_wait(process)
    finally:
        if process.poll() is None:
            process.kill()
        out, err = process.communicate()
    assert process.returncode == 0, err
    assert err.splitlines().count(STOP_LINE) == 1, err
    assert "Traceback" not in err and "Error" not in err, err


def test_run_in_socket_mode_stops_at_once_while_slack_is_unreachable(tmp_path, database_url):
    env = _env(
        tmp_path,
        database_url,
        SLACK_BOT_TOKEN="xoxb-any",
        SLACK_APP_TOKEN="xapp-any",
        SLACK_API_URL=f"http://127.0.0.1:{_free_port()}/api/",
    )
    process = subprocess.Popen(
        [DESKBOT, "run"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_healthy(env["PORT"], process)
        time.sleep(1)  # in the middle of connecting or of waiting to retry
        _stop_and_wait(process)
    finally:
        if process.poll() is None:
            process.kill()
        out, err = process.communicate()
    assert process.returncode == 0, err
    assert err.splitlines().count(STOP_LINE) == 1, err
    assert "Traceback" not in err, err


def test_ctrl_c_and_sigterm_in_an_interactive_console_print_no_traceback(tmp_path, database_url):
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [DESKBOT, "console"],
        cwd=tmp_path,
        env=_env(tmp_path, database_url),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    seen = b""

    def read(wait: float) -> bytes:
        if not select.select([controller], [], [], wait)[0]:
            return b""
        try:
            return os.read(controller, 65536)
        except OSError:  # the terminal is gone once the process has exited
            return b""

    try:
        deadline = time.monotonic() + 30
        while b"deskbot console" not in seen and time.monotonic() < deadline:
            seen += read(0.5)
        assert b"deskbot console" in seen, seen
        time.sleep(0.5)  # at the prompt, waiting for a line
        os.write(controller, b"\x03")  # Ctrl-C: clears the line, or stops the console
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:  # it cleared the line: stop it as a service is
            _stop_and_wait(process, signal.SIGTERM)
        while chunk := read(0.5):
            seen += chunk
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    text = seen.decode(errors="replace")
    assert process.returncode == 0, text
    for noise in ("Traceback", "KeyboardInterrupt", "CancelledError"):
        assert noise not in text, text
    assert text.count(STOP_LINE) == 1, text


async def test_a_second_signal_stops_at_once(monkeypatch):
    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    cli._stop_on_signals(stop, [])
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(stop.wait(), timeout=5)
        assert exits == []
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(500):
            if exits:
                break
            await asyncio.sleep(0.01)
        assert exits == [130]
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        loop.remove_signal_handler(signal.SIGTERM)
