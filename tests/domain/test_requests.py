"""Request fulfilment through the console: the catalogue, approvals (none, manager, named,
n of m), the task card, directory fulfilment, reminders and escalation, and bad input."""

from __future__ import annotations

import threading

import pytest

from bot.config import example_config_path, load_config_text
from bot.identity import PlatformIdentity
from domain import requests
from domain.context import SYSTEM
from domain.directory.builtin import BuiltinDirectory
from tests.harness import DeskHarness

LICENCE = "/request new software-licence product=Visio Professional seats=2"


def _state(desk, key: str) -> str:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return requests.get_request(ctx, key).state


def _groups(desk, person: str) -> tuple[str, ...]:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        found = ctx.directory.find_person(person)
        return found.groups if found else ()


def _dm(posts: list[str], person: str) -> list[str]:
    return [p for p in posts if p.startswith(f"[DM @{person}]")]


def test_a_software_licence_is_approved_then_fulfilled_as_a_task(desk):
    reply = desk.say("alice", LICENCE)
    assert reply.startswith('REQ-1 "Software licence" requested (product: Visio Professional')
    assert "Waiting for approval by grace, carol." in reply
    posts = desk.posts()
    assert _dm(posts, "alice")[0].startswith(
        '[DM @alice] Your request REQ-1 "Software licence" is in'
    )
    for approver in ("grace", "carol"):
        asked = _dm(posts, approver)
        assert asked and "Do you approve? /request approve REQ-1" in asked[0]
    assert not [p for p in posts if p.startswith("[#")]  # no task before approval

    assert desk.say("carol", '/request approve REQ-1 "fine for Q1"') == (
        "You approved REQ-1; it is now approved, waiting for fulfilment."
    )
    posts = desk.posts()
    card = [p for p in posts if p.startswith("[#service-desk] REQ-1 Software licence for @alice")]
    assert card and "Take it with /request claim REQ-1" in card[0]
    assert (
        '[DM @alice] REQ-1 "Software licence": approved; team service-desk will fulfil it.' in posts
    )
    # One approval was needed: grace answering now is refused by the state.
    assert desk.say("grace", "/request approve REQ-1") == (
        "REQ-1 is approved, waiting for fulfilment, so it cannot be approved."
    )

    assert (
        desk.say("bob", "/request claim REQ-1")
        == 'You are now fulfilling REQ-1 "Software licence".'
    )
    assert desk.say("bob", "/request done REQ-1 installed, see Start menu") == (
        "REQ-1 is fulfilled; @alice has been told."
    )
    posts = desk.posts()
    assert "[#service-desk] REQ-1 fulfilled by @bob — now fulfilled, @bob" in posts
    assert '[DM @alice] REQ-1 "Software licence": fulfilled: installed, see Start menu.' in posts
    shown = desk.say("alice", "/request show REQ-1")
    assert shown.startswith("REQ-1 Software licence — Fulfilled")
    assert "carol (approved)" in shown and "Outcome: installed, see Start menu" in shown
    assert "carol: approved — Approved by carol: fine for Q1" in shown
    assert desk.say("carol", "/request deny REQ-1 too late") == (
        "REQ-1 is fulfilled, so it cannot be denied."
    )


def test_nobody_approves_their_own_request(desk):
    # grace is a named approver of software licences; asking for one herself, she is not.
    reply = desk.say("grace", LICENCE)
    assert "Waiting for approval by carol." in reply
    desk.posts()
    assert desk.say("grace", "/request approve REQ-1") == (
        "You cannot approve REQ-1: nobody approves their own request."
    )
    # A pressed button runs the same command: the same refusal, and nothing changed.
    reply = desk.runtime.dispatcher.execute_argv(
        PlatformIdentity("console", "grace"), ["request", "approve", "--", "REQ-1"]
    )
    assert not reply.ok and "nobody approves their own request" in reply.text
    assert _state(desk, "REQ-1") == "awaiting_approval"
    assert desk.say("bob", "/request approve REQ-1") == (
        "You are not an approver of REQ-1; its approvers are carol."
    )
    # Nor when the requester is an approver's only alternative (2 of frank, carol, grace).
    assert "Waiting for approval by frank, carol" in desk.say(
        "grace", "/request new shared-mailbox address=inv@example.com members=frank, carol"
    )


