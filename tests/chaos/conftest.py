"""Fixtures of the chaos tests: a PostgreSQL cluster of their own."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.support import Cluster


@pytest.fixture
def cluster() -> Iterator[tuple[Cluster, str]]:
    # Not under pytest's tmp_path: the postgres user must be able to reach it.
    root = Path(tempfile.mkdtemp(prefix="deskbot-chaos-pg-"))
    pg = Cluster(root)
    try:
        url = pg.start()
        yield pg, url
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
