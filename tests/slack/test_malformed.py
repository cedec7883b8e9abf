"""Malformed HTTP never reaches a 500: every bad request to POST /slack/events gets a 4xx
with its reason, one log line without the body, and changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from adapters.slack.gate import MAX_BODY
from domain.incidents import IncidentRecord
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import (
    FORM,
    JSON,
    SignedRequest,
    block_actions_payload,
    event_callback,
    message_im_event,
    sign,
    slash_command_fields,
)
from tests.slack.harness import SECRET, SlackDeskHarness, add_company_users


@pytest.fixture
def door(database_url: str) -> Iterator[tuple[httpx.Client, SlackDeskHarness]]:
    """deskbot's Slack route on a real local server, and a plain HTTP client for it."""
    with FakeSlackApi() as slack:
        add_company_users(slack)
        desk = SlackDeskHarness.build(database_url, slack)
        try:
            with httpx.Client(base_url=desk.server.url, timeout=10) as client:
                yield client, desk
        finally:
            desk.server.stop()
            desk.runtime.close()


def _signed_headers(raw: bytes) -> dict[str, str]:
    """Slack's v0 signature over raw bytes (a body that need not be text)."""
    ts = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + mac.hexdigest()}


def _post(client: httpx.Client, request: SignedRequest) -> httpx.Response:
    return client.post("/slack/events", content=request.content, headers=request.headers)


def _form(fields: dict[str, str]) -> SignedRequest:
    return sign(urlencode(fields), FORM, SECRET)


def _payload(text: str) -> SignedRequest:
    return _form({"payload": text})


def _event(body: dict) -> SignedRequest:
    return sign(json.dumps(body), JSON, SECRET)


