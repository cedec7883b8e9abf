"""POST /v2/enqueue: PagerDuty Events API v2 requests in, PagerDuty's own answers out
(developer.pagerduty.com and PagerDuty/api-schema: the 202 and 400 bodies)."""

from __future__ import annotations

import json
import re

import pytest

from tests.monitoring.conftest import AM_TOKEN, PD_KEY, event_settings, fixture

ROUTE = "/v2/enqueue"


def event(name: str, **changes) -> dict:
    """A PagerDuty fixture sent with our integration's routing key."""
    body = fixture(f"pagerduty_events_v2_{name}.json") | {"routing_key": PD_KEY}
    return body | changes


def invalid(*errors: str) -> dict:
    return {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)}


async def test_a_trigger_is_accepted_with_pagerdutys_202_body(client, monitoring):
    response = await client.post(ROUTE, json=event("trigger"))

    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "samplekeyhere",
    }
    # The same fields as PagerDuty's documented answer.
    assert response.json().keys() == fixture("pagerduty_events_v2_response_202.json").keys()
    [row] = monitoring.rows()
    assert (row.integration, row.count) == ("pd", 1)
    assert json.loads(row.signals) == [
        {
            "source": "pagerduty",
            "key": "samplekeyhere",
            "action": "trigger",
            "summary": "Example alert on host1.example.com",
            "severity": "info",
            "labels": {
                "source": "monitoringtool:cloudvendor:central-region-dc-01:852559987:"
                "cluster/api-stats-prod-003",
                "component": "postgres",
                "group": "prod-datapipe",
                "class": "deploy",
            },
            "details": {"ping time": "1500ms", "load avg": 0.75},
            "url": "https://example.com/",  # links[0].href
            "at": "2015-07-17T08:42:58.315000+00:00",
        }
    ]


