"""GET /metrics on a real HTTP server on 127.0.0.1: off unless its token is set, refused
without the right bearer token, and with it the desk's gauges, worked out by hand from a
small fixture, plus this process's request histograms labelled by route template."""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from adapters.mail import MailFile
from adapters.web import reset_routes
from adapters.web.prometheus import WebMetrics
from bot.web import build_web_app
from domain.clock import ManualClock
from domain.events.records import EventGroup, EventInbox, EventRecord
from domain.incidents.records import IncidentRecord
from domain.metrics_gauges import read_gauges
from domain.metrics_settings import MetricsSettings
from domain.records import OutboxMessage, Timer
from tests.fakes.asgi_server import UvicornThread
from tests.harness import DeskHarness

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
TOKEN_ENV = "DESKBOT_METRICS_TOKEN"  # what the example company's metrics section names


def _incident(priority, team, state, respond=False, resolve=False) -> IncidentRecord:
    return IncidentRecord(
        title="Printer on fire",
        reporter="alice",
        impact="medium",
        urgency="medium",
        priority=priority,
        assignment_group=team,
        state=state,
        opened_at=NOW - timedelta(days=1),
        updated_at=NOW,
        respond_breached=respond,
        resolve_breached=resolve,
    )


def _message(platform, status, age_s) -> OutboxMessage:
    return OutboxMessage(
        created_at=NOW - timedelta(seconds=age_s),
        platform=platform,
        kind="incident_opened",
        destination_kind="channel",
        destination="service-desk",
        context="{}",
        status=status,
        attempts=0,
        next_attempt_at=NOW + timedelta(hours=1),  # never due: the worker leaves them be
    )


def _timer(due_in_s, state="pending") -> Timer:
    return Timer(
        subject_type="incident",
        subject_id="999",
        kind="nothing",
        due_at=NOW + timedelta(seconds=due_in_s),
        state=state,
    )


def _event(group_id, integration, source, key, count) -> EventRecord:
    return EventRecord(
        integration=integration,
        source=source,
        dedup_key=key,
        group_id=group_id,
        state="firing",
        classification="alert",
        severity="critical",
        summary="VPN down",
        count=count,
        first_seen=NOW,
        last_seen=NOW,
    )


def _group(integration, key) -> EventGroup:
    return EventGroup(
        integration=integration,
        group_key=key,
        title="VPN down",
        state="firing",
        first_seen=NOW,
        last_seen=NOW,
    )


def seed(desk: DeskHarness) -> None:
    """The fixture. By hand, what a scrape must say of it:

    open incidents (states new/assigned/in_progress/on_hold): P1 network 2 (respond
    breached by both, resolve by one), P3 service-desk 1, P3 with no team 1 ("none"),
    P4 messaging 1 (on hold still counts); the resolved P2 and closed P1 count nowhere.
    outbox on console: pending 90 s old + sending 30 s old = 2 waiting, the oldest 90 s;
    a sent row does not count; 2 failed. On slack: 1 waiting, 600 s old; 1 failed.
    timers: due 120 s ago and 45 s ago → 2 overdue, lag 120 s; one due in 60 s is not
    overdue and one fired 1000 s ago is done.
    events: alertmanager 2 events seen 3 + 1 times → 2 events, 4 signals; generic 1
    event seen 5 times. The event inbox holds 1 request not processed yet.
    """
    with desk.runtime.database.transaction() as session:
        session.add_all(
            [
                _incident("P1", "network", "in_progress", respond=True, resolve=True),
                _incident("P1", "network", "new", respond=True),
                _incident("P3", "service-desk", "assigned"),
                _incident("P3", None, "new"),
                _incident("P4", "messaging", "on_hold"),
                _incident("P2", "network", "resolved", respond=True, resolve=True),
                _incident("P1", "network", "closed", respond=True),
            ]
        )
        session.add_all(
            [
                _message("console", "pending", 90),
                _message("console", "sending", 30),
                _message("console", "sent", 5000),
                _message("console", "failed", 4000),
                _message("console", "failed", 3000),
                _message("slack", "pending", 600),
                _message("slack", "failed", 100),
            ]
        )
        session.add_all([_timer(-120), _timer(-45), _timer(60), _timer(-1000, state="fired")])
        alerts, generic = _group("alertmanager", "g1"), _group("generic", "g2")
        session.add_all([alerts, generic])
        session.flush()
        for group_id, integration, source, key, count in [
            (alerts.id, "alertmanager", "alertmanager", "fp1", 3),
            (alerts.id, "alertmanager", "alertmanager", "fp2", 1),
            (generic.id, "generic", "generic", "k1", 5),
        ]:
            session.add(_event(group_id, integration, source, key, count))
        session.add(EventInbox(integration="generic", signals="[]", count=1, received_at=NOW))


