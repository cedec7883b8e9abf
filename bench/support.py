"""What the benchmarks share: the database to run on, the desk on it, the machine to report.

Without `--database-url` (or `DATABASE_URL`) a benchmark runs on a temporary SQLite file.
A URL must name a scratch database: it must be empty, or `--reset` drops deskbot's tables
in it first.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, insert, inspect, text

import bot
from bot.config import DeskConfig, example_config_path, load_config
from bot.db import normalise_url
from bot.runtime import Runtime
from bot.settings import Settings
from domain.clock import Clock
from domain.records import Base


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """`--database-url` and `--reset`, the same for every benchmark."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or None,
        help="a scratch database (default: $DATABASE_URL, else a temporary SQLite file)",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="drop deskbot's tables in --database-url first (otherwise it must be empty)",
    )


@contextmanager
def bench_database(url: str | None, *, reset: bool = False) -> Iterator[str]:
    """The URL to benchmark on: `url`, emptied first, or a temporary SQLite file."""
    if not url:
        with tempfile.TemporaryDirectory(prefix="deskbot-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    engine = create_engine(normalise_url(url))
    try:
        tables = inspect(engine).get_table_names()
        if tables and not reset:
            raise SystemExit(
                f"{engine.url.database} already has tables ({', '.join(sorted(tables))}); "
                "give an empty database, or pass --reset to drop deskbot's tables first."
            )
        if reset:
            Base.metadata.drop_all(engine)
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
                # What revision 0005 made outside the models (the full-text search's).
                if engine.dialect.name == "postgresql":
                    connection.execute(text("DROP TEXT SEARCH CONFIGURATION IF EXISTS deskbot"))
                    connection.execute(text("DROP TEXT SEARCH DICTIONARY IF EXISTS deskbot_porter"))
                else:
                    connection.execute(text("DROP TABLE IF EXISTS known_errors_fts"))
    finally:
        engine.dispose()
    yield url


def open_runtime(url: str, clock: Clock | None = None, config: DeskConfig | None = None) -> Runtime:
    """The example company's desk (or `config`) on `url`, with the console as its one
    platform."""
    return Runtime(
        Settings(database_url=url, config_path=None),
        config or load_config(example_config_path()),
        platforms=("console",),
        clock=clock,
    )


def bulk_insert(
    runtime: Runtime, table: Table, rows: Iterable[dict[str, Any]], batch: int = 20_000
) -> int:
    """Insert rows with executemany, one transaction per batch; returns how many."""
    count = 0
    iterator = iter(rows)
    while chunk := list(islice(iterator, batch)):
        with runtime.database.transaction() as session:
            session.execute(insert(table), chunk)
        count += len(chunk)
    return count


def incident_row(title: str, opened_at: datetime, **fields: Any) -> dict[str, Any]:
    """An incident row for bulk seeding: an untouched VPN incident unless `fields` say more."""
    return {
        "title": title,
        "description": "",
        "reporter": "alice",
        "service": "vpn",
        "impact": "medium",
        "urgency": "medium",
        "priority": "P3",
        "assignment_group": "service-desk",
        "assignee": None,
        "state": "new",
        "opened_at": opened_at,
        "updated_at": opened_at,
        "paused_seconds": 0,
        "respond_warned": False,
        "respond_breached": False,
        "resolve_warned": False,
        "resolve_breached": False,
        "escalation_level": 0,
    } | fields


def settle(runtime: Runtime) -> None:
    """After seeding: leave no background work to land inside the measurement.

    SQLite: copy the write-ahead log into the file now rather than on the checkpoint thread
    during the first timings. PostgreSQL: vacuum and analyse now (autovacuum would, later)
    so plans and the visibility map are those of a database in service.
    """
    database = runtime.database
    if database.is_sqlite:
        database.checkpoint()
        return
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        for table in inspect(c).get_table_names():
            c.execute(text(f'VACUUM ANALYZE "{table}"'))


def describe_machine(runtime: Runtime) -> list[str]:
    """Lines naming the CPU, memory, OS, Python, the code and the database, for the report."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or platform.machine(),
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        f"machine: {os.cpu_count()} CPUs ({cpu}), {memory:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, "
        f"{platform.python_implementation()} {platform.python_version()}"
    ]
    tree = Path(bot.__file__).parent.parent
    commit = subprocess.run(
        ["git", "-C", str(tree), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    lines.append(f"code: {tree} at {commit or 'an unknown commit'}")
    if runtime.database.is_sqlite:
        lines.append(f"database: SQLite {sqlite3.sqlite_version} file (WAL, synchronous=NORMAL)")
    else:
        with runtime.database.engine.connect() as c:
            settings = {
                name: c.execute(text(f"SHOW {name}")).scalar()
                for name in ("server_version", "shared_buffers", "fsync", "synchronous_commit")
            }
        lines.append(
            f"database: PostgreSQL {settings.pop('server_version')} on "
            f"{runtime.database.engine.url.host} ("
            + ", ".join(f"{k}={v}" for k, v in settings.items())
            + ")"
        )
    return lines


class TimedDirectory:
    """A directory with the time spent in it added up (per method, and in total)."""

    def __init__(self, directory, spent: dict[str, float]) -> None:
        self.directory, self.spent = directory, spent
        self.name = directory.name

    def __getattr__(self, name: str):
        method = getattr(self.directory, name)
        if not callable(method):
            return method

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.spent[name] += time.perf_counter() - start

        return timed