async def test_a_trigger_without_dedup_key_gets_a_generated_one_returned(client, monitoring):
    body = event("trigger")
    del body["dedup_key"], body["links"]

    first = await client.post(ROUTE, json=body)
    second = await client.post(ROUTE, json=body)

    keys = [first.json()["dedup_key"], second.json()["dedup_key"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    assert keys[0] != keys[1]  # each trigger without a key is a new alert, as in PagerDuty
    assert [s["key"] for s in monitoring.stored()] == keys
    assert monitoring.stored()[0]["url"] == "https://monitoring.example.com"  # client_url


@pytest.mark.parametrize("name", ["acknowledge", "resolve"])
async def test_acknowledge_and_resolve_name_their_alert(client, monitoring, name):
    response = await client.post(ROUTE, json=event(name))

    assert response.status_code == 202
    assert response.json()["dedup_key"] == "dedupkeyhere"
    assert monitoring.stored() == [{"source": "pagerduty", "key": "dedupkeyhere", "action": name}]


async def test_the_routing_key_may_come_in_the_x_routing_key_header(client, monitoring):
    body = event("resolve")
    del body["routing_key"]

    response = await client.post(ROUTE, json=body, headers={"X-Routing-Key": PD_KEY})

    assert response.status_code == 202


@pytest.mark.parametrize(
    "routing_key",
    ["samplekeyhere", AM_TOKEN, "", None, 42],
    ids=["unknown", "another-kind", "blank", "missing", "number"],
)
async def test_a_bad_routing_key_is_pagerdutys_400(client, monitoring, routing_key):
    body = event("trigger", routing_key=routing_key)
    if routing_key is None:
        del body["routing_key"]

    response = await client.post(ROUTE, json=body)

    assert response.status_code == 400
    assert response.json() == invalid("Invalid routing key")
    assert monitoring.rows() == []


async def test_a_bad_routing_key_is_refused_before_the_fields_are_looked_at(client):
    response = await client.post(ROUTE, json={"routing_key": "nope", "event_action": "x"})

    assert response.json() == invalid("Invalid routing key")


@pytest.mark.parametrize(
    "changes, errors",
    [
        ({"event_action": None}, ["'event_action' is missing or blank"]),
        (
            {"event_action": "page"},
            ["'event_action' is invalid (must be one of: trigger, acknowledge, resolve)"],
        ),
        ({"payload": None}, ["'payload' is missing or blank"]),
        ({"payload": "down"}, ["'payload' must be an object"]),
        (
            {"payload": {"summary": " ", "source": 7}},
            [
                "'payload.summary' is missing or blank",
                "'payload.source' must be a string",
                "'payload.severity' is missing or blank",
            ],
        ),
        (
            {"payload": {"summary": "x" * 1025, "source": "h", "severity": "fatal"}},
            [
                "Length of 'payload.summary' is too long (maximum is 1024 characters)",
                "'payload.severity' is invalid (must be one of: critical, error, warning, info)",
            ],
        ),
        (
            {"dedup_key": "k" * 256},
            ["Length of 'dedup_key' is too long (maximum is 255 characters)"],
        ),
        ({"dedup_key": 12}, ["'dedup_key' must be a string"]),
    ],
    ids=[
        "no-action",
        "bad-action",
        "no-payload",
        "payload-not-object",
        "missing-fields",
        "long-summary-bad-severity",
        "long-dedup-key",
        "dedup-key-number",
    ],
)
async def test_an_invalid_trigger_is_400_listing_every_problem(client, monitoring, changes, errors):
    body = event("trigger", **changes)
    if changes.get("event_action", "") is None:
        del body["event_action"]

    response = await client.post(ROUTE, json=body)

    assert response.status_code == 400
    assert response.json() == invalid(*errors)
    assert monitoring.rows() == []


@pytest.mark.parametrize("name", ["acknowledge", "resolve"])
async def test_acknowledge_and_resolve_need_a_dedup_key(client, monitoring, name):
    body = event(name)
    del body["dedup_key"]

    response = await client.post(ROUTE, json=body)

    assert response.status_code == 400
    assert response.json() == invalid("'dedup_key' is missing or blank")


async def test_a_dedup_key_of_nul_characters_is_blank(client, monitoring):
    # Found by tests/monitoring/test_any_body.py: NUL is dropped from keys, leaving none.
    response = await client.post(ROUTE, json=event("acknowledge", dedup_key="\x00\x00"))

    assert response.status_code == 400
    assert response.json() == invalid("'dedup_key' is missing or blank")
    assert monitoring.rows() == []


async def test_a_summary_of_pagerdutys_full_length_is_kept_to_what_the_records_hold(
    client, monitoring
):
    body = event("trigger")
    body["payload"] = body["payload"] | {"summary": "y" * 1024, "severity": "CRITICAL"}

    response = await client.post(ROUTE, json=body)

    assert response.status_code == 202
    [signal] = monitoring.stored()
    assert signal["summary"] == "y" * 500
    assert signal["severity"] == "critical"


async def test_custom_details_that_are_not_an_object_are_kept(client, monitoring):
    body = event("trigger")
    body["payload"] = body["payload"] | {"custom_details": "disk at 99%"}

    await client.post(ROUTE, json=body)

    assert monitoring.stored()[0]["details"] == {"details": "disk at 99%"}


@pytest.mark.parametrize("body", [b"{oops", b"", b"\xff"], ids=["broken", "empty", "binary"])
async def test_a_body_that_is_not_json_is_pagerdutys_unrecognized_object(client, body):
    response = await client.post(ROUTE, content=body)

    assert response.status_code == 400
    assert response.json() == fixture("pagerduty_events_v2_response_400.json")


async def test_json_that_is_not_an_object_is_an_unrecognized_object(client):
    response = await client.post(ROUTE, json=[event("trigger")])

    assert response.status_code == 400
    assert response.json()["status"] == "Unrecognized object"


async def test_an_event_over_the_limit_is_413(client, monitoring):
    limit = event_settings().max_event_bytes
    body = event("trigger")
    body["payload"]["custom_details"] = {"log": "x" * limit}

    response = await client.post(ROUTE, json=body)

    assert response.status_code == 413
    assert response.json() == {
        "status": "Request too large",
        "message": f"the body is over the limit of {limit} bytes",
        "errors": [f"the body is over the limit of {limit} bytes"],
    }
    assert monitoring.rows() == []