def test_two_of_three_approve_a_shared_mailbox(desk):
    desk.say(
        "alice", "/request new shared-mailbox address=invoices@example.com members=alice, erin"
    )
    desk.posts()
    assert desk.say("frank", "/request approve REQ-1") == (
        "You approved REQ-1; it needs more approvals."
    )
    assert (
        '[DM @alice] REQ-1 "Shared mailbox": approved by @frank (1 of 2); waiting for more approvals.'
        in desk.posts()
    )
    assert (
        desk.say("frank", "/request approve REQ-1") == "You already answered on REQ-1 (approved)."
    )
    assert desk.say("grace", "/request approve REQ-1").startswith(
        "You approved REQ-1; it is now approved"
    )
    assert any(p.startswith("[#messaging-team] REQ-1 Shared mailbox") for p in desk.posts())
    shown = desk.say("alice", "/request show REQ-1")
    assert "frank (approved), carol (no answer), grace (approved) — 2 must approve" in shown


def test_the_manager_approves_a_new_laptop(desk):
    desk.say("alice", "/request new new-laptop model=developer needed_by=2026-03-01")
    assert _dm(desk.posts(), "carol")  # alice's manager, from the config
    assert desk.say("erin", "/request approve REQ-1") == (
        "You are not an approver of REQ-1; its approvers are carol."
    )
    assert desk.say("carol", "/request deny REQ-1") == (
        "Missing REASON.\nUsage: /request deny ID REASON…"
    )
    assert desk.say("carol", "/request deny REQ-1 your laptop is a year old") == (
        "You denied REQ-1; @alice has been told why."
    )
    assert (
        '[DM @alice] REQ-1 "New laptop": denied by @carol: your laptop is a year old.'
        in desk.posts()
    )
    assert (
        desk.say("carol", "/request approve REQ-1") == "REQ-1 is denied, so it cannot be approved."
    )
    # grace has no manager on file: the desk says so instead of asking nobody.
    assert desk.say("grace", "/request new new-laptop model=standard needed_by=2026-03-01") == (
        '"New laptop" needs your manager\'s approval, and the desk has no manager on file '
        "for you. Ask the service desk to add one."
    )


def test_a_distribution_list_is_joined_in_the_directory_at_once(desk):
    assert "engineering-news" not in _groups(desk, "alice")
    reply = desk.say("alice", "/request new distribution-list list=engineering-news")
    assert reply.endswith("Done. The directory added alice to engineering-news.")
    assert "engineering-news" in _groups(desk, "alice")
    assert _state(desk, "REQ-1") == "fulfilled"
    assert (
        '[DM @alice] REQ-1 "Distribution list membership": done: the directory added alice to engineering-news.'
        in desk.posts()
    )
    # For someone else, and again for a member: said, not failed.
    desk.say("alice", "/request new distribution-list list=sales-news person=@erin")
    assert "sales-news" in _groups(desk, "erin")
    assert desk.say("alice", "/request new distribution-list list=engineering-news").endswith(
        "(alice already was)."
    )
    assert desk.say("alice", "/request new distribution-list list=sales-news person=zed") == (
        '"Distribution list membership" cannot be requested like that: person: must be a '
        "person the desk knows (their name or @mention); nobody is called 'zed'."
    )


def _with_item(extra: str) -> str:
    return example_config_path().read_text() + extra


BROKEN_LIST = """
  broken-list:
    title: Broken list
    fields:
      list: {type: text}
    fulfilment: {directory: add_to_group, group: "{list}", team: service-desk}
"""


def test_a_directory_failure_keeps_the_request_open_and_retries_it(database_url):
    harness = DeskHarness.start(database_url, load_config_text(_with_item(BROKEN_LIST)))
    try:
        reply = harness.say("alice", "/request new broken-list list=new-starters")
        assert "approved" in reply.lower()
        assert _state(harness, "REQ-1") == "approved"
        posts = harness.posts()
        told = _dm(posts, "alice")[-1]
        assert (
            "the directory could not do it yet (The built-in directory has no group 'new-starters'.)"
            in told
        )
        assert told.endswith("it stays open and the service desk will see to it.")
        assert any(
            p.startswith("[#service-desk] REQ-1") and "/request retry REQ-1" in p for p in posts
        )
        # No such group is no passing outage: nothing is retried on its own…
        assert harness.advance(minutes=90) == []
        # …until someone creates the group and an agent retries.
        with harness.runtime.dispatcher.unit_of_work() as ctx:
            from domain.directory.builtin import seed_groups

            seed_groups(ctx.session, {"new-starters": ()}, harness.clock)
        assert harness.say("bob", "/request retry REQ-1") == (
            "REQ-1 is fulfilled: The directory added alice to new-starters."
        )
        posts = harness.posts()
        assert (
            '[DM @alice] REQ-1 "Broken list": done: the directory added alice to new-starters.'
            in posts
        )
        assert _state(harness, "REQ-1") == "fulfilled"
        assert harness.say("bob", "/request retry REQ-1") == (
            "REQ-1 is fulfilled, so it cannot be retried."
        )
    finally:
        harness.close()


