"""Slash commands: every /incident and /desk subcommand through Slack, replies ephemeral."""

from __future__ import annotations

from tests.slack.harness import NETWORK, TRIAGE, blocks_text, button_ids


async def test_incident_new_replies_privately_and_posts_a_card_to_triage(slack_desk):
    reply = await slack_desk.say(
        "U0ALICE",
        '/incident new "VPN drops every 10 min" --service vpn --impact high --urgency medium',
    )
    assert reply.startswith('Opened INC-1 [P2] "VPN drops every 10 min", queued for network')

    [card] = await slack_desk.posts(1, TRIAGE)
    text = blocks_text(card.args["blocks"])
    for shown in (
        "*INC-1*",
        "P2",
        "VPN drops every 10 min",
        "*Service*\\nvpn",
        "<@U0ALICE>",
        "*State*\\nNew",
        "*Assignee*\\nnobody",
        "*Queue*\\nnetwork",
    ):
        assert shown in text
    assert button_ids(card.args["blocks"]) == [
        "incident_claim",
        "incident_resolve",
        "incident_link",
        "incident_major",
    ]
    assert card.args["text"].startswith(
        "INC-1 [P2] VPN drops every 10 min — reported by <@U0ALICE>"
    )
    assert await slack_desk.card_ref(1) == f"{TRIAGE}:{card.response['ts']}"


async def test_every_incident_subcommand_works_from_slack(slack_desk, slack):
    say = slack_desk.say
    await say("U0ALICE", '/incident new "Mail stuck in outbox" --service email')
    assert "Mail stuck in outbox" in await say("U0FRANK", "/incident list")
    assert "Your open incidents" in await say("U0ALICE", "/incident list --mine")
    shown = await say("U0ALICE", "/incident show INC-1")
    assert shown.startswith("INC-1 [P3] Mail stuck in outbox") and "Timeline (UTC):" in shown

    assert (
        await say("U0FRANK", "/incident claim INC-1")
        == 'You are now working on INC-1 "Mail stuck in outbox".'
    )
    assert (
        await say("U0FRANK", '/incident note INC-1 "queue is 40k deep"') == "Note added to INC-1."
    )
    assert "on hold" in await say("U0FRANK", '/incident hold INC-1 "waiting for the vendor"')
    assert "back in progress" in await say("U0FRANK", "/incident resume INC-1")
    assert (
        await say("U0FRANK", "/incident assign INC-1 network")
        == "INC-1 is now assigned to team network."
    )
    # A Slack mention names the person by Slack id, whatever their display name.
    assert await say("U0CAROL", "/incident assign INC-1 <@U0CAROL|carol.chen>") == (
        "INC-1 is now assigned to carol."
    )
    assert "is resolved" in await say("U0CAROL", '/incident resolve INC-1 "cleared the queue"')
    assert await say("U0ALICE", '/incident reopen INC-1 "still stuck"') == "INC-1 is reopened."
    assert "is resolved" in await say("U0CAROL", '/incident resolve INC-1 "restarted the relay"')
    assert await say("U0ALICE", "/incident close INC-1") == "INC-1 is closed. Thank you!"

    await say("U0ALICE", '/incident new "Opened by mistake"')
    assert await say("U0ALICE", '/incident cancel INC-2 "wrong button"') == "INC-2 is cancelled."

    kinds = [
        line.split(": ", 1)[1].split(" —")[0]
        for line in (await say("U0CAROL", "/incident show INC-1")).splitlines()
        if line.startswith("  20")
    ]
    assert kinds == [
        "opened",
        "claimed",
        "note",
        "held",
        "resumed",
        "assigned",
        "assigned",
        "resolved",
        "reopened",
        "resolved",
        "closed",
    ]
    # The escalation went to the network team's channel with a Claim button.
    [escalation] = await slack_desk.posts(1, NETWORK)
    assert "escalated to network" in escalation.args["text"]
    assert button_ids(escalation.args["blocks"]) == ["incident_claim"]


async def test_desk_help_whoami_and_bare_commands_answer_privately(slack_desk):
    listing = await slack_desk.say("U0ALICE", "/desk")
    assert listing.startswith("Commands (type /desk help COMMAND for details):")
    assert "/incident new" in await slack_desk.say("U0ALICE", "/incident")
    assert "/incident claim ID" in await slack_desk.say("U0ALICE", "/desk help incident claim")
    assert await slack_desk.say("U0ALICE", "/desk whoami") == (
        "You are alice (Alice Archer) — roles: employee; teams: no team."
    )
    assert "roles: agent; teams: service-desk" in await slack_desk.say("U0BOB", "/desk whoami")


async def test_refusals_and_mistakes_are_ephemeral_and_change_nothing(slack_desk, slack):
    await slack_desk.say("U0ALICE", '/incident new "Laptop will not boot" --service laptop')
    await slack_desk.posts(1, TRIAGE)

    assert (
        await slack_desk.say("U0ALICE", "/incident claim INC-1")
        == "Only service-desk agents can claim incidents."
    )
    assert "no subcommand 'clam'" in await slack_desk.say("U0BOB", "/incident clam INC-1")
    assert await slack_desk.say("U0BOB", "/incident claim INC-9") == "There is no incident INC-9."
    assert "Unknown command '/reqest'" in await slack_desk.say("U0ALICE", "/reqest catalog")

    assert slack_desk.incident(1).state == "new"
    assert slack.calls("chat.update") == []


async def test_user_text_is_taken_literally(slack_desk, slack):
    # Slack escapes &, < and > in command text; the desk stores what the person typed.
    await slack_desk.say("U0ALICE", '/incident new "Printer &lt;3 &amp; toner" --service laptop')
    assert slack_desk.incident(1).title == "Printer <3 & toner"
    [card] = await slack_desk.posts(1, TRIAGE)
    assert "Printer &lt;3 &amp; toner" in blocks_text(card.args["blocks"])


async def test_incident_new_without_words_opens_the_form(slack_desk, slack):
    rid = await slack_desk.command("U0ALICE", "/incident new")
    [opened] = await slack.async_wait_for("views.open")
    view = opened.response["view"]
    assert view["callback_id"] == "incident_new"
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert list(blocks) == ["title", "description", "service", "impact", "urgency"]
    assert [o["value"] for o in blocks["service"]["element"]["options"]] == [
        "vpn",
        "wifi",
        "email",
        "laptop",
    ]
    assert blocks["impact"]["element"]["initial_option"]["value"] == "medium"
    assert slack.responses(rid) == []  # the form is the answer


async def test_the_same_slash_command_delivered_twice_opens_one_incident(slack_desk, slack):
    """A client that timed out posts the same signed body again: same trigger_id."""
    request = slack_desk.signer.slash_command(
        command="/incident",
        text='new "Printer on fire"',
        user_id="U0ALICE",
        user_name="alice",
        channel_id="C0GENERAL",
        response_url=slack.response_url("twice"),
    )
    first = await slack_desk.post(request)
    second = await slack_desk.post(request)
    assert (first.status_code, second.status_code) == (200, 200)
    await slack_desk.idle()
    assert slack_desk.incident_count() == 1
    replies = [c for c in slack.calls("response_url") if c.path.endswith("/twice")]
    assert [c.args["text"] for c in replies] == [
        'Opened INC-1 [P3] "Printer on fire", queued for service-desk. I\'ll keep you posted here.'
    ]


async def test_two_slash_commands_with_the_same_words_open_two_incidents(slack_desk):
    for _ in range(2):
        await slack_desk.say("U0ALICE", '/incident new "Printer on fire"')
    assert slack_desk.incident_count() == 2
