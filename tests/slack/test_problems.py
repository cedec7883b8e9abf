"""Problem management in Slack: problem and suggestion cards and their buttons, the workaround
offered to a reporter, and Link to problem's chooser."""

from __future__ import annotations

import json

from sqlalchemy import select

from domain.problems.records import ProblemLink, ProblemRecord, SuggestionRecord
from tests.slack.harness import NETWORK, TRIAGE, blocks_text, button_ids, database_held

MESSAGING = "C0MESSAGING"


def _linked(desk, incident_id: int) -> int | None:
    """The id of the problem an incident is linked to, as stored."""
    with desk.runtime.database.transaction() as session:
        return session.scalar(
            select(ProblemLink.problem_id).where(ProblemLink.incident_id == incident_id)
        )


async def _problem(desk, line: str, number: int) -> str:
    """bob opens a problem; returns the ts of its card (in the owning team's channel)."""
    assert (await desk.say("U0BOB", line)).startswith(f"Opened PRB-{number} ")
    return (await desk.card_ref(number, "problem")).split(":", 1)[1]


async def test_a_problem_card_in_the_team_channel_is_claimed_with_its_button(slack_desk, slack):
    ts = await _problem(
        slack_desk,
        '/problem new "VPN drops after sleep" --service vpn --description "Tunnel gone on wake"',
        1,
    )
    [card] = await slack_desk.posts(1, NETWORK, where=lambda c: c.response["ts"] == ts)
    shown = blocks_text(card.args["blocks"])
    for part in ("*PRB-1*", "VPN drops after sleep", "*State*\\nNew", "*Team*\\nnetwork"):
        assert part in shown
    assert "Tunnel gone on wake" in shown and "*Assignee*\\nnobody" in shown
    assert button_ids(card.args["blocks"]) == ["problem_claim", "problem_rca", "problem_resolve"]

    rid = await slack_desk.press(
        "U0CAROL", "problem_claim", "PRB-1", channel=NETWORK, message_ts=ts
    )
    reply = await slack_desk.reply(rid)
    assert reply.args["text"] == 'You are now investigating PRB-1 "VPN drops after sleep".'
    [update] = await slack.async_wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (NETWORK, ts)
    now = blocks_text(update.args["blocks"])
    assert "*State*\\nUnder investigation" in now and "*Assignee*\\n<@U0CAROL>" in now
    assert (await slack_desk.card(1, "problem"))["blocks"] == update.args["blocks"]
    assert slack_desk.record(ProblemRecord, 1).assignee == "carol"


async def test_root_cause_opens_its_form_and_runs_problem_rca(slack_desk, slack):
    ts = await _problem(slack_desk, '/problem new "VPN drops after sleep" --service vpn', 1)
    rid = await slack_desk.press("U0CAROL", "problem_rca", "PRB-1", channel=NETWORK, message_ts=ts)
    [opened] = await slack.async_wait_for("views.open")
    view = opened.response["view"]
    assert view["title"]["text"] == "Root cause of PRB-1"
    await slack_desk.submit("U0CAROL", view, {"reason": "Keepalive not restarted on resume"})
    assert (await slack_desk.reply(rid)).args["text"] == "Root cause of PRB-1 recorded."
    assert slack_desk.record(ProblemRecord, 1).root_cause == "Keepalive not restarted on resume"
    [update] = await slack.async_wait_for("chat.update")
    assert "*Root cause:* Keepalive not restarted on resume" in blocks_text(update.args["blocks"])