# The same, as the samples a scrape must carry (name, labels) → value.
EXPECTED = {
    ("deskbot_incidents_open", (("priority", "P1"), ("team", "network"))): 2,
    ("deskbot_incidents_open", (("priority", "P3"), ("team", "none"))): 1,
    ("deskbot_incidents_open", (("priority", "P3"), ("team", "service-desk"))): 1,
    ("deskbot_incidents_open", (("priority", "P4"), ("team", "messaging"))): 1,
    ("deskbot_incidents_sla_breached", (("priority", "P1"), ("sla", "respond"), ("team", "network"))): 2,
    ("deskbot_incidents_sla_breached", (("priority", "P1"), ("sla", "resolve"), ("team", "network"))): 1,
    ("deskbot_incidents_sla_breached", (("priority", "P4"), ("sla", "respond"), ("team", "messaging"))): 0,
    ("deskbot_outbox_pending", (("platform", "console"),)): 2,
    ("deskbot_outbox_pending", (("platform", "slack"),)): 1,
    ("deskbot_outbox_oldest_pending_age_seconds", (("platform", "console"),)): 90,
    ("deskbot_outbox_oldest_pending_age_seconds", (("platform", "slack"),)): 600,
    ("deskbot_outbox_failed_total", (("platform", "console"),)): 2,
    ("deskbot_outbox_failed_total", (("platform", "slack"),)): 1,
    ("deskbot_timers_overdue", ()): 2,
    ("deskbot_timer_lag_seconds", ()): 120,
    ("deskbot_events_ingested_total", (("integration", "alertmanager"), ("source", "alertmanager"))): 2,
    ("deskbot_events_ingested_total", (("integration", "generic"), ("source", "generic"))): 1,
    ("deskbot_event_signals_ingested_total", (("integration", "alertmanager"), ("source", "alertmanager"))): 4,
    ("deskbot_event_signals_ingested_total", (("integration", "generic"), ("source", "generic"))): 5,
    ("deskbot_event_inbox_pending", ()): 1,
    ("deskbot_database_up", ()): 1,
}  # fmt: skip


