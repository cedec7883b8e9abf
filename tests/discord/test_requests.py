"""Request fulfilment on Discord: a long form in modal steps of five (Continue between
them), choices and people as select menus, Approve / Deny in the approver's DM."""

from __future__ import annotations

import json
import re

import pytest

from domain import requests
from domain.requests import RequestRecord
from tests.fakes import discord_interactions as ix


def _stored(desk, number: int) -> RequestRecord | None:
    with desk.runtime.database.transaction() as session:
        found = session.get(RequestRecord, number)
        if found is not None:
            session.expunge(found)
        return found


def _inputs(modal: dict) -> dict[str, dict]:
    """custom_id → the input component, whether in a label or an action row."""
    found = {}
    for component in modal["components"]:
        inner = [component["component"]] if "component" in component else component["components"]
        for c in inner:
            found[c["custom_id"]] = c
    return found


async def test_a_six_field_form_goes_in_two_steps_with_selects(desk):
    opened = await desk.command("alice", "request", "new", item="workstation", answers="model=rack")
    await desk.fake.wait_for_response(opened)
    assert opened.callback_type == ix.CALLBACK_MODAL
    first = opened.callback_data
    assert first["title"] == "Engineering workstation (1/2)"
    inputs = _inputs(first)
    assert list(inputs) == ["model", "owner", "needed_by", "cpu_cores", "purpose"]
    assert inputs["model"]["type"] == ix.COMPONENT_STRING_SELECT
    assert [o.get("default", False) for o in inputs["model"]["options"]] == [False, True]
    assert inputs["owner"]["type"] == 5  # a user select
    assert inputs["purpose"]["style"] == 2  # paragraph
    bob = desk.user_id("bob")
    step = await desk.submit(
        "alice",
        opened,
        {
            "model": "tower",
            "owner": bob,
            "needed_by": "2030-05-01",
            "cpu_cores": "64",
            "purpose": "CFD simulations",
        },
    )
    text = await desk.answer(step)
    assert text == "Engineering workstation: step 1 of 2 kept. Continue when ready."
    assert _stored(desk, 1) is None  # nothing requested until the last step

    message = desk.fake.messages[step.original_message_id]
    go = await desk.press("alice", "form_next", message["id"])
    await desk.fake.wait_for_response(go)
    assert go.callback_type == ix.CALLBACK_MODAL
    assert go.callback_data["title"] == "Engineering workstation (2/2)"
    assert list(_inputs(go.callback_data)) == ["cost_centre"]
    done = await desk.submit("alice", go, {"cost_centre": "ENG-42"})
    reply = await desk.answer(done)
    assert reply.startswith('REQ-1 "Engineering workstation" requested')
    stored = _stored(desk, 1)
    assert stored.state == "awaiting_approval"
    assert json.loads(stored.answers) == {
        "model": "tower",
        "owner": "bob",
        "needed_by": "2030-05-01",
        "cpu_cores": "64",
        "purpose": "CFD simulations",
        "cost_centre": "ENG-42",
    }


async def test_the_approver_answers_from_a_dm_and_the_requester_cannot(desk):
    typed = await desk.command(
        "alice", "request", "new", item="software-licence", answers="product=Visio"
    )
    assert (await desk.answer(typed)).startswith('REQ-1 "Software licence" requested')

    def asked() -> dict | None:
        for message in desk.dm_messages("carol"):
            if "REQ-1" in message.get("content", "") + json.dumps(message.get("embeds", [])):
                return message
        return None

    dm = await desk.fake.wait_until(asked, 10)
    buttons = [b["custom_id"] for row in dm["components"] for b in row["components"]]
    assert any("approve" in b for b in buttons) and any("deny" in b for b in buttons)
    approve = next(b for b in buttons if "approve" in b)
    refused = await desk.press("alice", approve, dm["id"])
    assert "nobody approves their own request" in await desk.answer(refused)
    assert _stored(desk, 1).state == "awaiting_approval"
    pressed = await desk.press("carol", approve, dm["id"])
    assert (await desk.answer(pressed)).startswith("You approved REQ-1")
    assert _stored(desk, 1).state == "approved"


async def test_a_dm_in_words_starts_a_password_reset_and_a_code_in_chat_voids_it(desk):
    await desk.dm("alice", "help, I forgot my password")

    def link() -> str | None:
        for message in desk.dm_messages("alice"):
            found = re.search(r"/reset/([A-Za-z0-9_-]+)", message.get("content", ""))
            if found:
                return found.group(1)
        return None

    token = await desk.fake.wait_until(link, 10)
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        _, sent = requests.open_link(ctx, token, "a browser")
    await desk.dm("alice", f"the code is {sent.code} right?")

    def warned() -> bool:
        return any(
            "Never type your reset code" in m.get("content", "") for m in desk.dm_messages("alice")
        )

    assert await desk.fake.wait_until(warned, 10)
    with desk.runtime.dispatcher.unit_of_work() as ctx, pytest.raises(requests.ResetRefused):
        requests.check_code(ctx, token, "a browser", sent.code)