async def test_a_reporter_who_says_the_workaround_fixed_it_closes_the_incident(slack_desk, slack):
    await _problem(
        slack_desk,
        '/problem new "VPN drops after sleep" --service vpn '
        '--description "Laptops lose VPN after waking from sleep"',
        1,
    )
    published = await slack_desk.say(
        "U0BOB",
        '/problem known-error PRB-1 --workaround "Click Reconnect in the VPN tray icon" '
        '--symptoms "VPN drops after laptop sleep; tunnel gone on wake"',
    )
    assert published.startswith("KE-1 published for PRB-1")

    reply = await slack_desk.say(
        "U0ALICE", '/incident new "My VPN drops every time the laptop goes to sleep" --service vpn'
    )
    assert 'This looks like KE-1 "VPN drops after sleep"' in reply
    [offer] = await slack_desk.posts(1, "U0ALICE", where=lambda c: "KE-1" in c.args["text"])
    assert "Click Reconnect in the VPN tray icon" in blocks_text(offer.args["blocks"])
    assert button_ids(offer.args["blocks"]) == ["incident_fixed", "incident_broken"]
    labels = [e["text"]["text"] for e in offer.args["blocks"][-1]["elements"]]
    assert labels == ["Yes, fixed", "No, still broken"]
    card_ts = (await slack_desk.card_ref(1)).split(":", 1)[1]
    card = blocks_text((await slack_desk.card(1))["blocks"])
    assert "Linked to problem *PRB-1*" in card
    assert "Workaround of KE-1 offered — no answer from the reporter yet" in card

    rid = await slack_desk.press(
        "U0ALICE",
        "incident_fixed",
        "INC-1",
        channel=offer.response["channel"],
        message_ts=offer.response["ts"],
    )
    assert (await slack_desk.reply(rid)).args["text"] == "Glad it works! INC-1 is closed."
    incident = slack_desk.incident(1)
    assert incident.state == "closed"
    assert incident.resolution.startswith("Workaround of KE-1: Click Reconnect")
    [update] = await slack.async_wait_for(
        "chat.update", where=lambda c: c.args["channel"] == TRIAGE
    )
    assert update.args["ts"] == card_ts
    closed = blocks_text(update.args["blocks"])
    assert "*State*\\nClosed" in closed
    assert "Workaround of KE-1 offered — the reporter says it fixed it" in closed
    assert button_ids(update.args["blocks"]) == []  # linked already: nothing left to press


async def test_link_to_problem_offers_the_services_open_problems_and_links(slack_desk, slack):
    await _problem(slack_desk, '/problem new "VPN drops after sleep" --service vpn', 1)
    await _problem(slack_desk, '/problem new "Wi-Fi slow on floor 3" --service wifi', 2)
    await _problem(slack_desk, '/problem new "VPN slow from home" --service vpn', 3)
    await slack_desk.say("U0ALICE", '/incident new "VPN is down for me" --service vpn')
    ts = (await slack_desk.card_ref(1)).split(":", 1)[1]
    assert "incident_link" in button_ids((await slack_desk.card(1))["blocks"])

    rid = await slack_desk.press("U0CAROL", "incident_link", "INC-1", message_ts=ts)
    [opened] = await slack.async_wait_for("views.open")
    view = opened.response["view"]
    assert view["title"]["text"] == "Link to problem INC-1"
    [select_block] = view["blocks"]
    options = [(o["value"], o["text"]["text"]) for o in select_block["element"]["options"]]
    assert options == [  # vpn's open problems, newest first: not wifi's
        ("PRB-3", "PRB-3 [P3] VPN slow from home"),
        ("PRB-1", "PRB-1 [P3] VPN drops after sleep"),
    ]

    nothing = await slack_desk.submit("U0CAROL", view, {})
    assert json.loads(nothing.text) == {
        "response_action": "errors",
        "errors": {"choice": "Choose a problem."},
    }
    assert _linked(slack_desk, 1) is None

    done = await slack_desk.submit("U0CAROL", view, {}, selects={"choice": "PRB-1"})
    assert (done.status_code, done.text) == (200, "")
    assert (await slack_desk.reply(rid)).args["text"] == "INC-1 is linked to PRB-1."
    assert _linked(slack_desk, 1) == 1
    [update] = await slack.async_wait_for(
        "chat.update", where=lambda c: c.args["channel"] == TRIAGE
    )
    assert update.args["ts"] == ts
    assert "Linked to problem *PRB-1*" in blocks_text(update.args["blocks"])
    assert "incident_link" not in button_ids(update.args["blocks"])


async def test_link_to_problem_says_why_there_is_nothing_to_choose(slack_desk, slack):
    await _problem(slack_desk, '/problem new "Wi-Fi slow on floor 3" --service wifi', 1)
    await slack_desk.say("U0ALICE", '/incident new "VPN is down for me" --service vpn')
    ts = (await slack_desk.card_ref(1)).split(":", 1)[1]

    rid = await slack_desk.press("U0CAROL", "incident_link", "INC-1", message_ts=ts)
    assert (await slack_desk.reply(rid)).args["text"] == (
        'No open problem of service vpn to link INC-1 to; open one with /problem new "what '
        'is wrong" --service vpn, then link it with /incident link INC-1 PRB-…'
    )
    refused = await slack_desk.press("U0ALICE", "incident_link", "INC-1", message_ts=ts)
    assert (await slack_desk.reply(refused)).args[
        "text"
    ] == "Only service-desk agents can link incidents to problems."
    assert slack.calls("views.open") == []


