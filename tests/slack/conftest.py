"""Fixtures: the fake Slack Web API with the example company's users, and deskbot wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import SlackDeskHarness, add_company_users


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    """A running fake Slack Web API that knows the example company's accounts."""
    with FakeSlackApi() as fake:
        add_company_users(fake)
        yield fake


@pytest.fixture
async def slack_desk(database_url: str, slack: FakeSlackApi) -> AsyncIterator[SlackDeskHarness]:
    """deskbot on Slack only, with its outbox worker running."""
    desk = SlackDeskHarness.build(database_url, slack)
    desk.start_worker()
    try:
        yield desk
    finally:
        await desk.close()
