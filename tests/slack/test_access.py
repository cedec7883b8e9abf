"""Access management in Slack: /access request as a slash command, the owners' Approve /
Deny in their DMs, the holder's steps in the thread of their first DM about the grant, the
security channel told, the built-in directory changed — and buttons pressed by someone who
may not (the requester, a stranger to the resource) refused without changing anything."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import access, approvals
from domain.clock import ManualClock
from tests.slack.harness import CONFIG, SlackDeskHarness, blocks_text, button_ids

SECURITY = "C0SECURITY"
PENDING = "Waiting for approval"
REQUEST = "/access request prod-db --role read --for 4h debugging"

ACCESS = """
access:
  resources:
    prod-db:
      description: Production PostgreSQL (customer data)
      roles: {read: prod-db-read, admin: prod-db-admin}
      owners: [carol, frank]
      approvals: 1
      max_duration: 8h
      default_duration: 4h
      reason_required: true
      managed: exclusive
      break_glass: {teams: [network], roles: [read], max_duration: 1h}
    grafana:
      description: Grafana dashboards
      roles: {editor: grafana-editors}
      owners: [dave]
      max_duration: 30d
      default_duration: 7d
      reason_required: false
      self_renew: true
"""

WITH_ACCESS = (
    CONFIG.replace(
        "  major-incidents: {slack: C0MAJOR}\n",
        f"  major-incidents: {{slack: C0MAJOR}}\n  security: {{slack: {SECURITY}}}\n",
    ).replace(
        "  triage_team: service-desk\n", "  triage_team: service-desk\n  security: security\n"
    )
    + ACCESS
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def desk(database_url, slack, clock):
    harness = SlackDeskHarness.build(database_url, slack, clock=clock, config_text=WITH_ACCESS)
    harness.start_worker()
    try:
        yield harness
    finally:
        await harness.close()


def _grant(desk: SlackDeskHarness, key: str) -> access.AccessGrant:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        grant = access.get_grant(ctx, key)
        ctx.session.expunge(grant)
        return grant


def _state(desk: SlackDeskHarness, key: str) -> str:
    """A grant's state as people read it ("Active"): the domain's own tests pin its names."""
    return access.ACCESS.label(_grant(desk, key).state)


def _members(desk: SlackDeskHarness, group: str) -> list[str]:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return ctx.directory.members(group)


def _text(call) -> str:
    return call.args.get("text", "") + blocks_text(call.args.get("blocks"))


def _button(call, action_id: str) -> dict:
    """The button `action_id` of a posted message (its value names the grant)."""
    for block in call.args.get("blocks") or []:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element["action_id"] == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {call.args}")


async def _requested(desk: SlackDeskHarness) -> None:
    """alice asks for prod-db read; both owners are asked in their DMs."""
    reply = await desk.reply(await desk.command("U0ALICE", REQUEST))
    assert reply.args["response_type"] == "ephemeral"
    assert reply.args["text"] == (
        "ACC-1: you asked for prod-db:read for 4h. Waiting for approval by carol, frank; "
        "I'll DM you each step."
    )


async def test_an_owner_approves_from_a_dm_button_and_the_holder_hears_in_her_thread(
    desk, slack, clock
):
    await _requested(desk)
    [first] = await desk.posts(1, "U0ALICE")
    assert "Your access request ACC-1: read of prod-db for 4h" in first.args["text"]
    assert button_ids(first.args.get("blocks")) == ["access_cancel"]
    [asked] = await desk.posts(1, "U0CAROL")
    assert "asks for read of prod-db for 4h" in _text(asked) and "debugging" in _text(asked)
    assert button_ids(asked.args["blocks"]) == ["access_approve", "access_deny"]
    assert _button(asked, "access_approve")["value"] == "ACC-1"
    assert await desk.posts(1, "U0FRANK", where=lambda c: "ACC-1" in _text(c))
    assert _state(desk, "ACC-1") == PENDING and _members(desk, "prod-db-read") == []

    pressed = await desk.press(
        "U0CAROL",
        "access_approve",
        _button(asked, "access_approve")["value"],
        channel="DU0CAROL",
        message_ts=asked.response["ts"],
    )
    answered = await desk.reply(pressed)
    assert answered.args["text"] == "You approved ACC-1; it is now active."
    assert answered.args["response_type"] == "ephemeral"
    await desk.until(lambda: _state(desk, "ACC-1") == "Active", what="ACC-1 active")
    assert _members(desk, "prod-db-read") == ["alice"]
    grant = _grant(desk, "ACC-1")
    assert grant.expires_at == clock.now() + timedelta(hours=4)

    # alice hears it in the thread of her first DM about ACC-1.
    [granted] = await desk.posts(
        1, "DU0ALICE", where=lambda c: "granted: you have prod-db:read" in c.args.get("text", "")
    )
    assert granted.args["thread_ts"] == first.response["ts"]
    [announced] = await desk.posts(1, SECURITY)
    assert announced.args["text"] == (
        "ACC-1: alice gets prod-db:read until 2026-01-05 13:00 UTC (approved by carol): debugging."
    )
    # frank's button is void now: the grant no longer waits for an answer.
    [frank_asked] = await desk.posts(1, "U0FRANK")
    late = await desk.press(
        "U0FRANK",
        "access_approve",
        "ACC-1",
        channel="DU0FRANK",
        message_ts=frank_asked.response["ts"],
    )
    assert (await desk.reply(late)).args["text"] == (
        "ACC-1 is no longer waiting for approval: it is active."
    )


async def test_forged_approve_presses_by_the_requester_or_a_non_owner_change_nothing(desk, slack):
    await _requested(desk)
    [asked] = await desk.posts(1, "U0CAROL")
    await desk.idle()
    before = [(m.id, m.kind) for m in desk.outbox()]

    # alice copies carol's button: a correctly signed payload, pressed in her own DM.
    forged = await desk.press(
        "U0ALICE", "access_approve", "ACC-1", channel="DU0ALICE", message_ts=asked.response["ts"]
    )
    refused = await desk.reply(forged)
    assert refused.args["response_type"] == "ephemeral"
    assert refused.args["text"] == "You cannot approve ACC-1: nobody approves their own request."

    # erin (known by email only) is no owner of prod-db.
    stranger = await desk.press("U0ERIN", "access_approve", "ACC-1", channel="DU0ERIN")
    refused = await desk.reply(stranger)
    assert refused.args["text"] == (
        "You are not an approver of ACC-1; its approvers are carol, frank."
    )

    # alice's deny form: the form may open, but submitting it is refused too.
    deny = await desk.press("U0ALICE", "access_deny", "ACC-1", channel="DU0ALICE")
    [opened] = await slack.async_wait_for("views.open")
    response = await desk.submit("U0ALICE", opened.response["view"], {"reason": "never mind"})
    assert response.status_code == 200 and not response.content, response.text
    told = await desk.reply(deny)  # where she pressed the button, only to her
    assert told.args["response_type"] == "ephemeral"
    assert told.args["text"] == "You cannot deny ACC-1: nobody approves their own request."

    await desk.idle()
    grant = _grant(desk, "ACC-1")
    assert (_state(desk, "ACC-1"), grant.approved_at, grant.expires_at) == (PENDING, None, None)
    assert _members(desk, "prod-db-read") == []
    assert [(m.id, m.kind) for m in desk.outbox()] == before  # nobody was told anything
    assert not [c for c in slack.calls("chat.postMessage") if c.args.get("channel") == SECURITY]
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert approvals.decisions(ctx, access.get_grant(ctx, "ACC-1")) == {}


async def test_deny_asks_for_a_reason_in_a_modal_and_the_requester_reads_it(desk, slack):
    await _requested(desk)
    [first] = await desk.posts(1, "U0ALICE")
    [asked] = await desk.posts(1, "U0FRANK")
    await desk.press(
        "U0FRANK", "access_deny", "ACC-1", channel="DU0FRANK", message_ts=asked.response["ts"]
    )
    [opened] = await slack.async_wait_for("views.open")
    view = opened.response["view"]
    assert view["title"]["text"] == "Deny ACC-1"
    assert [b["block_id"] for b in view["blocks"]] == ["reason"]
    assert _state(desk, "ACC-1") == PENDING  # the form only opened

    # An empty reason is refused under the field; the modal stays open.
    empty = await desk.submit("U0FRANK", view, {"reason": ""})
    assert empty.json()["response_action"] == "errors", empty.text
    assert _state(desk, "ACC-1") == PENDING

    response = await desk.submit("U0FRANK", view, {"reason": "use the read replica instead"})
    assert response.status_code == 200 and not response.content, response.text
    await desk.until(lambda: _state(desk, "ACC-1") == "Denied", what="ACC-1 denied")
    [told] = await desk.posts(
        1, "DU0ALICE", where=lambda c: "use the read replica instead" in c.args.get("text", "")
    )
    assert told.args["text"] == (
        "ACC-1 prod-db:read: denied by @frank: use the read replica instead."
    )
    assert told.args["thread_ts"] == first.response["ts"]
    grant = _grant(desk, "ACC-1")
    assert (grant.ended_by, grant.end_reason) == ("frank", "use the read replica instead")
    assert _members(desk, "prod-db-read") == []


async def test_the_expiry_reminder_offers_renew_which_asks_the_owners_again(desk, slack, clock):
    await _requested(desk)
    assert (await desk.say("U0CAROL", "/access approve ACC-1")).endswith("it is now active.")
    [first] = await desk.posts(1, "U0ALICE")
    await desk.until(lambda: _members(desk, "prod-db-read") == ["alice"], what="granted")
    await desk.idle()
    assert not [c for c in slack.calls("chat.postMessage") if "ends in" in _text(c)]

    # An hour before expiry (a 4-hour grant gets no day-before reminder).
    clock.advance(timedelta(hours=3))
    desk.runtime.worker.wake()
    [reminder] = await desk.posts(1, "DU0ALICE", where=lambda c: "ends in an hour" in _text(c))
    assert reminder.args["thread_ts"] == first.response["ts"]
    assert "at 2026-01-05 13:00 UTC" in reminder.args["text"]
    assert button_ids(reminder.args["blocks"]) == ["access_renew"]

    # Renew asks for an optional reason in a modal, then asks the owners again.
    await desk.press(
        "U0ALICE",
        "access_renew",
        _button(reminder, "access_renew")["value"],
        channel="DU0ALICE",
        message_ts=reminder.response["ts"],
    )
    [opened] = await slack.async_wait_for("views.open")
    view = opened.response["view"]
    assert view["title"]["text"] == "Renew ACC-1"
    response = await desk.submit("U0ALICE", view, {"reason": "the fix needs another day"})
    assert response.status_code == 200 and not response.content, response.text
    renewal = await desk.until(
        lambda: _grant(desk, "ACC-2") if _exists(desk, "ACC-2") else None, what="ACC-2"
    )
    assert (_state(desk, "ACC-2"), renewal.renewal_of, renewal.person) == (PENDING, 1, "alice")
    assert renewal.reason == "the fix needs another day"
    assert _state(desk, "ACC-1") == "Active"  # still held while the owners decide
    for owner in ("U0CAROL", "U0FRANK"):
        [asked] = await desk.posts(1, owner, where=lambda c: "ACC-2" in _text(c))
        assert "renewing ACC-1" in asked.args["text"]
        assert button_ids(asked.args["blocks"]) == ["access_approve", "access_deny"]

    # frank approves the renewal: it replaces ACC-1, and the group stays.
    await desk.press("U0FRANK", "access_approve", "ACC-2", channel="DU0FRANK")
    await desk.until(lambda: _state(desk, "ACC-2") == "Active", what="ACC-2 active")
    assert _state(desk, "ACC-1") == "Renewed"
    assert _members(desk, "prod-db-read") == ["alice"]
    assert _grant(desk, "ACC-2").expires_at == clock.now() + timedelta(hours=4)


def _exists(desk: SlackDeskHarness, key: str) -> bool:
    with desk.runtime.database.transaction() as session:
        return session.get(access.AccessGrant, int(key.split("-")[1])) is not None


async def test_break_glass_a_review_with_keep_buttons_and_a_reconciliation(desk, slack, clock):
    # erin is on the network team: read for up to an hour needs no approval.
    reply = await desk.reply(
        await desk.command("U0ERIN", "/access request prod-db --role read --for 1h INC-7 down")
    )
    assert reply.args["text"].startswith("ACC-1: break-glass prod-db:read for 1h — active")
    [announced] = await desk.posts(1, SECURITY)
    assert announced.args["text"].startswith("BREAK-GLASS ACC-1: erin gets prod-db:read until")
    assert _members(desk, "prod-db-read") == ["erin"]

    # carol reviews prod-db: each owner who is not the holder gets Keep / Revoke.
    started = await desk.say("U0CAROL", "/access review prod-db")
    assert started.startswith("Access review of prod-db started")
    [asked] = await desk.posts(1, "U0FRANK", where=lambda c: "Access review" in _text(c))
    assert button_ids(asked.args["blocks"]) == ["access_keep", "access_revoke"]
    pressed = await desk.press(
        "U0FRANK", "access_keep", "ACC-1", channel="DU0FRANK", message_ts=asked.response["ts"]
    )
    assert (await desk.reply(pressed)).args["text"] == "ACC-1 is kept."
    [carols] = await desk.posts(1, "U0CAROL", where=lambda c: "Access review" in _text(c))
    late = await desk.press("U0CAROL", "access_keep", "ACC-1", channel="DU0CAROL")
    # One answer per grant: the review was complete with frank's.
    assert (await desk.reply(late)).args["text"] == (
        "ACC-1 is not in an open access review: nothing to keep."
    )
    [done] = await desk.posts(1, SECURITY, where=lambda c: "review" in c.args.get("text", ""))
    assert done.args["text"] == (
        "Access review of prod-db is complete: Started 2026-01-05 by carol; Kept: ACC-1; "
        "Revoked: none."
    )

    # At expiry the directory takes it away; someone puts erin back by hand, and bob too.
    clock.advance(timedelta(hours=1))
    desk.runtime.worker.wake()
    await desk.until(lambda: _state(desk, "ACC-1") == "Expired", what="ACC-1 expired")
    assert _members(desk, "prod-db-read") == []
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        ctx.directory.add_to_group("erin", "prod-db-read")
        ctx.directory.add_to_group("bob", "prod-db-read")
    found = await desk.say("U0GRACE", "/access reconcile prod-db --repair")
    assert "repaired: erin is still in prod-db-read though ACC-1 has ended" in found
    assert "drift: bob is in prod-db-read (prod-db) and nobody granted it" in found
    assert _members(desk, "prod-db-read") == ["bob"]
