"""The database: engine, transactions and schema upgrades (Alembic)."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

import migrations

log = logging.getLogger(__name__)
CHECKPOINT_EVERY = 1.0  # seconds between WAL checkpoints of a busy SQLite database


def normalise_url(url: str) -> str:
    """Accept the URL forms operators paste (postgres://…) and pick the installed driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class WriteTurn:
    """A re-entrant lock whose urgent waiters go before the others."""

    def __init__(self) -> None:
        self._free = threading.Condition()
        self._owner: int | None = None
        self._depth = 0
        self._urgent = 0  # urgent threads waiting

    @contextmanager
    def turn(self, *, urgent: bool = False) -> Iterator[None]:
        me = threading.get_ident()
        with self._free:
            if self._owner == me:
                self._depth += 1
            else:
                self._urgent += urgent
                try:
                    self._free.wait_for(
                        lambda: self._owner is None and (urgent or self._urgent == 0)
                    )
                finally:
                    self._urgent -= urgent
                self._owner, self._depth = me, 1
        try:
            yield
        finally:
            with self._free:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._free.notify_all()


class Database:
    """One engine per process; a short transaction per use case."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.in_memory = self.is_sqlite and (
            self.url in ("sqlite://", "sqlite:///")
            or ":memory:" in self.url
            or "mode=memory" in self.url
        )
        self.engine: Engine = self._create_engine()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = WriteTurn() if self.is_sqlite else None
        self._dirty = threading.Event()
        self._stopped = threading.Event()
        self._checkpointer: threading.Thread | None = None
        if self.is_sqlite and not self.in_memory:
            event.listens_for(self.engine, "commit")(lambda _conn: self._dirty.set())
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop, daemon=True, name="sqlite-checkpoint"
            )
            self._checkpointer.start()

    def _create_engine(self) -> Engine:
        if not self.is_sqlite:
            return create_engine(self.url, pool_pre_ping=True, pool_size=10, max_overflow=10)
        # An in-memory database lives as long as its connection: every thread must share one
        # (StaticPool), or each would see an empty database of its own ("no such table").
        # Threads of this process take turns at it through the write turn below.
        pool = {"poolclass": StaticPool} if self.in_memory else {}
        engine = create_engine(
            self.url, connect_args={"check_same_thread": False, "timeout": 30}, **pool
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:
            # Let SQLAlchemy, not the driver, decide when a transaction starts (see "begin").
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            if not self.in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # Checkpoints run on their own thread (below), not inside a user's commit.
                cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection) -> None:
            # Take the write lock up front: two threads that read then write would
            # otherwise deadlock into "database is locked" instead of waiting their turn.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    @contextmanager
    def transaction(self, *, urgent: bool = False) -> Iterator[Session]:
        """A session whose work commits together at the end, or not at all on error.

        `urgent` work (storing interactions before their acknowledgement) goes before other
        work waiting for SQLite's write lock.
        """
        if self._writer is None:
            with self._sessions() as session, session.begin():
                yield session
            return
        # SQLite: one writer at a time. Threads of this process queue here and are woken the
        # moment the lock is free, instead of in SQLite's busy handler, which sleeps in steps
        # of up to 100 ms (other processes still wait there).
        with self._writer.turn(urgent=urgent), self._sessions() as session, session.begin():
            yield session

    def _checkpoint_loop(self) -> None:
        while not self._stopped.wait(CHECKPOINT_EVERY):
            if self._dirty.is_set():
                self._dirty.clear()
                self.checkpoint()

    def checkpoint(self) -> None:
        """Copy the SQLite write-ahead log into the database file without blocking writers."""
        try:
            # A raw driver connection in autocommit: no BEGIN IMMEDIATE, so writers go on.
            connection = self.engine.raw_connection()
            try:
                connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                connection.close()
        except Exception:
            log.warning("SQLite checkpoint failed; will retry", exc_info=True)

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def alembic_config(self) -> AlembicConfig:
        config = AlembicConfig()
        config.set_main_option("script_location", str(Path(migrations.__file__).parent))
        config.attributes["engine"] = self.engine
        return config

    @contextmanager
    def exclusive(self, key: int = 0x6465736B) -> Iterator[None]:
        """Hold a lock across processes (PostgreSQL advisory lock, or a lock file beside the
        SQLite file) so replicas starting together migrate and sync one at a time."""
        if self.is_sqlite:
            path = self.engine.url.database
            if not path or path == ":memory:" or not os.path.isdir(os.path.dirname(path) or "."):
                yield  # nothing to share, or a path that fails on connect with a clear error
                return
            with open(f"{path}.lock", "a") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)
            return
        with self.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema up to date; safe to run on every start."""
        command.upgrade(self.alembic_config(), revision)

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def dispose(self) -> None:
        self._stopped.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=5)
        self.engine.dispose()
