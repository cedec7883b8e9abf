"""POST /api/v1/events/alertmanager: real Alertmanager and Grafana webhooks in, one inbox
row per request, every alert a signal; and each way a request is turned away."""

from __future__ import annotations

import base64
import json

import pytest

from domain.events.signals import Signal
from tests.monitoring.conftest import (
    AM_TOKEN,
    GENERIC_TOKEN,
    GRAFANA_TOKEN,
    PD_KEY,
    bearer,
    event_settings,
    fixture,
)

ROUTE = "/api/v1/events/alertmanager"


async def test_a_firing_alert_becomes_one_trigger_signal_with_everything_it_said(
    client, monitoring
):
    response = await client.post(
        ROUTE, json=fixture("alertmanager_v4_firing.json"), headers=bearer(AM_TOKEN)
    )

    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "alerts": 1}
    [row] = monitoring.rows()
    assert (row.integration, row.count) == ("prometheus", 1)
    assert row.received_at == monitoring.clock.now()
    [signal] = json.loads(row.signals)
    assert signal == {
        "source": "alertmanager",
        "key": "1a30ba71cca2921f",
        "action": "trigger",
        "summary": "BlackBox Probe Failure: https://server.example.org",
        "severity": "critical",
        "group": '{}/{severity="critical"}:{alertname="ProbeFailure"}',
        "labels": {
            "alertname": "ProbeFailure",
            "instance": "https://server.example.org",
            "job": "http_checks",
            "monitor": "master",
            "severity": "critical",
        },
        "details": {
            "description": "Instance https://server.example.org has been down for over 5m. "
            "Job: http_checks",
            "summary": "BlackBox Probe Failure: https://server.example.org",
        },
        "url": "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1",
        # startsAt, in UTC; the zero endsAt of a firing alert is not a time.
        "at": "2023-02-06T13:08:45.828000+00:00",
    }
    assert Signal.from_json(signal).as_json() == signal  # processing reads it back as it is


async def test_a_resolved_alert_is_a_resolve_at_the_time_it_ended(client, monitoring):
    response = await client.post(
        ROUTE, json=fixture("alertmanager_v4_resolved.json"), headers=bearer(AM_TOKEN)
    )

    assert response.status_code == 200
    [signal] = monitoring.stored()
    assert signal["action"] == "resolve"
    assert signal["key"] == "fbab788ec4c1018b"
    assert signal["severity"] == "warning"  # "Warning" as sent, lower-cased
    assert signal["summary"] == "Kubernetes Deployment Replicas Mismatch"
    assert signal["at"] == "2022-07-29T11:17:27.300000+00:00"  # endsAt


async def test_a_captured_firing_and_resolved_pair_share_key_and_group(client, monitoring):
    for name in ("alertmanager_webhook.json", "alertmanager_webhook_resolved.json"):
        response = await client.post(ROUTE, json=fixture(name), headers=bearer(AM_TOKEN))
        assert response.json() == {"status": "accepted", "alerts": 1}

    firing, resolved = monitoring.stored()
    assert (firing["action"], resolved["action"]) == ("trigger", "resolve")
    assert firing["key"] == resolved["key"] == "7d2d332feada5c59"
    assert firing["group"] == resolved["group"]
    assert firing["summary"] == "5xx > 5%"
    assert firing["labels"]["service"] == "checkout"
    assert firing["details"]["runbook_url"] == "https://runbooks/x"


async def test_a_group_of_several_alerts_is_one_row_with_a_signal_each(client, monitoring):
    body = fixture("alertmanager_v4_firing_multi_alert_grafana_oncall.json")

    response = await client.post(ROUTE, json=body, headers=bearer(AM_TOKEN))

    assert response.json() == {"status": "accepted", "alerts": 2}
    [row] = monitoring.rows()
    assert row.count == 2
    signals = json.loads(row.signals)
    assert [s["key"] for s in signals] == ["f404ecabc8dd5cd7", "f8f08d4e32c61a9d"]
    # No summary annotation: the description stands in; an empty generatorURL is no link.
    assert (
        signals[0]["summary"] == "localhost:8081 of job node has been down for more than 1 minute."
    )
    assert "url" not in signals[0]
    assert {s["group"] for s in signals} == {'{}:{alertname="InstanceDown"}'}