# Factories: a request is signed when its test runs, not at collection (its timestamp
# would be stale by then in a long run).
BAD = {
    # what the reliability tests found reaching a 500, and their neighbours
    "timestamp abc": (
        lambda: SignedRequest(
            "x=1",
            {
                "Content-Type": FORM,
                "X-Slack-Request-Timestamp": "abc",
                "X-Slack-Signature": "v0=" + "0" * 64,
            },
        ),
        401,
    ),
    "no signature": (lambda: SignedRequest("x=1", {"Content-Type": FORM}), 401),
    "stale": (lambda: sign("command=/desk&user_id=U0ALICE", FORM, SECRET, timestamp=1), 401),
    "wrong secret": (lambda: sign("command=/desk&user_id=U0ALICE", FORM, "nope"), 401),
    "payload not JSON": (lambda: _payload("{not json"), 400),
    "payload a list": (lambda: _payload("[1, 2, 3]"), 400),
    "block_actions without user": (
        lambda: _payload(
            json.dumps(
                {
                    k: v
                    for k, v in block_actions_payload(
                        action_id="incident:claim", value="INC-1"
                    ).items()
                    if k != "user"
                }
            )
        ),
        400,
    ),
    "block_actions with no action": (
        lambda: _payload(
            json.dumps({"type": "block_actions", "user": {"id": "U0ALICE"}, "actions": []})
        ),
        400,
    ),
    "events body not JSON": (lambda: sign("this is not json", JSON, SECRET), 400),
    "events body a string": (lambda: sign('"hello"', JSON, SECRET), 400),
    "DM without channel": (
        lambda: _event(
            event_callback({k: v for k, v in message_im_event(text="hi").items() if k != "channel"})
        ),
        400,
    ),
    "slash command without user": (
        lambda: _form(
            {k: v for k, v in slash_command_fields(text="list").items() if k != "user_id"}
        ),
        400,
    ),
    "unknown content type": (lambda: sign("<xml/>", "text/xml", SECRET), 400),
    "not UTF-8": (lambda: SignedRequest("", {}), 400),  # replaced below: bytes cannot be a str body
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_malformed_request_gets_its_4xx_and_one_quiet_log_line(door, case, caplog):
    client, desk = door
    make, status = BAD[case]
    request = make()
    caplog.set_level(logging.DEBUG)
    if case == "not UTF-8":
        body = b"command=/desk&text=\xff\xfe"
        headers = {"Content-Type": FORM} | _signed_headers(body)
        response = client.post("/slack/events", content=body, headers=headers)
    else:
        response = _post(client, request)
    assert response.status_code == status, response.text
    assert response.text  # the reason, for whoever sent it
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert not any(r.exc_info for r in caplog.records), "a traceback was logged"
    assert _incidents(desk) == 0


def test_a_body_over_the_limit_is_refused_before_it_is_read_and_never_logged(door, caplog):
    client, desk = door
    caplog.set_level(logging.DEBUG)
    marker = "PRIVATE-MARKER"
    body = "command=/desk&user_id=U0ALICE&text=" + marker + "x" * (MAX_BODY + 10)
    response = _post(client, sign(body, FORM, SECRET))
    assert response.status_code == 413
    assert not any(marker in r.getMessage() for r in caplog.records)

    # Sent in pieces without a length, it is cut off all the same.
    def pieces() -> Iterator[bytes]:
        for _ in range(3):
            yield b"x" * (MAX_BODY // 2)

    response = client.post("/slack/events", content=pieces(), headers={"Content-Type": FORM})
    assert response.status_code == 413


def test_after_the_bad_requests_a_genuine_command_still_works(door):
    client, desk = door
    for make, _ in BAD.values():
        if (request := make()).body:
            _post(client, request)
    fields = slash_command_fields(command="/incident", text='new "genuine"', user_id="U0ALICE")
    assert _post(client, _form(fields)).status_code == 200
    deadline = time.monotonic() + 10
    while _incidents(desk) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _incidents(desk) == 1


def _incidents(desk: SlackDeskHarness) -> int:
    with desk.runtime.database.transaction() as session:
        return session.scalar(select(func.count(IncidentRecord.id))) or 0


# ---------------------------------------------------------------- random requests
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
# Real shapes with parts removed or replaced: closest to what gets past the first checks.
known_payloads = st.sampled_from(
    [
        block_actions_payload(action_id="incident:claim", value="INC-1"),
        {"type": "view_submission", "user": {"id": "U0ALICE"}, "view": {"id": "V1"}},
        {"type": "block_actions", "user": {"id": "U0ALICE"}, "actions": [{"action_id": "x"}]},
    ]
)


@st.composite
def mangled(draw, base: dict, depth: int = 0) -> dict:
    """`base` with some keys dropped or replaced by random JSON, here or one level down."""
    data = dict(base)
    for key in draw(st.lists(st.sampled_from(sorted(data) or ["x"]), max_size=3)):
        choice = draw(st.integers(0, 2))
        if choice == 0:
            data.pop(key, None)
        elif choice == 1 or depth > 0 or not isinstance(data.get(key), dict):
            data[key] = draw(json_values)
        else:
            data[key] = draw(mangled(data[key], depth + 1))
    return data


bodies = st.one_of(
    st.binary(max_size=200).map(lambda b: (b, FORM)),
    json_values.map(lambda v: (json.dumps(v).encode(), JSON)),
    known_payloads.flatmap(mangled).map(
        lambda p: (urlencode({"payload": json.dumps(p)}).encode(), FORM)
    ),
    st.builds(dict)
    .flatmap(lambda _: mangled(event_callback(message_im_event(text="hi"))))
    .map(lambda e: (json.dumps(e).encode(), JSON)),
    st.dictionaries(
        st.sampled_from(["command", "user_id", "text", "ssl_check", "trigger_id"]),
        st.text(max_size=12),
        max_size=4,
    ).map(lambda f: (urlencode(f).encode(), FORM)),
)
# Printable ASCII; HTTP clients refuse header values with surrounding spaces.
header_values = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30
).map(str.strip)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=bodies,
    signed=st.booleans(),
    content_type=st.one_of(st.none(), header_values),
    timestamp=st.one_of(st.none(), header_values),
    signature=st.one_of(st.none(), header_values),
)
def test_random_requests_never_get_a_500(door, body, signed, content_type, timestamp, signature):
    client, _ = door
    raw, kind = body
    headers = {"Content-Type": content_type if content_type is not None else kind}
    if signed:  # correctly signed: it gets past the signature to the shape checks and Bolt
        headers |= _signed_headers(raw)
    else:
        if timestamp is not None:
            headers["X-Slack-Request-Timestamp"] = timestamp
        if signature is not None:
            headers["X-Slack-Signature"] = signature
    response = client.post("/slack/events", content=raw, headers=headers)
    assert response.status_code < 500, (response.status_code, response.text, raw[:200])
