"""How long `deskbot run` takes to exit after SIGTERM with nothing in flight.

    .venv/bin/python -m bench.stopping

Two shapes: the local console (stdin a pipe kept open, so the console waits for a line) and
Socket Mode while Slack is unreachable (connecting or waiting to retry). Each is started,
given a few seconds to settle, sent SIGTERM, and timed until it has exited.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DESKBOT = str(Path(sys.executable).parent / "deskbot")
ROUNDS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_time(extra_env: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
        env.update(DATABASE_URL=f"sqlite:///{tmp}/deskbot.db", PORT=str(_free_port()))
        env.update(extra_env)
        process = subprocess.Popen(
            [DESKBOT, "run"],
            cwd=tmp,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(4)
        started = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        return time.perf_counter() - started


def main() -> None:
    shapes = {
        "console (no credentials)": {},
        "Socket Mode, Slack unreachable": {
            "SLACK_BOT_TOKEN": "xoxb-any",
            "SLACK_APP_TOKEN": "xapp-any",
            "SLACK_API_URL": f"http://127.0.0.1:{_free_port()}/api/",
        },
    }
    for name, env in shapes.items():
        times = sorted(stop_time(env) for _ in range(ROUNDS))
        print(f"{name}: SIGTERM to exit {times[len(times) // 2]:.2f}s (median of {ROUNDS})")


if __name__ == "__main__":
    main()
