"""Access tests run the desk as a worker does: with the periodic jobs (reconciliation,
scheduled reviews) written at start-up."""

from __future__ import annotations

import pytest

from tests.harness import DeskHarness


@pytest.fixture
def desk(database_url: str, example_config):
    harness = DeskHarness.start(database_url, example_config, periodic_jobs=True)
    yield harness
    harness.close()
