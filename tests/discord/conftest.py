"""Fixtures: the fake Discord with the example company, and deskbot connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.discord.harness import DiscordDeskHarness, ErrorLog, add_company
from tests.fakes.discord_server import FakeDiscord


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    """Fail the test on ERROR records from discord.py or the adapter (allow() what is expected)."""
    log = ErrorLog().install()
    yield log
    log.uninstall()
    if log.unexpected:
        pytest.fail("ERROR records were logged:\n" + log.report(), pytrace=False)


@pytest.fixture
def endpoints() -> Iterator[None]:
    """Put discord.py's process-wide REST base and gateway URL back after the test."""
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    yield
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
async def fake(endpoints) -> AsyncIterator[FakeDiscord]:
    """A running fake Discord whose guild has the example company's channels and people."""
    async with FakeDiscord() as server:
        add_company(server)
        yield server


@pytest.fixture
async def desk(database_url: str, fake: FakeDiscord, errors) -> AsyncIterator[DiscordDeskHarness]:
    """deskbot on Discord, connected and ready, its outbox worker running."""
    harness = await DiscordDeskHarness.start(database_url, fake)
    try:
        yield harness
    finally:
        await harness.close()
