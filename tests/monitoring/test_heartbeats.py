"""POST /api/v1/heartbeats/NAME: a batch job checking in with its integration's token."""

from __future__ import annotations

import pytest

from tests.monitoring.conftest import AM_TOKEN, BACKUPS_TOKEN, GENERIC_TOKEN, bearer, event_settings

ROUTE = "/api/v1/heartbeats/nightly-backup"


async def test_a_check_in_is_stored_as_a_checkin_signal(client, monitoring):
    response = await client.post(ROUTE, headers=bearer(BACKUPS_TOKEN))

    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "heartbeat": "nightly-backup"}
    [row] = monitoring.rows()
    assert (row.integration, row.count) == ("backups", 1)
    assert monitoring.stored() == [
        {"source": "heartbeat", "key": "nightly-backup", "action": "checkin"}
    ]


async def test_a_body_is_allowed_and_not_kept(client, monitoring):
    response = await client.post(
        ROUTE + f"?token={BACKUPS_TOKEN}", content=b"backup done: 12 GB in 4m"
    )

    assert response.status_code == 202
    assert monitoring.stored() == [
        {"source": "heartbeat", "key": "nightly-backup", "action": "checkin"}
    ]


async def test_an_unknown_heartbeat_is_404_naming_it(client, monitoring):
    response = await client.post("/api/v1/heartbeats/weekly-report", headers=bearer(BACKUPS_TOKEN))

    assert response.status_code == 404
    assert response.json() == {"error": "no heartbeat named 'weekly-report'"}
    assert monitoring.rows() == []


async def test_a_stranger_learns_nothing_about_which_heartbeats_exist(client):
    known = await client.post(ROUTE, headers=bearer("nope"))
    unknown = await client.post("/api/v1/heartbeats/weekly-report", headers=bearer("nope"))

    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json() == {"error": "no valid token"}


@pytest.mark.parametrize("token", [GENERIC_TOKEN, AM_TOKEN], ids=["generic", "alertmanager"])
async def test_another_integrations_token_is_401(client, monitoring, token):
    response = await client.post(ROUTE, headers=bearer(token))

    assert response.status_code == 401
    assert response.json() == {"error": "the token is not the one of heartbeat 'nightly-backup'"}
    assert monitoring.rows() == []


async def test_a_body_over_the_limit_is_413(client, monitoring):
    monitoring.use(event_settings(max_event_bytes=100))

    response = await client.post(ROUTE, content=b"x" * 101, headers=bearer(BACKUPS_TOKEN))

    assert response.status_code == 413
    assert monitoring.rows() == []
