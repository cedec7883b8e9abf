"""Over real HTTP (uvicorn on 127.0.0.1): no body makes a route answer 5xx or store a row
processing could not read, and a body streamed without a length is still held to the
limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.events.signals import ACTIONS, KEY_LENGTH, SOURCES, SUMMARY_LENGTH, Signal
from tests.fakes.asgi_server import UvicornThread
from tests.monitoring.conftest import (
    AM_TOKEN,
    BACKUPS_TOKEN,
    GENERIC_TOKEN,
    PD_KEY,
    Monitoring,
    bearer,
    event_settings,
    fixture,
)

AM = "/api/v1/events/alertmanager"
GENERIC = "/api/v1/events"
PAGERDUTY = "/v2/enqueue"


class Served:
    """The routes on a real server, and what each example added to the inbox."""

    def __init__(self, monitoring: Monitoring, client: httpx.Client) -> None:
        self.monitoring = monitoring
        self.client = client
        self.seen = 0

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, list]:
        """Post; the answer's status and the rows it stored, each checked well-formed."""
        response = self.client.post(path, content=body, headers=headers)
        assert response.status_code < 500, response.text
        assert response.headers["content-type"] == "application/json"
        rows = self.monitoring.rows()[self.seen :]
        self.seen += len(rows)
        for row in rows:
            check_row(row)
        if response.status_code >= 300:
            assert rows == []  # refused: nothing kept
        return response.status_code, rows


def check_row(row) -> None:
    """A row processing can read: every signal as `Signal.from_json` expects, its text
    within the columns it goes to."""
    signals = json.loads(row.signals)
    assert isinstance(signals, list) and row.count == len(signals) > 0
    for data in signals:
        signal = Signal.from_json(data)
        assert signal.source in SOURCES and signal.action in ACTIONS
        assert isinstance(signal.key, str) and 0 < len(signal.key) <= KEY_LENGTH
        assert "\x00" not in signal.key + signal.summary
        assert isinstance(signal.summary, str) and len(signal.summary) <= SUMMARY_LENGTH
        assert signal.severity is None or (isinstance(signal.severity, str) and signal.severity)
        assert signal.severity is None or len(signal.severity) <= 32
        assert signal.group is None or 0 < len(signal.group) <= KEY_LENGTH
        assert signal.service is None or len(signal.service) <= 64
        assert signal.url is None or len(signal.url) <= 500
        assert isinstance(signal.labels, dict)
        assert all(isinstance(v, str) for v in signal.labels.values())
        assert isinstance(signal.details, dict)
        if signal.at is not None:
            assert datetime.fromisoformat(signal.at).utcoffset() is not None
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # storable as UTF-8


@pytest.fixture
def served(database) -> Iterator[Served]:
    monitoring = Monitoring(database, event_settings(max_event_bytes=16 * 1024))
    try:
        with (
            UvicornThread(monitoring.app) as server,
            httpx.Client(base_url=server.url, timeout=10) as client,
        ):
            yield Served(monitoring, client)
    finally:
        monitoring.close()


# Text in any script, with NUL now and then, and sometimes a lone surrogate (which makes
# the whole body a 400, so not too often).
text = st.one_of(
    st.text(max_size=40),
    st.text(max_size=40),
    st.text(max_size=40),
    st.text(st.characters(exclude_categories=()), max_size=40),
)
# No NaN or Infinity: not JSON, a 400 for the whole body (a test of its own has them).
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
anything = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)
times = st.sampled_from(
    ["2023-02-06T13:08:45.828Z", "0001-01-01T00:00:00Z", "2021-10-12T09:51:03+02:00", "x", ""]
)


