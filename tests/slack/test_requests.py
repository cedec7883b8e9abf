"""Request fulfilment in Slack: the request form as a modal, approvers' Approve / Deny in
their DMs, the task card's Claim / Done, and no approving one's own request by a button."""

from __future__ import annotations

import json
import re

import pytest

from domain import requests
from domain.requests import RequestRecord
from tests.slack.harness import CONFIG, TRIAGE, SlackDeskHarness, blocks_text, button_ids

CATALOG = """
catalog:
  software-licence:
    title: Software licence
    fields:
      product: {type: text, max_length: 80}
      seats: {type: number, min: 1, max: 20, default: 1}
      owner: {type: person, required: false}
      until: {type: date, required: false}
      edition: {type: choice, choices: [standard, professional], required: false}
    approval: {approvers: [grace, carol], required: 1}
    fulfilment: {team: service-desk, sla: 1d}
"""


WITH_RECOVERY = CONFIG.replace(
    "roles: [employee], slack_id: U0ALICE}",
    "roles: [employee], slack_id: U0ALICE, recovery_email: alice@home.example}",
)


@pytest.fixture
async def desk(database_url, slack):
    harness = SlackDeskHarness.build(database_url, slack, config_text=WITH_RECOVERY + CATALOG)
    harness.start_worker()
    try:
        yield harness
    finally:
        await harness.close()


def _state(desk, number: int) -> str | None:
    found = desk.record(RequestRecord, number)
    return found.state if found else None


async def _submit_form(desk, user_id: str, view: dict, state: dict) -> None:
    response = await desk.post(
        desk.signer.view_submission(
            callback_id=view["callback_id"],
            private_metadata=view["private_metadata"],
            view_id=view["id"],
            values=state,
            user_id=user_id,
            user_name="alice",
        )
    )
    assert response.status_code == 200 and not response.content, response.text


async def test_a_request_is_made_in_a_modal_approved_from_a_dm_and_fulfilled(desk, slack):
    await desk.command("U0ALICE", "/request new software-licence edition=professional")
    [opened] = await slack.async_wait_for("views.open")
    view = opened.response["view"]
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert list(blocks) == ["product", "seats", "owner", "until", "edition"]
    assert blocks["product"]["element"]["type"] == "plain_text_input"
    assert blocks["product"]["element"]["max_length"] == 80
    assert blocks["seats"]["element"]["type"] == "number_input"
    assert blocks["seats"]["element"]["min_value"] == "1" and blocks["seats"]["optional"]
    assert blocks["owner"]["element"]["type"] == "users_select"
    assert blocks["until"]["element"]["type"] == "datepicker"
    # What was typed is filled in.
    assert blocks["edition"]["element"]["initial_option"]["value"] == "professional"
    assert _state(desk, 1) is None  # a form opened; nothing requested yet

    state = {
        "product": {"value": {"type": "plain_text_input", "value": "Visio"}},
        "seats": {"value": {"type": "number_input", "value": "2"}},
        "owner": {"value": {"type": "users_select", "selected_user": "U0BOB"}},
        "until": {"value": {"type": "datepicker", "selected_date": "2030-06-30"}},
        "edition": {
            "value": {"type": "static_select", "selected_option": {"value": "professional"}}
        },
    }
    await _submit_form(desk, "U0ALICE", view, state)
    await desk.until(lambda: _state(desk, 1) == "awaiting_approval", what="REQ-1")
    answers = json.loads(desk.record(RequestRecord, 1).answers)
    assert answers == {
        "product": "Visio",
        "seats": "2",
        "owner": "bob",
        "until": "2030-06-30",
        "edition": "professional",
    }

    # Each approver gets a DM with Approve / Deny.
    [asked] = await desk.posts(1, "U0CAROL")
    assert button_ids(asked.args["blocks"]) == ["request_approve", "request_deny"]
    # alice presses Approve on a forged payload: refused, nothing changes.
    refused = await desk.press("U0ALICE", "request_approve", "REQ-1", channel="DU0ALICE")
    call = await desk.reply(refused)
    assert "nobody approves their own request" in call.args["text"]
    assert _state(desk, 1) == "awaiting_approval"

    await desk.press("U0CAROL", "request_approve", "REQ-1", channel="DU0CAROL")
    [card] = await desk.posts(1, TRIAGE, where=lambda c: "REQ-1" in json.dumps(c.args))
    assert button_ids(card.args["blocks"]) == ["request_claim", "request_done"]
    assert "*product:* Visio" in blocks_text(card.args["blocks"])
    ts = card.response["ts"]
    await desk.press("U0BOB", "request_claim", "REQ-1", channel=TRIAGE, message_ts=ts)
    await desk.until(lambda: _state(desk, 1) == "in_progress", what="claimed")

    # Done asks for an optional note in a modal.
    await desk.press("U0BOB", "request_done", "REQ-1", channel=TRIAGE, message_ts=ts)
    note_form = (await slack.async_wait_for("views.open", 2))[-1]
    note_view = note_form.response["view"]
    await desk.submit("U0BOB", note_view, {"reason": "Licence key sent by email"})
    await desk.until(lambda: _state(desk, 1) == "fulfilled", what="fulfilled")
    # Every step reached alice in the thread of her first DM about REQ-1.
    [first] = await desk.posts(1, "U0ALICE")
    [told] = await desk.posts(
        1, "DU0ALICE", where=lambda c: "Licence key sent by email" in c.args.get("text", "")
    )
    assert told.args["thread_ts"] == first.response["ts"]


