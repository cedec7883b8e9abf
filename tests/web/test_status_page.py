"""GET /status and /status.json on a real HTTP server on 127.0.0.1: each service's state
from the desk's records (a major incident is an outage, an incident monitoring opened
makes it degraded, an ordinary P3 changes nothing), the public updates and nothing else,
ninety UTC days of history, and a 404 when the config turns the page off."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import httpx
import pytest

from adapters.web.status_page import status_page_routes
from bot.web import build_web_app
from domain.clock import ManualClock
from domain.events import Signal
from domain.events.inbox import put
from tests.fakes.asgi_server import UvicornThread
from tests.harness import DeskHarness

START = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # a Monday evening, UTC
PUBLIC = "Mail delivery is delayed; we are rerouting it"
PRIVATE = "relay db-07 disk full, Bob is restarting it"
TITLE = "Mail relay melted"
DESCRIPTION = "the relay at 10.1.2.3 ran out of inodes"
IMPACT = "finance team mailboxes"


def serve(desk: DeskHarness) -> UvicornThread:
    # fresh_for=0: every request reads the database, so each assertion sees the records now.
    routes = status_page_routes(desk.runtime, fresh_for=0)
    return UvicornThread(build_web_app(desk.runtime, extra_routes=routes)).start()


@pytest.fixture
def page(database_url, example_config):
    desk = DeskHarness.start(database_url, example_config, clock=ManualClock(START))
    server = serve(desk)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield desk, client
    finally:
        server.stop()
        desk.close()


def alert(desk: DeskHarness, action: str = "trigger") -> None:
    """The uptime monitor (PagerDuty Events v2, service vpn) reports the VPN failing:
    severity "error" is an exception at P3, so only its origin makes the VPN degraded."""
    signal = Signal("pagerduty", "vpn-probe", action, summary="VPN probe fails", severity="error")
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        put(ctx, "uptime", [signal])
    desk.advance(seconds=1)


def a_major_incident_on_email(desk: DeskHarness) -> None:
    """alice reports it (with a description); carol runs it as a major incident and posts
    one public and one private update."""
    desk.say(
        "alice",
        f'/incident new "{TITLE}" --service email --impact high --urgency high '
        f'--description "{DESCRIPTION}"',
    )
    assert "is a major incident" in desk.say("carol", "/incident major INC-1")
    assert "Update posted" in desk.say(
        "carol", f"/major update INC-1 {PUBLIC} --status identified --public"
    )
    assert "Update posted" in desk.say(
        "carol", f'/major update INC-1 {PRIVATE} --impact "{IMPACT}"'
    )
    desk.posts()


def states(board: dict) -> dict[str, str]:
    return {s["name"]: s["state"] for s in board["services"]}


def test_each_service_shows_its_state_and_only_public_updates(page):
    desk, client = page
    board = client.get("/status.json").json()
    assert board["state"] == "operational"
    assert set(states(board).values()) == {"operational"}

    a_major_incident_on_email(desk)
    alert(desk)
    # An ordinary P3 on laptops, reported by a person: no trouble for the public.
    desk.say("bob", '/incident new "Docking station flickers" --service laptop')
    board = client.get("/status.json").json()
    assert states(board) == {
        "vpn": "degraded",
        "wifi": "operational",
        "email": "outage",
        "laptop": "operational",
    }
    assert board["state"] == "outage"
    email = next(s for s in board["services"] if s["name"] == "email")
    assert email["updates"] == [{"at": START.isoformat(), "status": "identified", "text": PUBLIC}]
    assert email["display_name"] == "Email and calendars"

    html = client.get("/status")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert PUBLIC in html.text
    assert 'id="service-email" data-state="outage"' in html.text
    assert 'id="service-vpn" data-state="degraded"' in html.text
    assert 'id="service-wifi" data-state="operational"' in html.text
    assert "Some services are down." in html.text

    # Nothing internal, in either form: not the private update, the title, the description,
    # the impact, the incident's key or war room, the alert's summary, a person or a team.
    people = desk.runtime.policy.people
    secret = [PRIVATE, TITLE, DESCRIPTION, IMPACT, "INC-1", "inc-1-", "VPN probe fails"]
    secret += ["Docking station"]
    secret += [name for name in people] + [p.display_name for p in people.values()]
    secret += ["network", "messaging", "service-desk", "Network Operations"]
    for body in (html.text, client.get("/status.json").text):
        leaked = [s for s in secret if s.lower() in body.lower()]
        assert leaked == []


def test_the_alert_resolving_makes_the_service_operational_again(page):
    desk, client = page
    alert(desk)
    assert states(client.get("/status.json").json())["vpn"] == "degraded"
    desk.advance(minutes=20)
    alert(desk, "resolve")  # every event of the group resolved: so is its incident
    board = client.get("/status.json").json()
    assert states(board)["vpn"] == "operational"
    # The day it happened stays degraded in the history.
    vpn = next(s for s in board["services"] if s["name"] == "vpn")
    assert vpn["history"][-1] == {"date": "2026-03-02", "state": "degraded"}


def test_an_incident_monitoring_opened_degrades_its_own_service(page):
    desk, client = page
    alert(desk)  # INC-1, P3, opened by the VPN's probe
    # An agent finds the Wi-Fi is at fault: the incident moves, its events stay on the VPN.
    reply = desk.say("carol", "/incident update INC-1 --service wifi")
    assert "service wifi" in reply and "now P3" in reply
    board = client.get("/status.json").json()
    assert states(board)["wifi"] == "degraded"  # the incident, P3, degrades by its origin
    assert states(board)["vpn"] == "degraded"  # the live event
    # The same P3 reported by a person degrades nothing.
    desk.say("alice", '/incident new "Wi-Fi slow on floor 2" --service email')
    assert states(client.get("/status.json").json())["email"] == "operational"


def test_history_has_ninety_utc_days_with_the_worst_state_of_each(page):
    desk, client = page
    # Monday 22:30: the major incident begins; resolved Tuesday 01:30 UTC, across midnight.
    a_major_incident_on_email(desk)
    desk.advance(hours=3)
    assert (
        "resolved"
        in desk.say(
            "carol", "/major resolve INC-1 Relay replaced; mail flows again --public"
        ).lower()
    )
    # Thursday: the VPN alert fires and is still firing on Friday (today).
    desk.advance(days=2, hours=12)
    alert(desk)
    desk.advance(days=1)
    board = client.get("/status.json").json()
    assert board["timezone"] == "UTC" and board["days"] == 90
    by_name = {s["name"]: s for s in board["services"]}
    for service in by_name.values():
        assert len(service["history"]) == 90
        # 89 days before 6 March: 6 Feb is 28 days (February 2026), 6 Jan 59, 6 Dec 90.
        assert service["history"][0]["date"] == "2025-12-07"
        assert service["history"][-1]["date"] == "2026-03-06"
    bad = {
        name: {d["date"]: d["state"] for d in s["history"] if d["state"] != "operational"}
        for name, s in by_name.items()
    }
    assert bad == {
        "email": {"2026-03-02": "outage", "2026-03-03": "outage"},
        "vpn": {"2026-03-05": "degraded", "2026-03-06": "degraded"},
        "wifi": {},
        "laptop": {},
    }
    assert states(board) == {
        "vpn": "degraded",
        "wifi": "operational",
        "email": "operational",
        "laptop": "operational",
    }
    # Resolved more than a day ago: its updates have left the page.
    assert by_name["email"]["updates"] == []

    html = client.get("/status").text
    assert html.count('class="day ') == 4 * 90 + 3  # and the key's three samples
    assert 'data-date="2026-03-03" data-state="outage" title="3 Mar 2026: Outage"' in html
    assert 'data-date="2026-03-05" data-state="degraded"' in html
    assert "2 days with an outage in the last 90 days." in html
    assert "2 days degraded in the last 90 days." in html
    assert "No trouble in the last 90 days." in html


def test_a_resolved_public_resolution_shows_for_a_day(page):
    desk, client = page
    a_major_incident_on_email(desk)
    desk.advance(hours=1)
    desk.say("carol", "/major resolve INC-1 Relay replaced; mail flows again --public")
    email = next(s for s in client.get("/status.json").json()["services"] if s["name"] == "email")
    assert email["state"] == "operational"
    assert [(u["status"], u["text"]) for u in email["updates"]] == [
        ("resolved", "Relay replaced; mail flows again"),
        ("identified", PUBLIC),
    ]


def test_the_page_is_public_cacheable_and_cannot_be_framed(page):
    desk, client = page
    for path in ("/status", "/status.json"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=30"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "set-cookie" not in response.headers


def test_a_disabled_status_page_is_not_found(database_url, example_config):
    metrics = example_config.policy.metrics
    off = dataclasses.replace(
        metrics, status_page=dataclasses.replace(metrics.status_page, enabled=False)
    )
    config = dataclasses.replace(
        example_config, policy=dataclasses.replace(example_config.policy, metrics=off)
    )
    desk = DeskHarness.start(database_url, config, clock=ManualClock(START))
    server = serve(desk)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert client.get("/status").status_code == 404
            assert client.get("/status.json").status_code == 404
            assert client.get("/healthz").status_code == 200
    finally:
        server.stop()
        desk.close()


def test_the_configured_services_are_shown_in_their_order(database_url, example_config):
    metrics = example_config.policy.metrics
    some = dataclasses.replace(
        metrics, status_page=dataclasses.replace(metrics.status_page, services=("email", "vpn"))
    )
    config = dataclasses.replace(
        example_config, policy=dataclasses.replace(example_config.policy, metrics=some)
    )
    desk = DeskHarness.start(database_url, config, clock=ManualClock(START))
    server = serve(desk)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            board = client.get("/status.json").json()
            assert [s["name"] for s in board["services"]] == ["email", "vpn"]
            assert board["title"] == "Example Corp status"
    finally:
        server.stop()
        desk.close()