def samples(body: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, keyed by name and sorted labels; the parser must take it."""
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def _hook(request):
    return PlainTextResponse("ok")


@pytest.fixture
def desk(database_url, example_config):
    harness = DeskHarness.start(database_url, example_config, clock=ManualClock(NOW))
    yield harness
    harness.close()


@pytest.fixture
def token(monkeypatch) -> str:
    value = secrets.token_urlsafe(24)
    monkeypatch.setenv(TOKEN_ENV, value)
    return value


def serve(desk, runtime=None, tmp_path=None):
    """deskbot's web app with /metrics and its middleware, on a real server."""
    metrics = WebMetrics(runtime or desk.runtime)
    extra = [Route("/api/v1/heartbeats/{name}", _hook, methods=["POST"])]
    if tmp_path is not None:
        extra += reset_routes(desk.runtime, MailFile(tmp_path / "mail.txt", "desk@example.com"))
    app = build_web_app(desk.runtime, extra + metrics.routes(), middleware=[metrics.middleware()])
    return UvicornThread(app).start()


def test_the_gauges_of_the_fixture(desk, token):
    seed(desk)
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        gauges = read_gauges(ctx)
    assert gauges.timers_overdue == 2 and gauges.timer_lag_s == 120.0
    server = serve(desk)
    try:
        response = httpx.get(
            server.url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
    finally:
        server.stop()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = samples(response.text)
    assert {key: found.get(key) for key in EXPECTED} == EXPECTED
    # Only the groups there are: no other open-incident series.
    opened = {k for k in found if k[0] == "deskbot_incidents_open"}
    assert opened == {k for k in EXPECTED if k[0] == "deskbot_incidents_open"}


def test_off_unless_the_token_is_set(desk, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    server = serve(desk)
    try:
        assert httpx.get(server.url + "/metrics").status_code == 404
    finally:
        server.stop()
    # An empty variable is as good as none; so is a config with no scrape_token_env.
    monkeypatch.setenv(TOKEN_ENV, "")
    no_env = SimpleNamespace(
        policy=replace(desk.runtime.policy, metrics=MetricsSettings(scrape_token_env=None)),
        dispatcher=desk.runtime.dispatcher,
    )
    for runtime in (desk.runtime, no_env):
        server = serve(desk, runtime)
        try:
            response = httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer x"})
            assert response.status_code == 404
        finally:
            server.stop()
    monkeypatch.setenv(TOKEN_ENV, "set-now")
    server = serve(desk, no_env)
    try:  # the variable set, but the config names none: still off
        response = httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer set-now"})
        assert response.status_code == 404
    finally:
        server.stop()


def test_a_missing_or_wrong_token_is_refused(desk, token):
    server = serve(desk)
    try:
        for headers in (
            {},
            {"Authorization": f"Bearer {token}x"},
            {"Authorization": f"Bearer {token[:-1]}"},
            {"Authorization": f"Basic {token}"},
            {"Authorization": token},
        ):
            response = httpx.get(server.url + "/metrics", headers=headers)
            assert response.status_code == 401, headers
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert "deskbot_" not in response.text
        right = httpx.get(server.url + "/metrics", headers={"Authorization": f"bearer {token}"})
        assert right.status_code == 200
    finally:
        server.stop()


def test_requests_are_counted_by_route_template_and_logged_once(desk, token, tmp_path, caplog):
    secret = secrets.token_urlsafe(16)
    server = serve(desk, tmp_path=tmp_path)
    auth = {"Authorization": f"Bearer {token}"}
    try:
        with (
            httpx.Client(base_url=server.url, timeout=10) as client,
            caplog.at_level(logging.INFO, logger="deskbot.http"),
        ):
            assert client.get("/healthz").status_code == 200
            assert client.get("/healthz").status_code == 200
            opened = client.get(f"/reset/{secret}", headers={"X-Request-ID": "req-42"})
            assert opened.headers["x-request-id"] == "req-42"
            assert client.post("/api/v1/heartbeats/backup").status_code == 200
            assert client.get(f"/nowhere/{secret}").status_code == 404
            body = client.get("/metrics", headers=auth).text
    finally:
        server.stop()
    found = samples(body)
    count = "deskbot_http_request_duration_seconds_count"
    assert found[(count, (("method", "GET"), ("route", "/healthz"), ("status", "200")))] == 2
    reset = [k for k in found if k[0] == count and ("route", "/reset/{token}") in k[1]]
    assert len(reset) == 1 and found[reset[0]] == 1
    assert found[(count, (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 1
    acks = "deskbot_ack_latency_seconds_count"
    assert found[(acks, (("route", "/api/v1/heartbeats/{name}"),))] == 1
    assert not any(k[0] == acks and ("route", "/healthz") in k[1] for k in found)
    assert secret not in body  # a label is a template, never the path asked for
    # One line per request, with its route template, never its path.
    lines = [r for r in caplog.records if r.name == "deskbot.http"]
    assert [(r.method, r.route, r.status) for r in lines[:5]] == [
        ("GET", "/healthz", 200),
        ("GET", "/healthz", 200),
        ("GET", "/reset/{token}", opened.status_code),
        ("POST", "/api/v1/heartbeats/{name}", 200),
        ("GET", "unmatched", 404),
    ]
    assert lines[2].request_id == "req-42"
    assert all(secret not in r.getMessage() for r in caplog.records)


def test_a_method_of_the_clients_making_is_one_label_however_many(desk, token, tmp_path):
    server = serve(desk, tmp_path=tmp_path)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for n in range(3):
                client.request(f"MADEUP{n}", "/healthz")
            body = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
    finally:
        server.stop()
    count = "deskbot_http_request_duration_seconds_count"
    methods = {dict(labels)["method"] for name, labels in samples(body) if name == count}
    assert not any(m.startswith("MADEUP") for m in methods)
    others = [
        n
        for (name, labels), n in samples(body).items()
        if name == count and dict(labels)["method"] == "other"
    ]
    assert sum(others) == 3
