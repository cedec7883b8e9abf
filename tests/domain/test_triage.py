"""Re-categorising and re-prioritising: the queue and the SLA clocks follow."""

from sqlalchemy import select

from domain.records import Timer


def test_raising_the_priority_retargets_the_sla_clocks(desk):
    desk.say("alice", '/incident new "Email slow" --service email --impact low --urgency low')
    desk.advance(minutes=20)
    reply = desk.say("frank", "/incident update INC-1 --impact high --urgency high")
    assert reply == "INC-1 updated: now P1, service email, queue messaging."
    posts = desk.posts()
    assert (
        '[DM @alice] Your incident INC-1 "Email slow" was updated by @frank: '
        "impact low → high; urgency low → high; priority P5 → P1." in posts
    )
    # P1 responds in 15 minutes; 20 have gone already, so it is breached at once.
    assert any("SLA BREACHED: INC-1 [P1]" in p and "time to respond" in p for p in posts)


def test_a_new_service_moves_an_untaken_incident_to_its_owner(desk):
    desk.say("alice", '/incident new "Cannot connect from the hotel"')
    desk.say("bob", "/incident update INC-1 --service vpn --category connectivity")
    assert "Open incidents of network (1)" in desk.say("carol", "/incident list")
    assert "service — → vpn; queue service-desk → network; category — → connectivity" in desk.say(
        "carol", "/incident show INC-1"
    )


def test_update_refusals(desk):
    desk.say("alice", '/incident new "Cannot connect from the hotel"')
    assert (
        desk.say("alice", "/incident update INC-1 --impact high")
        == "Only service-desk agents can update incidents."
    )
    assert desk.say("bob", "/incident update INC-1").startswith("Nothing to change")
    assert desk.say("bob", "/incident update INC-1 --category connectivity") == (
        "Give the service too: --service NAME --category NAME."
    )
    with desk.runtime.database.transaction() as session:
        assert len(session.scalars(select(Timer)).all()) == 4