async def test_link_to_problem_gives_the_command_when_the_desk_is_too_busy(slack_desk, slack):
    await _problem(slack_desk, '/problem new "VPN drops after sleep" --service vpn', 1)
    await slack_desk.say("U0ALICE", '/incident new "VPN is down for me" --service vpn')
    ts = (await slack_desk.card_ref(1)).split(":", 1)[1]
    await slack_desk.idle()
    with database_held(slack_desk.runtime.database):
        # The choices wait for the database: no modal can be filled, so none opens late.
        rid = await slack_desk.press("U0CAROL", "incident_link", "INC-1", message_ts=ts)
        reply = await slack_desk.reply(rid)
    assert reply.args["text"] == (
        "The form could not open in time: Slack allows 3 seconds after a click, and I was "
        "busy just now. Please try again, or type it instead: /incident link INC-1 PROBLEM"
    )
    assert slack.calls("views.open") == []
    assert _linked(slack_desk, 1) is None


async def test_a_suggestion_cards_open_problem_button_opens_the_problem(slack_desk, slack):
    for n in range(3):
        await slack_desk.say(
            "U0ALICE", f'/incident new "Outlook crashes on start {n}" --service email'
        )
    ts = (await slack_desk.card_ref(1, "suggestion")).split(":", 1)[1]
    card = await slack_desk.card(1, "suggestion")
    assert "*SUG-1*" in blocks_text(card["blocks"])
    assert "INC-1, INC-2, INC-3" in blocks_text(card["blocks"])
    assert button_ids(card["blocks"]) == ["suggestion_adopt", "suggestion_dismiss"]

    rid = await slack_desk.press(
        "U0FRANK", "suggestion_adopt", "SUG-1", channel=MESSAGING, message_ts=ts
    )
    assert (await slack_desk.reply(rid)).args["text"] == (
        "Opened PRB-1 from SUG-1 with INC-1, INC-2, INC-3 linked."
    )
    assert slack_desk.record(SuggestionRecord, 1).state == "adopted"
    problem = slack_desk.record(ProblemRecord, 1)
    assert (problem.service, problem.state) == ("email", "new")
    assert [_linked(slack_desk, n) for n in (1, 2, 3)] == [1, 1, 1]
    # The problem's card joins the team channel; the suggestion's card shows the decision.
    [posted] = await slack_desk.posts(
        1, MESSAGING, where=lambda c: c.args["text"].startswith("PRB-1 ")
    )
    assert button_ids(posted.args["blocks"])[0] == "problem_claim"
    decided = await slack_desk.until(
        lambda: button_ids(slack.message(MESSAGING, ts)["blocks"]) == [],
        what="the suggestion's card loses its buttons",
    )
    assert decided
    shown = blocks_text(slack.message(MESSAGING, ts)["blocks"])
    assert "Problem opened — PRB-1" in shown and "<@U0FRANK>" in shown


async def test_resolve_linked_incidents_from_the_resolvers_dm(slack_desk, slack):
    await _problem(slack_desk, '/problem new "VPN drops after sleep" --service vpn', 1)
    await slack_desk.say("U0ALICE", '/incident new "VPN is down for me" --service vpn')
    assert await slack_desk.say("U0BOB", "/problem link PRB-1 INC-1") == "Linked INC-1 to PRB-1."
    await slack_desk.say("U0BOB", '/problem resolve PRB-1 "Client 5.2 deployed"')
    [offer] = await slack_desk.posts(1, "U0BOB")
    # An action's name may hold a hyphen: the button is still "<subject type>_<action>".
    assert button_ids(offer.args["blocks"]) == ["problem_resolve-incidents"]

    rid = await slack_desk.press(
        "U0BOB",
        "problem_resolve-incidents",
        "PRB-1",
        channel=offer.response["channel"],
        message_ts=offer.response["ts"],
    )
    assert (await slack_desk.reply(rid)).args["text"] == (
        "Resolved INC-1 with the fix of PRB-1; each reporter has been asked to confirm."
    )
    incident = slack_desk.incident(1)
    assert (incident.state, incident.resolution) == (
        "resolved",
        "Fixed by PRB-1: Client 5.2 deployed",
    )