def test_silent_approvers_are_reminded_then_the_lead_is_asked(desk):
    desk.say("alice", LICENCE)
    desk.posts()
    posts = desk.advance(days=1)
    # The day's other post: the audit trail's head (docs/audit.md).
    assert [p[:32] for p in posts if p.startswith("[#security]")] == [
        "[#security] Audit chain head: 1:"
    ]
    assert [p[:40] for p in posts if not p.startswith("[#security]")] == [
        '[DM @grace] Reminder: REQ-1 "Software li',
        '[DM @carol] Reminder: REQ-1 "Software li',
    ]
    posts = desk.advance(days=1)
    # grace is already an approver and the lead: nobody new to ask, the desk is told.
    assert (
        '[#service-desk] REQ-1 "Software licence" for @alice needs attention: nobody has answered its approval; approvers: grace, carol.'
        in posts
    )
    posts = desk.advance(days=1)
    assert (
        '[#service-desk] REQ-1 "Software licence" for @alice needs attention: its SLA is breached.'
        in posts
    )
    assert (
        '[#major-incidents] REQ-1 "Software licence" for @alice needs attention: its SLA is breached.'
        in posts
    )


def test_escalation_adds_the_lead_as_an_approver(desk):
    # alice's manager is carol, whose manager (grace) is asked when carol stays silent.
    desk.say("alice", "/request new new-laptop model=standard needed_by=2026-03-01")
    desk.posts()
    desk.advance(days=1)
    posts = desk.advance(days=1)
    assert any(
        p.startswith('[DM @grace] REQ-1 "New laptop" for @alice has waited too long') for p in posts
    )
    assert (
        '[DM @alice] REQ-1 "New laptop": still waiting for approval, so @grace was asked too.'
        in posts
    )
    assert desk.say("grace", "/request approve REQ-1").startswith("You approved REQ-1")


def test_bad_input_gets_a_clear_answer_and_stores_nothing(desk):
    assert desk.say("alice", "/request new softwre-licence") == (
        "The catalogue has no item 'softwre-licence'. Did you mean software-licence? "
        "See them all with /request catalog."
    )
    # Where no form can open, the reply says how to type what is missing.
    missing = desk.runtime.dispatcher.execute(
        PlatformIdentity("console", "alice"), "/request new software-licence"
    )
    assert missing.text == (
        '"Software licence" needs: product (text of at most 80 characters). '
        "Give them as /request new software-licence product=…"
    )
    assert [q.name for q in missing.form.to_ask()] == ["product"]
    assert missing.form.argv({"product": "Visio"}) == [
        "request",
        "new",
        "--",
        "software-licence",
        "product=Visio",
    ]
    assert desk.say("alice", "/request new software-licence Visio") == (
        "Give answers as field=value: /request new software-licence product=… seats=… period=…"
    )
    assert desk.say(
        "alice", "/request new software-licence colour=red product=Visio seats=0 period=forever"
    ) == (
        '"Software licence" cannot be requested like that: colour: software-licence has no '
        "such field (its fields: product, seats, period); seats: must be a number from 1 to 20, "
        "not '0'; period: must be a duration such as 4h, 2d or 1w, not 'forever'."
    )
    # A value runs to the next field of the item: an unknown name=… after a value is part of it.
    assert desk.say("alice", "/request new software-licence product=Visio seats=2 x=1") == (
        '"Software licence" cannot be requested like that: seats: must be a number from 1 to 20, '
        "not '2 x=1'."
    )
    assert desk.say("alice", "/request new new-laptop model=gaming needed_by=2025-12-31") == (
        '"New laptop" cannot be requested like that: model: must be one of standard, developer, '
        "ultralight, not 'gaming'; needed_by: must be a date such as 2027-01-31, today or later, "
        "not '2025-12-31'."
    )
    assert desk.say("alice", "/request new software-licence product=" + "x" * 81) == (
        '"Software licence" cannot be requested like that: product: must be text of at most '
        "80 characters (got 81)."
    )
    assert desk.say("alice", "/request show REQ-1") == "There is no request REQ-1."
    assert desk.posts() == []
    # The first request that gets through is still number 1.
    assert desk.say("alice", LICENCE).startswith("REQ-1 ")


