"""Prove the Slack fakes work with the real slack_sdk / slack_bolt over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from .asgi_server import UvicornThread
from .slack_api import BOT_USER_ID, FakeSlackApi
from .slack_signing import (
    SignedRequest,
    SlackSigner,
    app_home_opened_event,
    block_actions_payload,
    compute_signature,
    message_im_event,
    new_trigger_id,
    plain_text_values,
    slash_command_fields,
)

SECRET = "test-signing-secret"


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    """A running fake Slack Web API."""
    with FakeSlackApi() as fake:
        yield fake


@dataclass
class BoltHarness:
    """A bare Bolt app served by uvicorn, wired to the fake Slack API."""

    app: AsyncApp
    server: UvicornThread
    signer: SlackSigner

    def post(self, request: SignedRequest) -> httpx.Response:
        """Deliver a signed request to the app like Slack would."""
        return httpx.post(
            f"{self.server.url}/slack/events",
            content=request.content,
            headers=request.headers,
            timeout=10,
        )


@pytest.fixture
def bolt(slack: FakeSlackApi) -> Iterator[BoltHarness]:
    """Bolt AsyncApp + Starlette + uvicorn on a free port; register listeners on ``.app``."""
    # Only client= is passed: Bolt takes the token from it (giving token= too just logs a warning).
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    app = AsyncApp(client=client, signing_secret=SECRET)
    handler = AsyncSlackRequestHandler(app)

    async def endpoint(request: Request):
        return await handler.handle(request)

    asgi = Starlette(routes=[Route("/slack/events", endpoint, methods=["POST"])])
    with UvicornThread(asgi) as server:
        yield BoltHarness(app, server, SlackSigner(SECRET))


# ------------------------------------------------------------- Bolt over HTTP
def test_slash_command_is_acked_then_listener_posts(bolt: BoltHarness, slack: FakeSlackApi) -> None:
    @bolt.app.command("/desk")
    async def desk(ack, command, client, respond):
        await ack("On it")
        await client.chat_postMessage(channel=command["channel_id"], text=f"new: {command['text']}")
        await respond("Ticket INC-1 created")

    resp = bolt.post(
        bolt.signer.slash_command(text="printer on fire", response_url=slack.response_url("r1"))
    )

    assert resp.status_code == 200
    assert resp.text == "On it"
    [post] = slack.wait_for("chat.postMessage")
    # Bolt's per-request client adds team_id (from the request) to every API call.
    assert post.args == {
        "channel": "C0GENERAL",
        "text": "new: printer on fire",
        "team_id": "T0DESK",
    }
    assert post.content_type.startswith("application/json")
    assert post.response["ts"] == "1700000000.000100"
    [reply] = slack.wait_for("response_url")
    assert reply.args["text"] == "Ticket INC-1 created"
    assert slack.responses("r1") == [reply]
    # Bolt authorizes lazily: exactly one auth.test, on the first request.
    assert [c.ok for c in slack.calls("auth.test")] == [True]


def test_bad_or_stale_signature_gets_401(bolt: BoltHarness, slack: FakeSlackApi) -> None:
    good = bolt.signer.slash_command(text="hi")
    forged = SignedRequest(good.body, {**good.headers, "X-Slack-Signature": "v0=" + "0" * 64})
    stale = bolt.signer.slash_command(text="hi", timestamp=int(time.time()) - 600)

    assert bolt.post(forged).status_code == 401
    assert bolt.post(stale).status_code == 401
    assert slack.calls() == []  # rejected before authorization, so no auth.test


def test_block_action_reaches_listener(bolt: BoltHarness, slack: FakeSlackApi) -> None:
    @bolt.app.action("ack_incident")
    async def on_click(ack, body, action, client):
        await ack()
        await client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["container"]["message_ts"],
            text=f"acknowledged {action['value']} by {body['user']['username']}",
        )

    resp = bolt.post(
        bolt.signer.block_action(
            action_id="ack_incident",
            value="INC-7",
            message_ts="1700000000.000900",
        )
    )

    assert resp.status_code == 200
    [update] = slack.wait_for("chat.update")
    assert update.args["ts"] == "1700000000.000900"
    assert update.args["text"] == "acknowledged INC-7 by alice"
    assert slack.message("C0GENERAL", "1700000000.000900")["text"] == "acknowledged INC-7 by alice"


def test_view_submission_reaches_listener(bolt: BoltHarness, slack: FakeSlackApi) -> None:
    @bolt.app.view("new_ticket")
    async def on_submit(ack, view, body, client):
        await ack()
        title = view["state"]["values"]["title"]["title_input"]["value"]
        await client.chat_postMessage(
            channel=body["user"]["id"], text=f"{title} ({view['private_metadata']})"
        )

    resp = bolt.post(
        bolt.signer.view_submission(
            callback_id="new_ticket",
            private_metadata="C0GENERAL",
            values=plain_text_values({"title": {"title_input": "VPN down"}}),
        )
    )

    assert resp.status_code == 200
    [post] = slack.wait_for("chat.postMessage")
    assert post.args["text"] == "VPN down (C0GENERAL)"
    assert post.response["channel"] == "DU0ALICE"  # posting to a user id lands in the DM


def test_events_reach_listeners_with_retry_headers(bolt: BoltHarness, slack: FakeSlackApi) -> None:
    retries: list[list[str] | None] = []

    @bolt.app.event("message")
    async def on_dm(event, say, request):
        retries.append(request.headers.get("x-slack-retry-num"))
        await say(f"echo: {event['text']}")

    @bolt.app.event("app_home_opened")
    async def on_home(event, client):
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    assert (
        bolt.post(bolt.signer.event(message_im_event(text="hello"), retry_num=1)).status_code == 200
    )
    assert bolt.post(bolt.signer.event(app_home_opened_event())).status_code == 200

    [say] = slack.wait_for("chat.postMessage")
    assert (say.args["channel"], say.args["text"]) == ("DU0ALICE", "echo: hello")
    slack.wait_for("views.publish")
    assert slack.home_view("U0ALICE")["type"] == "home"
    assert retries == [["1"]]


# ------------------------------------------------ the fake API on its own
def test_signature_matches_slack_sdk_verifier() -> None:
    ts, body = int(time.time()), "token=x&text=hi"
    signature = compute_signature(SECRET, ts, body)
    assert SignatureVerifier(SECRET).is_valid(body=body, timestamp=str(ts), signature=signature)


@pytest.mark.asyncio
async def test_async_client_methods(slack: FakeSlackApi) -> None:
    slack.add_user("U0ALICE", "alice", real_name="Alice Smith", email="alice@example.com")
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)

    first = await client.chat_postMessage(channel="C1", text="a", blocks=[{"type": "divider"}])
    second = await client.chat_postMessage(channel="C1", text="b")
    assert float(first["ts"]) < float(second["ts"])
    assert first["message"]["blocks"] == [{"type": "divider"}]
    assert (await client.users_info(user="U0ALICE"))["user"]["profile"][
        "email"
    ] == "alice@example.com"
    assert (await client.users_lookupByEmail(email="alice@example.com"))["user"]["id"] == "U0ALICE"
    assert (await client.conversations_open(users="U0ALICE"))["channel"]["id"] == "DU0ALICE"
    opened = await client.views_open(
        trigger_id="t", view={"type": "modal", "callback_id": "cb", "blocks": []}
    )
    updated = await client.views_update(
        view_id=opened["view"]["id"], view={"type": "modal", "blocks": []}
    )
    assert updated["view"]["id"] == opened["view"]["id"]
    assert (await client.chat_postEphemeral(channel="C1", user="U0ALICE", text="psst"))[
        "message_ts"
    ]
    reacted = {"channel": "C1", "timestamp": first["ts"], "name": "eyes"}
    assert (await client.api_call("reactions.add", json=reacted))["ok"] is True
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U0NOBODY")
    assert err.value.response["error"] == "user_not_found"
    # users.info goes out as GET with a query string; chat.postMessage as JSON.
    assert slack.calls("users.info")[0].http_method == "GET"
    assert slack.calls("chat.postMessage")[0].content_type.startswith("application/json")


@pytest.mark.asyncio
async def test_views_open_refuses_a_trigger_id_older_than_three_seconds(
    slack: FakeSlackApi,
) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    view = {"type": "modal", "callback_id": "cb", "blocks": []}
    assert (await client.views_open(trigger_id=new_trigger_id(), view=view))["ok"]
    for age in (3.5, 60.0):
        with pytest.raises(SlackApiError) as err:
            await client.views_open(trigger_id=new_trigger_id(time.time() - age), view=view)
        assert err.value.response["error"] == "expired_trigger_id"
    # Every payload the signing helpers build carries a fresh one.
    for payload in (block_actions_payload(action_id="a"), slash_command_fields()):
        assert (await client.views_open(trigger_id=payload["trigger_id"], view=view))["ok"]
    assert [c.ok for c in slack.calls("views.open")] == [True, False, False, True, True]


@pytest.mark.asyncio
async def test_wrong_or_missing_token_is_invalid_auth(slack: FakeSlackApi) -> None:
    for token in ("xoxb-wrong", None):
        with pytest.raises(SlackApiError) as err:
            await AsyncWebClient(token=token, base_url=slack.base_url).auth_test()
        assert err.value.response.status_code == 200
        assert err.value.response["error"] == "invalid_auth"


@pytest.mark.asyncio
async def test_rate_limit_answers_429_with_retry_after(slack: FakeSlackApi) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    slack.rate_limit("chat.postMessage", times=1, retry_after=7)

    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]  # only `times` calls fail


@pytest.mark.asyncio
async def test_rate_limit_retry_handler_recovers(slack: FakeSlackApi) -> None:
    # Retry-After: 0 keeps the test fast; slack_sdk still adds up to 1s of jitter.
    client = AsyncWebClient(
        token=slack.token,
        base_url=slack.base_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.rate_limit(times=1, retry_after=0)  # any method

    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 200]


@pytest.mark.asyncio
async def test_outage_until_recover(slack: FakeSlackApi) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    slack.fail(status=503)  # every method, until recover()

    for _ in range(3):
        with pytest.raises(SlackApiError) as err:
            await client.chat_postMessage(channel="C1", text="x")
        assert err.value.response.status_code == 503
    slack.recover()
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]
    await slack.async_wait_for("chat.postMessage", count=1, where=lambda c: c.ok)


@pytest.mark.asyncio
async def test_an_outage_can_answer_a_body_that_is_not_json(slack: FakeSlackApi) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    slack.fail("chat.postMessage", status=503, times=1, body="{not json")

    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="x")
    assert "non-JSON" in str(err.value)
    assert err.value.response.status == 503  # aiohttp's response: slack_sdk could not parse it
    [call] = slack.calls("chat.postMessage")
    assert (call.status, call.response) == (503, "{not json")
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]


def test_sync_client_form_bodies_and_wait_timeout(slack: FakeSlackApi) -> None:
    client = WebClient(token=slack.token, base_url=slack.base_url)
    assert client.auth_test()["user_id"] == BOT_USER_ID
    client.api_call(
        "chat.postMessage", data={"channel": "C1", "blocks": json.dumps([{"type": "divider"}])}
    )

    [auth] = slack.calls("auth.test")
    assert auth.content_type == "application/x-www-form-urlencoded"
    [post] = slack.calls("chat.postMessage")
    assert post.args["blocks"] == [{"type": "divider"}]  # JSON-in-form decoded
    with pytest.raises(TimeoutError, match="views.open"):
        slack.wait_for("views.open", timeout=0.2)
    auth_header = {"Authorization": f"Bearer {slack.token}"}
    slack.fail("chat.update", status=500, times=1)
    assert httpx.post(slack.base_url + "chat.update", headers=auth_header).status_code == 500
    malformed = httpx.post(
        slack.base_url + "chat.update",
        content=b"{not json",
        headers={**auth_header, "Content-Type": "application/json"},
    )
    assert malformed.json() == {"ok": False, "error": "invalid_json"}


# ------------------------------------------------------------ war rooms (slack_rooms.py)
async def _refused(call) -> dict:
    """The answer of a call that must fail with ok=false."""
    with pytest.raises(SlackApiError) as err:
        await call
    return err.value.response.data


@pytest.mark.asyncio
async def test_channels_are_created_once_per_name_with_slacks_naming_rules(
    slack: FakeSlackApi,
) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    made = await client.conversations_create(name="inc-1-db-down")
    channel = made["channel"]
    assert (channel["name"], channel["creator"], channel["is_member"]) == (
        "inc-1-db-down",
        BOT_USER_ID,
        True,
    )
    assert channel["id"].startswith("C") and channel["is_private"] is False
    assert (await _refused(client.conversations_create(name="inc-1-db-down")))[
        "error"
    ] == "name_taken"
    for name, error in [
        ("Inc-1", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("", "invalid_name_required"),
    ]:
        assert (await _refused(client.conversations_create(name=name)))["error"] == error
    private = await client.conversations_create(name="inc-2", is_private=True)
    assert private["channel"]["is_private"] is True and private["channel"]["id"].startswith("G")
    # An archived channel keeps its name.
    await client.conversations_archive(channel=channel["id"])
    assert (await _refused(client.conversations_create(name="inc-1-db-down")))[
        "error"
    ] == "name_taken"


@pytest.mark.asyncio
async def test_invite_with_force_invites_the_valid_users_and_lists_the_others(
    slack: FakeSlackApi,
) -> None:
    for user in ("U0A", "U0B"):
        slack.add_user(user, user.lower())
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    channel = (await client.conversations_create(name="room"))["channel"]["id"]

    forced = await client.conversations_invite(channel=channel, users="U0A,U0NOBODY", force=True)
    assert forced["ok"] is True and forced["channel"]["id"] == channel
    assert forced["errors"] == [{"user": "U0NOBODY", "ok": False, "error": "user_not_found"}]
    assert slack.members(channel) == [BOT_USER_ID, "U0A"]
    # Without force one bad id fails the call, and nobody is invited.
    strict = await _refused(client.conversations_invite(channel=channel, users="U0B,U0NOBODY"))
    assert strict["error"] == "user_not_found" and slack.members(channel) == [BOT_USER_ID, "U0A"]
    again = await _refused(client.conversations_invite(channel=channel, users="U0A"))
    assert again["error"] == "already_in_channel"
    assert (await _refused(client.conversations_invite(channel="C0NONE", users="U0A")))[
        "error"
    ] == "channel_not_found"


@pytest.mark.asyncio
async def test_topic_purpose_and_archive(slack: FakeSlackApi) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    channel = (await client.conversations_create(name="room"))["channel"]["id"]
    topic = await client.conversations_setTopic(channel=channel, topic="P1 · investigating")
    assert topic["channel"]["topic"]["value"] == "P1 · investigating"
    await client.conversations_setPurpose(channel=channel, purpose="War room")
    info = (await client.conversations_info(channel=channel))["channel"]
    assert (info["topic"]["value"], info["purpose"]["value"]) == ("P1 · investigating", "War room")
    too_long = client.conversations_setTopic(channel=channel, topic="x" * 251)
    assert (await _refused(too_long))["error"] == "too_long"

    assert (await client.conversations_archive(channel=channel))["ok"] is True
    assert (await _refused(client.conversations_archive(channel=channel)))[
        "error"
    ] == "already_archived"
    assert (await _refused(client.chat_postMessage(channel=channel, text="hi")))[
        "error"
    ] == "is_archived"
    theirs = slack.add_channel("elsewhere", creator="U0A")
    assert (await _refused(client.chat_postMessage(channel=theirs, text="hi")))[
        "error"
    ] == "not_in_channel"


@pytest.mark.asyncio
async def test_list_pages_with_a_cursor_and_history_reads_one_message(
    slack: FakeSlackApi,
) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    made = [(await client.conversations_create(name=f"r-{n}"))["channel"]["id"] for n in range(3)]
    private = slack.add_channel("secret", creator=BOT_USER_ID, private=True)
    first = await client.conversations_list(types="public_channel", limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    second = await client.conversations_list(types="public_channel", limit=2, cursor=cursor)
    assert [c["id"] for c in first["channels"] + second["channels"]] == made
    assert second["response_metadata"]["next_cursor"] == ""
    both = await client.conversations_list(types="public_channel,private_channel")
    assert private in [c["id"] for c in both["channels"]]

    room = made[0]
    older = slack.add_message(room, "DB failover started", user="U0A")
    newer = slack.add_message(room, "later", user="U0A")
    found = await client.conversations_history(channel=room, latest=older, inclusive=True, limit=1)
    assert [(m["ts"], m["text"], m["user"]) for m in found["messages"]] == [
        (older, "DB failover started", "U0A")
    ]
    assert (await client.conversations_history(channel=room, limit=1))["messages"][0]["ts"] == newer
    theirs = slack.add_channel("theirs", creator="U0A")
    assert (await _refused(client.conversations_history(channel=theirs)))[
        "error"
    ] == "not_in_channel"


@pytest.mark.asyncio
async def test_pins_add(slack: FakeSlackApi) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    channel = (await client.conversations_create(name="room"))["channel"]["id"]
    ts = (await client.chat_postMessage(channel=channel, text="status"))["ts"]
    assert (await client.pins_add(channel=channel, timestamp=ts))["ok"] is True
    assert slack.pins(channel) == [ts]
    assert (await _refused(client.pins_add(channel=channel, timestamp=ts)))[
        "error"
    ] == "already_pinned"
    assert (await _refused(client.pins_add(channel=channel, timestamp="1.000001")))[
        "error"
    ] == "message_not_found"


@pytest.mark.asyncio
async def test_files_upload_v2_goes_through_the_external_upload_flow(slack: FakeSlackApi) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    channel = (await client.conversations_create(name="room"))["channel"]["id"]
    done = await client.files_upload_v2(
        channel=channel,
        filename="review.md",
        title="review.md",
        content="# Review\n",
        initial_comment="The review",
    )
    assert [c.method for c in slack.calls() if c.method != "conversations.create"] == [
        "files.getUploadURLExternal",
        "file_upload",
        "files.completeUploadExternal",
    ]
    [url] = slack.calls("files.getUploadURLExternal")
    assert url.response["upload_url"].startswith(slack.url + "upload/v1/")
    assert slack.calls("file_upload")[0].response == "OK - 9"
    file = done["file"]
    assert (file["name"], file["title"], file["size"]) == ("review.md", "review.md", 9)
    [share] = file["shares"]["public"][channel]
    assert slack.message(channel, share["ts"])["text"] == "The review"
    assert slack.file(file["id"])["data"] == b"# Review\n"
    # Completing a file whose bytes never arrived fails like Slack.
    pending = await client.files_getUploadURLExternal(filename="x.md", length=3)
    unsent = client.files_completeUploadExternal(files=[{"id": pending["file_id"]}])
    assert (await _refused(unsent))["error"] == "file_not_found"


@pytest.mark.asyncio
async def test_refuse_answers_ok_false_with_slacks_extra_fields(slack: FakeSlackApi) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    slack.refuse("conversations.create", "missing_scope", needed="channels:manage", times=1)
    refused = await _refused(client.conversations_create(name="room"))
    assert refused == {"ok": False, "error": "missing_scope", "needed": "channels:manage"}
    assert (await client.conversations_create(name="room"))["ok"] is True  # times=1
