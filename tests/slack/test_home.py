"""App Home: a person's open incidents; an agent also sees what is theirs and their team's queue."""

from __future__ import annotations

from tests.slack.harness import blocks_text, button_ids


def _headers(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]


async def test_an_employee_sees_their_open_incidents(slack_desk, slack):
    await slack_desk.say("U0ALICE", '/incident new "VPN drops every 10 min" --service vpn')
    await slack_desk.say("U0ALICE", '/incident new "Keyboard sticky" --service laptop')
    await slack_desk.say("U0ALICE", '/incident cancel INC-2 "fixed it myself"')
    await slack_desk.open_home("U0ALICE")

    [publish] = await slack.async_wait_for("views.publish")
    view = slack.home_view("U0ALICE")
    assert publish.args["user_id"] == "U0ALICE"
    assert _headers(view) == ["Example Corp Service Desk", "Your open incidents"]
    text = blocks_text(view["blocks"])
    assert "*INC-1* · P3 · VPN drops every 10 min" in text and "Keyboard sticky" not in text
    assert button_ids(view["blocks"]) == ["home_new_incident"]


async def test_an_agent_also_sees_their_assignments_and_their_teams_queue(slack_desk, slack):
    await slack_desk.say("U0ALICE", '/incident new "VPN drops" --service vpn')
    await slack_desk.say("U0ALICE", '/incident new "Wi-Fi slow" --service wifi')
    await slack_desk.say("U0ALICE", '/incident new "Laptop fan loud" --service laptop')
    await slack_desk.say("U0CAROL", "/incident claim INC-1")
    await slack_desk.open_home("U0CAROL")

    await slack.async_wait_for("views.publish")
    view = slack.home_view("U0CAROL")
    assert _headers(view) == [
        "Example Corp Service Desk",
        "Your open incidents",
        "Assigned to you",
        "Open incidents of network",
    ]
    text = blocks_text(view["blocks"])
    assert "Laptop fan loud" not in text  # another team's queue
    assert button_ids(view["blocks"]) == ["home_new_incident", "incident_resolve", "incident_claim"]


async def test_claiming_from_home_refreshes_home_with_the_answer(slack_desk, slack):
    await slack_desk.say("U0ALICE", '/incident new "Wi-Fi slow" --service wifi')
    await slack_desk.open_home("U0CAROL")
    await slack.async_wait_for("views.publish")
    home = slack.home_view("U0CAROL")

    await slack_desk.post(
        slack_desk.signer.block_action(
            action_id="incident_claim",
            value="INC-1",
            user_id="U0CAROL",
            user_name="carol",
            view=home,
        )
    )
    await slack.async_wait_for("views.publish", 2)
    view = slack.home_view("U0CAROL")
    assert 'You are now working on INC-1 \\"Wi-Fi slow\\".' in blocks_text(view["blocks"])
    assert button_ids(view["blocks"]) == ["home_new_incident", "incident_resolve"]
    assert slack_desk.incident(1).assignee == "carol"


async def test_report_an_incident_from_home_opens_the_form(slack_desk, slack):
    await slack_desk.open_home("U0ALICE")
    await slack.async_wait_for("views.publish")
    await slack_desk.post(
        slack_desk.signer.block_action(
            action_id="home_new_incident",
            value="new",
            user_id="U0ALICE",
            view=slack.home_view("U0ALICE"),
        )
    )
    [opened] = await slack.async_wait_for("views.open")
    view = opened.response["view"]
    assert view["callback_id"] == "incident_new"
    await slack_desk.submit("U0ALICE", view, {"title": "Monitor flickers"})
    # Opened from Home, answered on Home: the new incident is listed with the reply.
    await slack.async_wait_for("views.publish", 2)
    text = blocks_text(slack.home_view("U0ALICE")["blocks"])
    assert (
        'Opened INC-1 [P3] \\"Monitor flickers\\"' in text
        and "*INC-1* · P3 · Monitor flickers" in text
    )
