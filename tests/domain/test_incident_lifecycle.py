"""The incident process end to end through the console test backend."""

from sqlalchemy import func, select

from domain.incidents import IncidentRecord, TimelineEntry
from domain.records import OutboxMessage


def test_an_incident_goes_from_report_to_closed(desk):
    reply = desk.say(
        "alice",
        '/incident new "VPN drops every 10 min" --service vpn --impact high --urgency medium',
    )
    assert reply.startswith('Opened INC-1 [P2] "VPN drops every 10 min", queued for network')
    assert desk.posts() == [
        "[#service-desk] INC-1 [P2] VPN drops every 10 min — reported by @alice, service vpn, "
        "queue network. Claim it with /incident claim INC-1"
    ]

    assert (
        desk.say("carol", "/incident claim INC-1")
        == 'You are now working on INC-1 "VPN drops every 10 min".'
    )
    assert (
        '[DM @alice] @carol is working on your incident INC-1 "VPN drops every 10 min".'
        in desk.posts()
    )

    assert "on hold" in desk.say("carol", '/incident hold INC-1 "waiting for alice to try at home"')
    assert (
        "[DM @alice] Your incident INC-1 is on hold: waiting for alice to try at home"
        in desk.posts()
    )
    assert "back in progress" in desk.say("carol", "/incident resume INC-1")
    assert "resolved" in desk.say(
        "carol", '/incident resolve INC-1 "replaced the VPN concentrator PSU"'
    )
    assert any(
        p.startswith("[DM @alice] Your incident INC-1") and "replaced the VPN" in p
        for p in desk.posts()
    )
    assert desk.say("alice", "/incident close INC-1") == "INC-1 is closed. Thank you!"

    shown = desk.say("carol", "/incident show INC-1")
    assert "State: Closed" in shown
    kinds = [
        line.split(": ", 1)[1].split(" —")[0]
        for line in shown.splitlines()
        if line.startswith("  20")
    ]
    assert kinds == ["opened", "claimed", "held", "resumed", "resolved", "closed"]


def test_every_state_change_is_timestamped_for_metrics(desk):
    desk.say("alice", '/incident new "Printer on fire" --service laptop')
    desk.advance(minutes=7)
    desk.say("bob", "/incident claim INC-1")
    desk.advance(hours=1)
    desk.say("bob", '/incident resolve INC-1 "put it out"')
    desk.advance(minutes=5)
    desk.say("alice", "/incident close INC-1")
    with desk.runtime.database.transaction() as session:
        incident = session.get(IncidentRecord, 1)
        assert (incident.first_response_at - incident.opened_at).total_seconds() == 7 * 60
        assert (incident.resolved_at - incident.opened_at).total_seconds() == 67 * 60
        assert (incident.closed_at - incident.resolved_at).total_seconds() == 5 * 60


def test_reopen_puts_a_resolved_incident_back_to_work(desk):
    desk.say("alice", '/incident new "Mail stuck in outbox" --service email')
    desk.say("frank", "/incident claim INC-1")
    desk.say("frank", '/incident resolve INC-1 "cleared the queue"')
    desk.posts()
    assert desk.say("alice", '/incident reopen INC-1 "still stuck"') == "INC-1 is reopened."
    assert (
        '[DM @frank] INC-1 "Mail stuck in outbox" was reopened by @alice: still stuck.'
        in desk.posts()
    )
    assert "State: In progress" in desk.say("frank", "/incident show INC-1")


def test_closed_incidents_cannot_be_reopened_or_changed(desk):
    desk.say("alice", '/incident new "Slow wifi" --service wifi')
    desk.say("erin", "/incident claim INC-1")
    desk.say("erin", '/incident resolve INC-1 "moved the access point"')
    desk.say("alice", "/incident close INC-1")
    assert "open a new incident" in desk.say("alice", "/incident reopen INC-1")
    assert desk.say("erin", "/incident claim INC-1") == "INC-1 is closed, so it cannot be claimed."


def test_assigning_to_a_team_escalates_to_its_channel_and_lead(desk):
    desk.say("alice", '/incident new "Cannot print" --service laptop')
    desk.say("bob", "/incident claim INC-1")
    desk.posts()
    assert (
        desk.say("bob", "/incident assign INC-1 network")
        == "INC-1 is now assigned to team network."
    )
    posts = desk.posts()
    assert any(
        p.startswith("[#network-team] INC-1")
        and "escalated to network from service-desk by @bob" in p
        for p in posts
    )
    assert any(p.startswith("[DM @carol] INC-1") for p in posts)
    assert "Open incidents of network (1)" in desk.say("carol", "/incident list")


def test_assigning_to_an_agent_tells_them(desk):
    desk.say("alice", '/incident new "VPN slow" --service vpn')
    assert desk.say("bob", "/incident assign INC-1 @erin") == "INC-1 is now assigned to erin."
    assert any(p.startswith("[DM @erin] @bob assigned INC-1") for p in desk.posts())


def test_notes_reach_the_reporter_and_the_assignee(desk):
    desk.say("alice", '/incident new "VPN slow" --service vpn')
    desk.say("carol", "/incident claim INC-1")
    desk.posts()
    desk.say("alice", "/incident note INC-1 it is worse on the train")
    assert desk.posts() == ["[DM @carol] @alice on INC-1: it is worse on the train"]
    desk.say("carol", '/incident note INC-1 "which train line?"')
    assert desk.posts() == ["[DM @alice] @carol on INC-1: which train line?"]


def test_cancel_by_the_reporter(desk):
    desk.say("alice", '/incident new "Oops, wrong button"')
    assert desk.say("alice", "/incident cancel INC-1 opened by mistake") == "INC-1 is cancelled."
    assert desk.say("alice", "/incident list") == "Your open incidents: none."
    assert "INC-1" in desk.say("alice", "/incident list --all")


def test_employees_see_only_their_own_incidents(desk):
    desk.say("alice", '/incident new "My laptop is slow"')
    desk.say("bob", '/incident new "Shared drive is full"')
    assert desk.say("alice", "/incident list").count("INC-") == 1
    assert desk.say("alice", "/incident show INC-2") == (
        "You can only see incidents you reported; INC-2 is not one of them."
    )


def test_priority_comes_from_the_impact_urgency_matrix(desk):
    cases = [
        ("high", "high", "P1"),
        ("high", "low", "P3"),
        ("medium", "medium", "P3"),
        ("low", "medium", "P4"),
        ("low", "low", "P5"),
    ]
    for n, (impact, urgency, priority) in enumerate(cases, start=1):
        reply = desk.say("alice", f'/incident new "case {n}" --impact {impact} --urgency {urgency}')
        assert f"[{priority}]" in reply


def test_list_orders_by_priority_then_age(desk):
    desk.say("alice", '/incident new "low one" --service vpn --impact low --urgency low')
    desk.say("alice", '/incident new "urgent one" --service vpn --impact high --urgency high')
    listing = desk.say("carol", "/incident list --team network")
    assert listing.index("INC-2") < listing.index("INC-1")


def test_the_timeline_and_outbox_are_written_with_the_change(desk):
    desk.say("alice", '/incident new "VPN drops" --service vpn')
    with desk.runtime.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(TimelineEntry)) == 1
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