async def test_deny_asks_for_a_reason_in_a_modal(desk, slack):
    await desk.command("U0ALICE", "/request new software-licence product=Visio")
    await desk.until(lambda: _state(desk, 1) == "awaiting_approval", what="REQ-1")
    assert slack.calls("views.open") == []  # everything was typed: no form
    await desk.press("U0GRACE", "request_deny", "REQ-1", channel="DU0GRACE")
    [opened] = await slack.async_wait_for("views.open")
    view = opened.response["view"]
    assert view["title"]["text"] == "Deny REQ-1"
    await desk.submit("U0GRACE", view, {"reason": "We have a site licence for draw.io"})
    await desk.until(lambda: _state(desk, 1) == "denied", what="denied")
    assert await desk.posts(
        1, "DU0ALICE", where=lambda c: "site licence for draw.io" in c.args.get("text", "")
    )


async def test_a_password_reset_link_comes_by_dm_and_a_code_in_chat_voids_it(desk, slack):
    assert (await desk.say("U0ALICE", "/desk password")).startswith("I sent you a one-time link")
    [dm] = await desk.posts(1, "U0ALICE", where=lambda c: "/reset/" in c.args.get("text", ""))
    token = re.search(r"http://localhost:3000/reset/([A-Za-z0-9_-]+)", dm.args["text"]).group(1)
    # The outbox row that carried it holds no token: it was minted as the DM went out.
    rows = [m for m in desk.outbox() if m.kind == "password_reset_link"]
    assert rows and all(token not in m.context and "/reset/" not in m.context for m in rows)

    # alice opens the page (its code goes to her recovery address), then pastes the code
    # into her DM with the bot: the reset is void and she is told why.
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        _, sent = requests.open_link(ctx, token, "alice's browser")
    await desk.dm("U0ALICE", f"here is the code {sent.code}")
    [warned] = await desk.posts(
        1, "DU0ALICE", where=lambda c: "Never type your reset code" in c.args.get("text", "")
    )
    with desk.runtime.dispatcher.unit_of_work() as ctx, pytest.raises(requests.ResetRefused):
        requests.check_code(ctx, token, "alice's browser", sent.code)

    # In her own words, she gets a new link.
    await desk.dm("U0ALICE", "I forgot my password again")
    assert await desk.posts(
        1,
        "DU0ALICE",
        where=lambda c: c.args.get("text", "").startswith("I sent you a one-time link"),
    )


async def test_the_requester_rates_a_fulfilled_request_with_a_button(desk, slack):
    from domain.surveys import SurveyRecord

    await desk.say("U0ALICE", "/request new software-licence product=Visio")
    await desk.say("U0CAROL", "/request approve REQ-1")
    await desk.say("U0BOB", "/request done REQ-1 key sent")
    [asked] = await desk.posts(
        1, "U0ALICE", where=lambda c: "How did we do" in c.args.get("text", "")
    )
    buttons = button_ids(asked.args["blocks"])
    assert buttons == [f"survey_score-{n}" for n in range(1, 6)]
    pressed = await desk.press("U0ALICE", "survey_score-4", "SRV-1", channel="DU0ALICE")
    assert (await desk.reply(pressed)).args["text"] == "Thank you: REQ-1 rated 4 of 5."
    # Someone else pressing the same button (a forged payload) changes nothing.
    forged = await desk.press("U0BOB", "survey_score-1", "SRV-1", channel="DU0ALICE")
    assert (await desk.reply(forged)).args["text"] == "SRV-1 asks alice, not you."
    await desk.press("U0ALICE", "survey_comment", "SRV-1", channel="DU0ALICE")
    [form] = await slack.async_wait_for("views.open")
    await desk.submit("U0ALICE", form.response["view"], {"reason": "fast, thanks"})
    await desk.until(
        lambda: (desk.record(SurveyRecord, 1) or SurveyRecord()).comment == "fast, thanks",
        what="the comment",
    )
    assert desk.record(SurveyRecord, 1).score == 4