def test_requests_are_seen_by_those_involved_only(desk):
    desk.say("alice", LICENCE)
    assert desk.say("erin", "/request show REQ-1").startswith("REQ-1 Software licence")  # agent
    desk.say("carol", "/request comment REQ-1 which edition do you need?")
    assert (
        '[DM @alice] REQ-1 "Software licence" — @carol: which edition do you need?' in desk.posts()
    )
    desk.say("alice", "/request comment REQ-1 Professional, for diagrams")
    posts = desk.posts()
    assert '[DM @grace] REQ-1 "Software licence" — @alice: Professional, for diagrams' in posts
    assert '[DM @carol] REQ-1 "Software licence" — @alice: Professional, for diagrams' in posts
    desk.say("erin", "/request new distribution-list list=sales-news")
    assert desk.say("alice", "/request show REQ-2") == (
        "You can see your own requests and those you approve; REQ-2 is neither."
    )
    assert desk.say("alice", "/request comment REQ-2 hi") == (
        "Only the requester, its approvers and agents can comment on REQ-2."
    )
    listed = desk.say("carol", "/request list --approvals")
    assert listed.startswith("Requests waiting for your approval (1):") and "REQ-1" in listed
    desk.say("carol", "/request approve REQ-1")
    assert (
        desk.say("carol", "/request list --approvals")
        == "Requests waiting for your approval: none."
    )
    assert "REQ-1 Software licence — Approved, waiting for fulfilment" in desk.say(
        "bob", "/request list --team service-desk"
    )
    assert desk.say("alice", "/request list --team service-desk") == (
        "Only service-desk agents can list a team's requests."
    )
    assert desk.say("alice", "/request cancel REQ-1 found a free tool") == "REQ-1 is cancelled."
    assert (
        "[#service-desk] REQ-1 cancelled by @alice: found a free tool — now cancelled"
        in desk.posts()
    )
    assert desk.say("bob", "/request claim REQ-1") == "REQ-1 is cancelled, so it cannot be claimed."
    assert desk.say("alice", "/request list") == "Your open requests: none."


def test_the_console_asks_for_missing_answers_one_at_a_time(desk):
    assert desk.say("alice", "/request new new-laptop model=ultralight") == (
        "New laptop: a few questions.\n"
        "[1/1] Needed by (a date such as 2027-01-31, today or later)? (cancel to stop)"
    )
    assert desk.say("alice", "yesterday") == (
        '"New laptop" cannot be requested like that: needed_by: must be a date such as '
        "2027-01-31, today or later, not 'yesterday'."
    )
    desk.say("alice", "/request new new-laptop")
    assert desk.say("alice", "gaming") == (
        "Choose one of: standard, developer, ultralight.\n"
        "[1/2] Model (standard / developer / ultralight)? (cancel to stop)"
    )
    assert desk.say("alice", "Developer").startswith("[2/2] Needed by")
    reply = desk.say("alice", "2026-02-01")
    assert reply.startswith(
        'REQ-1 "New laptop" requested (model: developer · needed by: 2026-02-01)'
    )
    desk.say("alice", "/request new software-licence")
    assert desk.say("alice", "cancel") == "OK, stopped: nothing was requested."


