"""What the chaos tests share: a throwaway PostgreSQL cluster, deskbot processes, polling,
and queries on the database the processes share."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

DESKBOT = str(Path(sys.executable).parent / "deskbot")

postgres_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="the chaos test runs several processes on PostgreSQL (set DATABASE_URL)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throwaway PostgreSQL cluster (initdb, pg_ctl) that the test may restart."""

    def __init__(self, root: Path) -> None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not versions:
            pytest.skip("PostgreSQL's server binaries are not installed")
        self.bin = versions[-1]
        self.root, self.port = root, free_port()
        self.data = root / "data"

    def _as_postgres(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._as_postgres("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self._pg_ctl("start")
        self._as_postgres(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "chaos"
        )
        return f"postgresql://postgres@127.0.0.1:{self.port}/chaos"

    def _pg_ctl(self, action: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c max_connections=200"
        )
        self._as_postgres(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-w",
            "-m",
            "fast",
            action,
            "-o",
            options,
        )

    def restart(self) -> None:
        self._pg_ctl("restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("stop")


class Deskbot:
    """One `deskbot serve`, `deskbot worker` or `deskbot discord` process."""

    def __init__(self, role: str, env: dict[str, str], log: Path, port: int | None = None):
        self.role, self.port, self.log = role, port, log
        environment = dict(env) | ({"PORT": str(port)} if port else {})
        self.process = subprocess.Popen(
            [DESKBOT, role], env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.5)


def query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)))
    finally:
        engine.dispose()


def sla_warnings(url: str) -> int:
    return query(url, "SELECT count(*) FROM timeline_entries WHERE kind = 'sla_warning'")[0][0]


def print_logs(directory: Path) -> None:
    """The end of every process's log (the test's output shows them with -s)."""
    for log in sorted(directory.glob("*.log")):
        tail = log.read_text()[-3000:]
        print(f"--- {log.name}\n{tail}")
