"""Access management on Discord: /access request as an application command (its --for as
the option "for"), the owners' Approve / Deny as buttons in their DMs, the holder told in
her DM, the security channel told, the built-in directory changed — and component
interactions by someone who may not answer (the requester, a non-owner) refused without
changing anything."""

from __future__ import annotations

import json

from domain import access, approvals
from tests.discord.harness import DiscordDeskHarness
from tests.fakes import discord_interactions as ix

PENDING = "Waiting for approval"


def _grant(desk: DiscordDeskHarness, key: str) -> access.AccessGrant:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        grant = access.get_grant(ctx, key)
        ctx.session.expunge(grant)
        return grant


def _state(desk: DiscordDeskHarness, key: str) -> str:
    """A grant's state as people read it ("Active"): the domain's own tests pin its names."""
    return access.ACCESS.label(_grant(desk, key).state)


def _members(desk: DiscordDeskHarness, group: str) -> list[str]:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return ctx.directory.members(group)


def _decisions(desk: DiscordDeskHarness, key: str) -> dict[str, str]:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return approvals.decisions(ctx, access.get_grant(ctx, key))


def _shown(message: dict) -> str:
    return message.get("content", "") + json.dumps(message.get("embeds", []))


def _buttons(message: dict) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row["components"]]


async def _dm(desk: DiscordDeskHarness, who: str, text: str) -> dict:
    """The bot's DM to `who` that says `text`, once delivered."""

    def found() -> dict | None:
        return next((m for m in desk.dm_messages(who) if text in _shown(m)), None)

    return await desk.fake.wait_until(found, 10)


async def _requested(desk: DiscordDeskHarness) -> dict:
    """alice asks for prod-db read for 4h; returns carol's DM with the buttons."""
    typed = await desk.command(
        "alice",
        "access",
        "request",
        resource="prod-db",
        role="read",
        reason="debugging",
        **{"for": "4h"},
    )
    assert await desk.answer(typed) == (
        "ACC-1: you asked for prod-db:read for 4h. Waiting for approval by carol, frank; "
        "I'll DM you each step."
    )
    assert desk.is_private(typed)
    asked = await _dm(desk, "carol", "ACC-1")
    assert "asks for read of prod-db for 4h" in _shown(asked)
    assert _buttons(asked) == ["deskbot:approve:ACC-1", "deskbot:deny:ACC-1"]
    return asked


async def test_an_owner_approves_from_a_dm_button_and_the_holder_is_told(desk):
    asked = await _requested(desk)
    first = await _dm(desk, "alice", "Your access request ACC-1")
    assert _buttons(first) == ["deskbot:cancel:ACC-1"]
    assert _state(desk, "ACC-1") == PENDING and _members(desk, "prod-db-read") == []

    pressed = await desk.press("carol", "deskbot:approve:ACC-1", asked["id"])
    assert await desk.answer(pressed) == "You approved ACC-1; it is now active."
    assert desk.is_private(pressed)
    grant = _grant(desk, "ACC-1")
    assert (_state(desk, "ACC-1"), grant.approved_at) == ("Active", desk.clock.now())
    assert _members(desk, "prod-db-read") == ["alice"]
    assert _decisions(desk, "ACC-1") == {"carol": "approve"}

    granted = await _dm(desk, "alice", "granted: you have prod-db:read")
    assert granted["content"] == (
        "ACC-1 prod-db:read: granted: you have prod-db:read until 2026-01-05 13:00 UTC (4h)."
    )

    def announced() -> list[dict]:
        return [m for m in desk.channel_messages("security") if "ACC-1" in _shown(m)]

    [post] = await desk.fake.wait_until(announced, 10)
    assert post["content"] == (
        "ACC-1: alice gets prod-db:read until 2026-01-05 13:00 UTC (approved by carol): debugging."
    )


async def test_forged_component_presses_by_the_requester_or_a_non_owner_change_nothing(desk):
    asked = await _requested(desk)
    await desk.delivered()
    before = [(m.id, m.kind) for m in desk.outbox()]

    # alice presses the Approve button of carol's DM (a forged interaction).
    forged = await desk.press("alice", "deskbot:approve:ACC-1", asked["id"])
    assert await desk.answer(forged) == (
        "You cannot approve ACC-1: nobody approves their own request."
    )
    assert desk.is_private(forged)
    # erin is in the company but no owner of prod-db.
    stranger = await desk.press("erin", "deskbot:approve:ACC-1", asked["id"])
    assert await desk.answer(stranger) == (
        "You are not an approver of ACC-1; its approvers are carol, frank."
    )
    # alice's Deny: the form may open, but its submission is refused too.
    deny = await desk.press("alice", "deskbot:deny:ACC-1", asked["id"])
    submitted = await desk.submit("alice", deny, {"note": "never mind"})
    assert await desk.answer(submitted) == (
        "You cannot deny ACC-1: nobody approves their own request."
    )

    await desk.delivered()
    grant = _grant(desk, "ACC-1")
    assert (_state(desk, "ACC-1"), grant.approved_at, grant.expires_at) == (PENDING, None, None)
    assert _members(desk, "prod-db-read") == []
    assert _decisions(desk, "ACC-1") == {}
    assert [(m.id, m.kind) for m in desk.outbox()] == before  # nobody was told anything
    assert desk.channel_messages("security") == []


async def test_deny_opens_a_modal_and_its_reason_reaches_the_requester(desk):
    await _requested(desk)
    asked = await _dm(desk, "frank", "ACC-1")
    opened = await desk.press("frank", "deskbot:deny:ACC-1", asked["id"])
    await desk.fake.wait_for_response(opened)
    assert opened.callback_type == ix.CALLBACK_MODAL
    assert opened.callback_data["title"] == "Deny ACC-1"
    assert _state(desk, "ACC-1") == PENDING  # the form only opened

    submitted = await desk.submit("frank", opened, {"note": "use the read replica instead"})
    assert await desk.answer(submitted) == "You denied ACC-1; @alice has been told why."
    grant = _grant(desk, "ACC-1")
    assert (_state(desk, "ACC-1"), grant.ended_by, grant.end_reason) == (
        "Denied",
        "frank",
        "use the read replica instead",
    )
    assert _decisions(desk, "ACC-1") == {"frank": "deny"}
    told = await _dm(desk, "alice", "denied by")
    assert told["content"] == "ACC-1 prod-db:read: denied by @frank: use the read replica instead."
    assert _members(desk, "prod-db-read") == []
