"""POST /api/v1/events: a generic JSON event or a list of them, and GoAlert's body."""

from __future__ import annotations

import re

import pytest

from tests.monitoring.conftest import AM_TOKEN, GENERIC_TOKEN, bearer, event_settings, fixture

ROUTE = "/api/v1/events"


async def test_one_event_with_every_field(client, monitoring):
    body = {
        "key": "db1/disk",
        "summary": "Disk 95% full on db1",
        "severity": "Critical",
        "status": "firing",
        "service": "email",
        "source": "nagios",
        "details": {"free": "5%"},
        "labels": {"host": "db1", "rack": 4},
        "url": "https://nagios.example.com/db1",
        "at": "2026-01-05T10:00:00+01:00",
    }

    response = await client.post(ROUTE, json=body, headers=bearer(GENERIC_TOKEN))

    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "keys": ["db1/disk"]}
    [row] = monitoring.rows()
    assert (row.integration, row.count) == ("hooks", 1)
    assert monitoring.stored() == [
        {
            "source": "generic",
            "key": "db1/disk",
            "action": "trigger",
            "summary": "Disk 95% full on db1",
            "severity": "critical",
            "service": "email",
            "labels": {"host": "db1", "rack": "4", "source": "nagios"},
            "details": {"free": "5%"},
            "url": "https://nagios.example.com/db1",
            "at": "2026-01-05T09:00:00+00:00",
        }
    ]


async def test_a_list_is_one_row_and_keys_come_back_in_order(client, monitoring):
    body = [
        {"key": "a", "summary": "A down"},
        {"summary": "no key given"},
        {"key": "a", "status": "resolved"},
    ]

    response = await client.post(ROUTE, json=body, headers=bearer(GENERIC_TOKEN))

    keys = response.json()["keys"]
    assert keys[0] == keys[2] == "a"
    assert re.fullmatch(r"[0-9a-f]{32}", keys[1])  # generated for a trigger without one
    [row] = monitoring.rows()
    assert row.count == 3
    assert [(s["key"], s["action"]) for s in monitoring.stored()] == [
        ("a", "trigger"),
        (keys[1], "trigger"),
        ("a", "resolve"),
    ]


@pytest.mark.parametrize(
    "status, action",
    [
        ("firing", "trigger"),
        ("trigger", "trigger"),
        ("RESOLVED", "resolve"),
        ("resolve", "resolve"),
        ("acknowledged", "acknowledge"),
        ("acknowledge", "acknowledge"),
    ],
)
async def test_each_status_name_means_its_action(client, monitoring, status, action):
    response = await client.post(
        ROUTE, json={"key": "k", "status": status}, headers=bearer(GENERIC_TOKEN)
    )

    assert response.status_code == 202
    assert monitoring.stored()[0]["action"] == action


async def test_goalerts_generic_body_is_read(client, monitoring):
    body = fixture("goalert_generic_incoming_request.json")

    response = await client.post(ROUTE + f"?token={GENERIC_TOKEN}", json=body)

    assert response.status_code == 202
    [signal] = monitoring.stored()
    assert signal["summary"] == "test"
    assert signal["details"] == {"details": "test"}  # GoAlert's details are text
    assert signal["labels"] == {"example_key": "example_value", "example_key2": "example_value2"}
    assert signal["key"] == response.json()["keys"][0]


async def test_goalerts_close_with_dedup_resolves_that_key(client, monitoring):
    body = {"summary": "test", "dedup": "backup-job", "action": "close"}

    response = await client.post(ROUTE, json=body, headers=bearer(GENERIC_TOKEN))

    assert response.json()["keys"] == ["backup-job"]
    assert monitoring.stored()[0]["action"] == "resolve"


@pytest.mark.parametrize("key", [None, "\x00"], ids=["no-key", "key-of-nul"])
@pytest.mark.parametrize("status", ["resolved", "acknowledged"])
async def test_a_resolve_or_acknowledge_without_key_is_400(client, monitoring, status, key):
    second = {"status": status} | ({"key": key} if key is not None else {})
    response = await client.post(ROUTE, json=[{"key": "a"}, second], headers=bearer(GENERIC_TOKEN))

    assert response.status_code == 400
    verb = status.removesuffix("d")
    assert response.json() == {"error": f"[1].key: required to {verb} an event"}
    assert monitoring.rows() == []  # nothing of a refused list is kept


@pytest.mark.parametrize(
    "body, error",
    [
        (b"7", "body: not an event object or a list of them"),
        (b"[]", "body: the list has no events"),
        (b"[{}, []]", "[1]: not an object"),
        (b'{"status": "exploded"}', "status: must be firing, resolved or acknowledged"),
        (b'{"action": "explode"}', "action: must be firing, resolved or acknowledged"),
        (b'{"key": {"a": 1}}', "key: not a string"),
        (b'[{"summary": ["x"]}]', "[0].summary: not a string"),
        (b'{"labels": "a=b"}', "labels: not an object"),
        (b'{"meta": []}', "meta: not an object"),
        (b'{"service": {}}', "service: not a string"),
    ],
)
async def test_a_body_of_the_wrong_shape_is_400_naming_the_field(client, monitoring, body, error):
    response = await client.post(ROUTE, content=body, headers=bearer(GENERIC_TOKEN))

    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert monitoring.rows() == []


@pytest.mark.parametrize("headers", [{}, bearer(AM_TOKEN), bearer("nope")])
async def test_only_a_generic_integrations_token_is_accepted(client, monitoring, headers):
    response = await client.post(ROUTE, json={"key": "k"}, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"error": "no valid token for a generic integration"}


async def test_a_body_over_the_event_limit_is_413(client, monitoring):
    monitoring.use(event_settings(max_event_bytes=1000))

    response = await client.post(
        ROUTE, json={"key": "k", "summary": "x" * 1000}, headers=bearer(GENERIC_TOKEN)
    )

    assert response.status_code == 413
    assert monitoring.rows() == []


async def test_numbers_are_text_where_text_is_expected(client, monitoring):
    body = {"key": 42, "summary": 3.5, "severity": 2, "labels": {"on": False, "list": [1, 2]}}

    await client.post(ROUTE, json=body, headers=bearer(GENERIC_TOKEN))

    [signal] = monitoring.stored()
    assert (signal["key"], signal["summary"], signal["severity"]) == ("42", "3.5", "2")
    assert signal["labels"] == {"on": "false", "list": "[1,2]"}


async def test_nul_characters_are_dropped_from_what_becomes_a_column(client, monitoring):
    body = {"key": "a\u0000b", "summary": "x\u0000y", "service": "\u0000"}

    await client.post(ROUTE, json=body, headers=bearer(GENERIC_TOKEN))

    [signal] = monitoring.stored()
    assert (signal["key"], signal["summary"]) == ("ab", "xy")
    assert "service" not in signal