def likely(value: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a likely value, else anything at all: many bodies get through to be stored,
    and the rest probe every field with every type."""
    return st.sampled_from([True, True, True, False]).flatmap(
        lambda keep: value if keep else anything
    )


def maybe(required: dict | None = None, **fields: Any) -> st.SearchStrategy[dict]:
    """Objects with the required fields and any of the others, each `likely`."""
    return st.fixed_dictionaries(
        {k: likely(v) for k, v in (required or {}).items()},
        optional={k: likely(v) for k, v in fields.items()},
    )


alerts = maybe(
    status=st.sampled_from(["firing", "resolved"]),
    labels=st.dictionaries(text, text | anything, max_size=4),
    annotations=st.dictionaries(st.sampled_from(["summary", "description"]) | text, text),
    fingerprint=text,
    startsAt=times,
    endsAt=times,
    generatorURL=text,
)
alertmanager_bodies = maybe(
    {"alerts": st.lists(alerts, max_size=5)}, groupKey=text, status=text, version=text
)
pagerduty_bodies = maybe(
    {"event_action": st.sampled_from(["trigger", "trigger", "acknowledge", "resolve", "page"])},
    dedup_key=text,
    payload=maybe(
        {
            "summary": text,
            "source": text,
            "severity": st.sampled_from(["critical", "error", "warning", "info", "Info", "x"]),
        },
        timestamp=times,
        component=text,
        group=text,
        custom_details=anything,
    ),
    links=st.lists(maybe(href=text), max_size=2),
    client_url=text,
).map(lambda body: body | {"routing_key": PD_KEY})  # bad keys: tests of their own
generic_events = maybe(
    key=text,
    dedup=text,
    summary=text,
    severity=text,
    status=st.sampled_from(["firing", "resolved", "acknowledged", "close"]) | text,
    action=st.sampled_from(["close", "trigger"]),
    service=text,
    source=text,
    details=anything,
    labels=st.dictionaries(text, anything, max_size=3),
    meta=st.dictionaries(text, anything, max_size=3),
    url=text,
    at=times,
)
generic_bodies = generic_events | st.lists(generic_events, max_size=4)


def encoded(strategy: st.SearchStrategy) -> st.SearchStrategy[bytes]:
    """Mostly JSON text of the strategy's values (lone surrogates escaped), else of any
    JSON value, else any bytes at all."""
    return st.sampled_from(["shaped"] * 4 + ["any", "bytes"]).flatmap(
        lambda kind: {
            "shaped": strategy.map(lambda value: json.dumps(value).encode()),
            "any": anything.map(lambda value: json.dumps(value).encode()),
            "bytes": st.binary(),
        }[kind]
    )


CHECKS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@CHECKS
@given(body=encoded(alertmanager_bodies))
def test_any_alertmanager_body(served: Served, body: bytes):
    status, rows = served.post(AM, body, bearer(AM_TOKEN))
    event(f"answered {status}")

    assert status in (200, 400, 413)
    if status == 200:
        assert sum(row.count for row in rows) == len(json.loads(body)["alerts"])


@CHECKS
@given(body=encoded(pagerduty_bodies))
def test_any_pagerduty_body(served: Served, body: bytes):
    status, rows = served.post(PAGERDUTY, body, {})
    event(f"answered {status}")

    assert status in (202, 400, 413)
    assert len(rows) == (1 if status == 202 else 0)


@CHECKS
@given(body=encoded(generic_bodies))
def test_any_generic_body(served: Served, body: bytes):
    status, rows = served.post(GENERIC, body, bearer(GENERIC_TOKEN))
    event(f"answered {status}")

    assert status in (202, 400, 413)
    assert len(rows) == (1 if status == 202 else 0)


@CHECKS
@given(
    # Any name of one path segment ("/" and dot segments would address another route).
    name=st.sampled_from(["nightly-backup"])
    | st.text(st.characters(exclude_characters="/", exclude_categories=("Cs",)), min_size=1).filter(
        lambda n: n not in (".", "..")
    ),
    body=st.binary(max_size=64),
)
def test_any_heartbeat(served: Served, name: str, body: bytes):
    path = "/api/v1/heartbeats/" + quote(name, safe="")

    status, rows = served.post(path, body, bearer(BACKUPS_TOKEN))
    event(f"answered {status}")

    assert status in (202, 404)
    assert len(rows) == (1 if status == 202 else 0)


def chunks(total: int, size: int = 4096) -> Iterator[bytes]:
    """A body streamed in pieces: sent chunked, without a Content-Length."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        yield b" " * piece
        sent += piece


def test_a_streamed_body_over_the_limit_is_413_as_it_arrives(served: Served):
    limit = 16 * 1024
    alert = json.dumps(fixture("alertmanager_webhook.json")).encode()

    def body(padding: int) -> Iterator[bytes]:
        yield alert
        yield from chunks(padding)

    within = served.client.post(
        GENERIC, content=body(limit - len(alert)), headers=bearer(GENERIC_TOKEN)
    )
    over = served.client.post(
        GENERIC, content=body(limit - len(alert) + 1), headers=bearer(GENERIC_TOKEN)
    )
    far_over = served.client.post(
        PAGERDUTY, content=chunks(10 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )

    assert "content-length" not in over.request.headers  # it really came without a length
    assert within.status_code == 202
    assert over.status_code == 413
    assert over.json() == {"error": f"the body is over the limit of {limit} bytes"}
    assert far_over.status_code == 413


def test_every_real_payload_goes_through_real_http(served: Served):
    for name, path, headers in [
        ("alertmanager_v4_firing.json", AM, bearer(AM_TOKEN)),
        ("alertmanager_v4_resolved.json", AM, bearer(AM_TOKEN)),
        ("alertmanager_v4_firing_multi_alert_grafana_oncall.json", AM, bearer(AM_TOKEN)),
        ("alertmanager_webhook.json", AM, bearer(AM_TOKEN)),
        ("alertmanager_webhook_resolved.json", AM, bearer(AM_TOKEN)),
        ("grafana_alerting_webhook.json", AM, bearer(AM_TOKEN)),
        ("goalert_generic_incoming_request.json", GENERIC + f"?token={GENERIC_TOKEN}", {}),
    ]:
        status, rows = served.post(path, json.dumps(fixture(name)).encode(), headers)
        assert (status, len(rows)) in ((200, 1), (202, 1)), name
    for name in ("trigger", "acknowledge", "resolve"):
        body = fixture(f"pagerduty_events_v2_{name}.json") | {"routing_key": PD_KEY}
        status, rows = served.post(PAGERDUTY, json.dumps(body).encode(), {})
        assert (status, len(rows)) == (202, 1), name