async def test_grafanas_webhook_is_read_like_alertmanagers(client, monitoring):
    response = await client.post(
        ROUTE, json=fixture("grafana_alerting_webhook.json"), headers=bearer(GRAFANA_TOKEN)
    )

    assert response.json() == {"status": "accepted", "alerts": 2}
    [row] = monitoring.rows()
    assert row.integration == "grafana"
    first, second = json.loads(row.signals)
    assert first["key"] == "c6eadffa33fcdf37"
    assert first["summary"] == "This alert was triggered for zone us-1"
    assert first["url"] == "https://play.grafana.org/alerting/1afz29v7z/edit"
    assert first["at"] == "2021-10-12T07:51:03.157076+00:00"  # +02:00 in UTC
    assert second["labels"] == {"alertname": "High CPU usage", "team": "blue", "zone": "eu-1"}


async def test_an_alert_without_fingerprint_gets_a_key_from_its_labels_in_any_order(
    client, monitoring
):
    alert = {"status": "firing", "labels": {"alertname": "DiskFull", "instance": "db1"}}
    reordered = {"status": "firing", "labels": {"instance": "db1", "alertname": "DiskFull"}}
    other = {"status": "firing", "labels": {"alertname": "DiskFull", "instance": "db2"}}

    response = await client.post(
        ROUTE, json={"alerts": [alert, reordered, other]}, headers=bearer(AM_TOKEN)
    )

    assert response.status_code == 200
    one, same, different = monitoring.stored()
    assert one["key"] == same["key"] != different["key"]
    assert len(one["key"]) == 16
    assert one["summary"] == "DiskFull"  # no annotations: the alert's name


async def test_long_and_odd_values_are_cut_and_stringified_not_refused(client, monitoring):
    alert = {
        "status": "firing",
        "fingerprint": "f" * 300,
        "labels": {"alertname": "X", "replicas": 3, "critical": True, "none": None},
        "annotations": {"summary": "s" * 2000},
        "generatorURL": "http://x/" + "a" * 600,
        "startsAt": "not a time",
    }

    response = await client.post(ROUTE, json={"alerts": [alert]}, headers=bearer(AM_TOKEN))

    assert response.status_code == 200
    [signal] = monitoring.stored()
    assert len(signal["key"]) == 255
    assert len(signal["summary"]) == 500
    assert signal["labels"] == {"alertname": "X", "replicas": "3", "critical": "true", "none": ""}
    assert "url" not in signal and "at" not in signal


async def test_two_long_fingerprints_with_one_beginning_stay_two_keys(client, monitoring):
    alerts = [{"fingerprint": "f" * 300 + "1"}, {"fingerprint": "f" * 300 + "2"}]

    await client.post(ROUTE, json={"alerts": alerts}, headers=bearer(AM_TOKEN))

    first, second = monitoring.stored()
    assert first["key"] != second["key"]


async def test_an_empty_group_is_accepted_and_stores_nothing(client, monitoring):
    response = await client.post(ROUTE, json={"alerts": []}, headers=bearer(AM_TOKEN))

    assert response.json() == {"status": "accepted", "alerts": 0}
    assert monitoring.rows() == []


@pytest.mark.parametrize(
    "headers, query",
    [
        ({"Authorization": f"Bearer {AM_TOKEN}"}, ""),
        ({"Authorization": f"bearer   {AM_TOKEN}"}, ""),
        ({"Authorization": "Basic " + base64.b64encode(f"am:{AM_TOKEN}".encode()).decode()}, ""),
        ({"Authorization": "Basic " + base64.b64encode(AM_TOKEN.encode()).decode()}, ""),
        ({}, f"?token={AM_TOKEN}"),
    ],
    ids=["bearer", "bearer-any-case", "basic-password", "basic-user-only", "query"],
)
async def test_the_token_may_come_as_bearer_basic_or_in_the_address(
    client, monitoring, headers, query
):
    response = await client.post(
        ROUTE + query, json=fixture("alertmanager_webhook.json"), headers=headers
    )

    assert response.status_code == 200
    assert len(monitoring.rows()) == 1


