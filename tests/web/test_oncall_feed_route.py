"""GET /api/v1/oncall/TEAM.ics on a real HTTP server on 127.0.0.1: the address `/oncall
feed` DMs opens as a calendar; a wrong token, or none, opens nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import icalendar
import pytest
from sqlalchemy import text

from adapters.web import oncall_feed_routes
from bot.web import build_web_app
from domain.clock import ManualClock
from tests.fakes.asgi_server import UvicornThread
from tests.harness import DeskHarness

WEDNESDAY = datetime(2026, 1, 7, 10, 0, tzinfo=UTC)  # carol's week as primary
LINK = re.compile(r"(http://\S+/api/v1/oncall/network\.ics\?token=\w+)")


@pytest.fixture
def feed(database_url, example_config):
    desk = DeskHarness.start(database_url, example_config, clock=ManualClock(WEDNESDAY))
    server = UvicornThread(build_web_app(desk.runtime, oncall_feed_routes(desk.runtime))).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield desk, client
    finally:
        server.stop()
        desk.close()


def _address(desk, person: str = "carol") -> str:
    desk.say(person, "/oncall feed network")
    found = [LINK.search(p) for p in desk.posts() if p.startswith(f"[DM @{person}]")]
    [match] = [m for m in found if m]
    return match.group(1).removeprefix("http://localhost:3000")


def test_the_dmed_address_opens_as_a_calendar_of_both_schedules(feed):
    desk, client = feed
    address = _address(desk)
    response = client.get(address)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = [c for c in calendar.walk("VEVENT")]
    people = desk.runtime.policy.people
    carol, erin = people["carol"].display_name, people["erin"].display_name
    this_week = [e for e in events if e["DTSTART"].dt <= WEDNESDAY < e["DTEND"].dt]
    assert sorted(str(e["SUMMARY"]) for e in this_week) == [
        f"On call: {carol} (network primary)",
        f"On call: {erin} (network secondary)",
    ]
    assert all(e["DTEND"].dt.isoformat() == "2026-01-12T09:00:00+00:00" for e in this_week)
    # Overrides show; the address was never stored where the outbox keeps messages.
    desk.say("carol", "/oncall override network @erin --from now --to +2h")
    again = icalendar.Calendar.from_ical(client.get(address).content)
    assert any("OVR-1" in str(e.get("DESCRIPTION", "")) for e in again.walk("VEVENT"))
    with desk.runtime.database.transaction() as session:
        stored = session.execute(text("SELECT context FROM outbox")).scalars().all()
    token = address.rpartition("token=")[2]
    assert not any(token in (row or "") for row in stored)


def test_a_wrong_or_missing_token_is_refused_without_naming_teams(feed):
    desk, client = feed
    address = _address(desk)
    assert client.get("/api/v1/oncall/network.ics").status_code == 403
    assert client.get(address[:-2] + "00").status_code == 403
    # Another team's address is not this token's: 403, as for a team that does not exist.
    other = address.replace("network.ics", "messaging.ics")
    assert client.get(other).status_code == 403
    assert client.get(address.replace("network.ics", "nope.ics")).status_code == 403