@pytest.mark.parametrize("first", ["approve", "deny"])
def test_approve_and_deny_racing_leave_one_answer(desk, first):
    desk.say("alice", "/request new shared-mailbox address=x@example.com members=alice")
    results: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def answer(who: str, verb: str) -> None:
        argv = ["request", verb, "--", "REQ-1"] + (["not needed"] if verb == "deny" else [])
        barrier.wait()
        results[who] = desk.runtime.dispatcher.execute_argv(PlatformIdentity("console", who), argv)

    other = "deny" if first == "approve" else "approve"
    threads = [
        threading.Thread(target=answer, args=("frank", first)),
        threading.Thread(target=answer, args=("carol", other)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = _state(desk, "REQ-1")
    denied = [w for w, r in results.items() if r.ok and "denied" in r.text]
    # A deny that got in first denies; a deny after an approval still denies (2 are needed).
    assert state == "denied" and len(denied) == 1
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        decided = requests.show_request(ctx, SYSTEM, "REQ-1")
        assert set(decided.decisions) <= {"frank", "carol"}


def test_the_builtin_directory_stores_no_password_in_clear(desk):
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        directory = ctx.directory
        assert isinstance(directory, BuiltinDirectory)
        with pytest.raises(Exception) as refused:
            directory.set_password("alice", "short")
        assert "at least 12 characters" in str(refused.value)
        directory.set_password("alice", "Correct-Horse-42")
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert ctx.directory.check_password("alice", "Correct-Horse-42")
        assert not ctx.directory.check_password("alice", "Correct-Horse-43")
        from sqlalchemy import text

        stored = ctx.session.execute(text("SELECT hash FROM directory_passwords")).scalar_one()
        assert "Correct-Horse-42" not in stored and stored.startswith("scrypt$")


def test_a_dm_in_ones_own_words_is_offered_the_catalogue_first(desk):
    said = desk.say("alice", "I need Visio for the network diagrams")
    assert said.splitlines() == [
        "If you are asking for something, the catalogue has it — "
        "Software licence: /request new software-licence.",
        'Shall I open an incident "I need Visio for the network diagrams"? Type yes to open it, or no.',
    ]
    assert desk.say("alice", "Can I get a new laptop? Mine is five years old").startswith(
        "If you are asking for something, the catalogue has it — New laptop: "
        "/request new new-laptop."
    )
    # A fault is no wish, and words the catalogue does not know offer nothing from it.
    assert desk.say("alice", "my laptop won't boot").startswith("Shall I open an incident")
    assert desk.say("alice", "I need the printer on floor 3 fixed").startswith(
        "Shall I open an incident"
    )


AGENTS_ONLY = """
  admin-rights:
    title: Local admin rights
    roles: [agent]
    fields:
      machine: {type: text}
    approval: {group: service-desk}
    fulfilment: {team: service-desk}
"""


def test_an_item_for_some_roles_is_hidden_from_and_refused_to_others(database_url):
    harness = DeskHarness.start(database_url, load_config_text(_with_item(AGENTS_ONLY)))
    try:
        assert "admin-rights" not in harness.say("alice", "/request catalog")
        assert "admin-rights" in harness.say("erin", "/request catalog")
        assert harness.say("alice", "/request new admin-rights machine=PC-7") == (
            '"Local admin rights" is not in your catalogue.'
        )
        # bob is in the approving team: the other members decide, never bob himself.
        assert "Waiting for approval by dave." in harness.say(
            "bob", "/request new admin-rights machine=PC-7"
        )
        harness.say("bob", "/request cancel REQ-1 not needed")
        assert harness.say("dave", "/request approve REQ-1") == (
            "REQ-1 is cancelled, so it cannot be approved."
        )
    finally:
        harness.close()


GUARDED_LIST = """
  guarded-list:
    title: Guarded list
    fields:
      person: {type: person}
    approval: {approvers: [carol, grace]}
    fulfilment: {directory: add_to_group, group: engineering-news, member: "{person}"}
"""


def test_nobody_approves_what_they_gain_nor_does_an_unconfigured_manager(database_url):
    from domain.approval_rules import ApprovalRule, approvers_for
    from domain.errors import InvalidInput

    harness = DeskHarness.start(database_url, load_config_text(_with_item(GUARDED_LIST)))
    try:
        # grace asks to add carol: the requester and the one who gains are both out.
        assert harness.say("grace", "/request new guarded-list person=carol") == (
            '"Guarded list" needs 1 of carol, grace to approve it, and you may not approve your own '
            "request: there are not enough other approvers. Ask the service desk."
        )
        assert "Waiting for approval by carol." in harness.say(
            "grace", "/request new guarded-list person=alice"
        )
        policy = harness.runtime.policy
    finally:
        harness.close()
    # A manager named by the directory but unknown to the configuration approves nothing.
    with pytest.raises(InvalidInput, match=r"your manager \(mallory\) is not set up"):
        approvers_for(ApprovalRule("manager"), "alice", policy, lambda name: "mallory")