@pytest.mark.parametrize(
    "headers, query",
    [
        ({}, ""),
        ({"Authorization": "Bearer wrong-token"}, ""),
        ({"Authorization": f"Bearer {PD_KEY}"}, ""),  # a pagerduty integration's key
        ({"Authorization": f"Bearer {GENERIC_TOKEN}"}, ""),  # a generic integration's
        ({"Authorization": "Basic !!not-base64!!"}, ""),
        ({"Authorization": f"Token {AM_TOKEN}"}, ""),  # a scheme we do not read
        ({}, "?token="),
        ({}, "?token=wrong"),
    ],
    ids=["none", "wrong", "pagerduty", "generic", "bad-basic", "scheme", "empty", "query"],
)
async def test_no_or_a_wrong_token_is_401_and_stores_nothing(client, monitoring, headers, query):
    response = await client.post(
        ROUTE + query, json=fixture("alertmanager_webhook.json"), headers=headers
    )

    assert response.status_code == 401
    assert response.json() == {"error": "no valid token for an alertmanager integration"}
    assert AM_TOKEN not in response.text
    assert monitoring.rows() == []


async def test_a_token_is_never_logged(client, caplog):
    caplog.set_level("DEBUG")

    await client.post(ROUTE + "?token=secret-in-the-query", json={"alerts": []})
    await client.post(ROUTE, content=b"{", headers=bearer(AM_TOKEN))

    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "refused POST /api/v1/events/alertmanager: 401" in ours
    assert "secret-in-the-query" not in ours
    assert AM_TOKEN not in ours


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"", "the body is empty (expected JSON)"),
        (b"{not json", "the body is not JSON"),
        (b"\xff\xfe{", "the body is not JSON"),
        (b'{"alerts": [], "x": NaN}', "the body is not JSON"),
        (b"[" * 100_000, "the body is nested too deeply"),
        (b'{"alerts": ["\\ud800"]}', "lone surrogate"),
        (b"[]", "body: not a JSON object"),
        (b"{}", "alerts: missing"),
        (b'{"alerts": {}}', "alerts: not a list"),
        (b'{"alerts": [{}, 7]}', "alerts[1]: not an object"),
        (b'{"alerts": [{"labels": []}]}', "alerts[0].labels: not an object"),
        (b'{"alerts": [{"annotations": "x"}]}', "alerts[0].annotations: not an object"),
        (b'{"alerts": [{"annotations": {"summary": {}}}]}', "alerts[0].annotations.summary"),
        (b'{"alerts": [{"status": ["firing"]}]}', "alerts[0].status: not a string"),
        (b'{"alerts": [{"fingerprint": {}}]}', "alerts[0].fingerprint: not a string"),
        (b'{"alerts": [], "groupKey": []}', "groupKey: not a string"),
    ],
)
async def test_a_body_of_the_wrong_shape_is_400_naming_the_problem(
    client, monitoring, body, problem
):
    response = await client.post(ROUTE, content=body, headers=bearer(AM_TOKEN))

    assert response.status_code == 400
    assert problem in response.json()["error"]
    assert monitoring.rows() == []


async def test_a_body_declared_over_the_limit_is_413_before_it_is_read(client, monitoring):
    limit = event_settings().alertmanager_bytes
    headers = bearer(AM_TOKEN) | {"Content-Length": str(limit + 1)}

    # The declared length alone decides: the body sent is tiny (it would be valid).
    response = await client.post(ROUTE, content=b'{"alerts": []}', headers=headers)

    assert response.status_code == 413
    assert response.json() == {"error": f"the body is over the limit of {limit} bytes"}
    assert monitoring.rows() == []


async def test_a_full_group_of_max_alerts_fits_and_one_byte_more_does_not(client, monitoring):
    monitoring.use(event_settings(max_alerts=300))  # limit: max(300 * 4 KiB, 1 MiB) = 1.2 MiB
    limit = 300 * 4096
    alert = fixture("alertmanager_v4_firing.json")["alerts"][0]
    body = json.dumps({"alerts": [alert] * 300}).encode()
    body += b" " * (limit - len(body))  # exactly at the limit

    fits = await client.post(ROUTE, content=body, headers=bearer(AM_TOKEN))
    over = await client.post(ROUTE, content=body + b" ", headers=bearer(AM_TOKEN))

    assert fits.json() == {"status": "accepted", "alerts": 300}
    assert over.status_code == 413
    assert len(monitoring.rows()) == 1


async def test_a_bad_content_length_is_400(client):
    headers = bearer(AM_TOKEN) | {"Content-Length": "12abc"}

    response = await client.post(ROUTE, content=b'{"alerts":[]}', headers=headers)

    assert response.status_code == 400
    assert response.json() == {"error": "Content-Length is not a number"}


async def test_only_post_is_served(client):
    response = await client.get(ROUTE, headers=bearer(AM_TOKEN))

    assert response.status_code == 405
