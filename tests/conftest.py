"""Shared fixtures: a migrated database (SQLite, or PostgreSQL via DATABASE_URL) per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.config import example_config_path, load_config
from bot.db import Database
from domain.schema import Base
from tests.harness import DeskHarness

POSTGRES_URL = os.environ.get("DATABASE_URL", "")


def _wipe(database: Database) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with database.engine.begin() as connection:
        if database.is_sqlite:
            for table in reversed(tables):
                connection.execute(text(f"DELETE FROM {table}"))
        else:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def _postgres_database():
    if not POSTGRES_URL.startswith("postgres"):
        yield None
        return
    database = Database(POSTGRES_URL)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def database_url(tmp_path: Path, _postgres_database) -> str:
    """A clean, migrated database for this test: PostgreSQL when DATABASE_URL says so."""
    if _postgres_database is not None:
        _wipe(_postgres_database)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path / 'deskbot.db'}"


@pytest.fixture
def example_config():
    return load_config(example_config_path())


@pytest.fixture
def desk(database_url: str, example_config):
    """The example company on a console test backend, with a clock the test moves."""
    harness = DeskHarness.start(database_url, example_config)
    yield harness
    harness.close()
