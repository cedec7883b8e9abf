"""The monitoring routes on a real, migrated database, with the inbox writer that stores
what they accept: an ASGI client for most tests, a real uvicorn where the wire matters."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from adapters.monitoring import monitoring_routes
from bot.db import Database
from bot.event_intake import EventIntake
from bot.web import build_web_app
from domain.clock import ManualClock
from domain.event_settings import EventSettings, Heartbeat, Integration
from domain.events.records import EventInbox

# Copies of ../shared/fixtures/payloads (see its SOURCES.md), so a checkout is enough.
FIXTURES = Path(__file__).resolve().parent / "payloads"
SHARED_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "payloads"

AM_TOKEN = "am-token-3f9c2e"
GRAFANA_TOKEN = "grafana-token-77a1"
PD_KEY = "e93facc04764012d7bfb002500d5d1a6"  # 32 characters, like PagerDuty's
GENERIC_TOKEN = "generic-token-51d0"
BACKUPS_TOKEN = "backups-token-c0ffee"


def event_settings(**overrides: Any) -> EventSettings:
    """The `events:` section the tests run with (built directly, not from YAML)."""
    integrations = {
        "prometheus": Integration("prometheus", "alertmanager", AM_TOKEN, service="vpn"),
        "grafana": Integration("grafana", "alertmanager", GRAFANA_TOKEN),
        "pd": Integration("pd", "pagerduty", PD_KEY),
        "hooks": Integration("hooks", "generic", GENERIC_TOKEN),
        "backups": Integration("backups", "generic", BACKUPS_TOKEN),
        # Its token_env was unset at load: it must refuse everything.
        "unset": Integration("unset", "alertmanager", None, token_env="DESKBOT_UNSET_TOKEN"),
    }
    heartbeats = {
        "nightly-backup": Heartbeat("nightly-backup", "backups", every=timedelta(days=1)),
    }
    values: dict[str, Any] = {"integrations": integrations, "heartbeats": heartbeats}
    return EventSettings(**(values | overrides))


def fixture(name: str) -> Any:
    """A real payload from ../shared/fixtures/payloads."""
    return json.loads((FIXTURES / name).read_text())


class Wakes:
    """Counts wake() calls (processing being told there is work), and checks that each
    comes after the rows it announces are committed."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.calls = 0
        self.rows_seen: list[int] = []
        self.lock = threading.Lock()

    def __call__(self) -> None:
        with self.lock:
            self.calls += 1
        with self.database.engine.connect() as connection:
            self.rows_seen.append(len(connection.execute(select(EventInbox.id)).all()))


class Monitoring:
    """The routes as the web server serves them, the intake and its database."""

    def __init__(self, database: Database, settings: EventSettings) -> None:
        self.database = database
        self.clock = ManualClock()
        self.wakes = Wakes(database)
        self.intake = EventIntake(database, self.clock, settings, self.wakes)
        self.runtime = SimpleNamespace(policy=SimpleNamespace(events=settings), database=database)
        self.app = build_web_app(self.runtime, monitoring_routes(self.runtime, self.intake))

    def use(self, settings: EventSettings) -> None:
        """Change the settings the routes read (as a config reload would)."""
        self.runtime.policy.events = settings
        self.intake.settings = settings

    def rows(self) -> list[EventInbox]:
        """The inbox, oldest first."""
        with self.database.transaction() as session:
            return list(session.scalars(select(EventInbox).order_by(EventInbox.id)))

    def stored(self) -> list[dict[str, Any]]:
        """Every stored signal, in order, as the inbox holds it."""
        return [signal for row in self.rows() for signal in json.loads(row.signals)]

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://t")

    def close(self) -> None:
        self.intake.close()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database of the test's own (PostgreSQL when DATABASE_URL says so)."""
    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def monitoring(database: Database) -> Iterator[Monitoring]:
    world = Monitoring(database, event_settings())
    yield world
    world.close()


@pytest.fixture
async def client(monitoring: Monitoring) -> AsyncIterator[httpx.AsyncClient]:
    async with monitoring.client() as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
