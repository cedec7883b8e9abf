"""Re-categorising and re-prioritising: the queue and the SLA clocks follow."""

from dataclasses import replace

from sqlalchemy import select

from domain.records import Timer
from tests.harness import DeskHarness


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


def test_a_new_service_drops_a_category_it_does_not_have_and_tells_the_new_team(desk):
    desk.say("alice", '/incident new "Slow" --service vpn --category performance')
    desk.posts()
    desk.say("bob", "/incident update INC-1 --service email")
    posts = desk.posts()
    assert any(
        p.startswith("[#messaging-team] INC-1") and "escalated to messaging from network" in p
        for p in posts
    )
    assert any(p.startswith("[DM @frank] INC-1") for p in posts)
    shown = desk.say("bob", "/incident show INC-1")
    assert "Service: email ·" in shown and "category performance → —" in shown


def test_a_lower_priority_gets_its_own_warning_again(database_url, example_config):
    # Elapsed clocks for every priority: the example puts P3–P5 on office hours
    # (tests/domain/test_business_sla.py re-prioritises across calendars).
    policy = example_config.policy
    elapsed = replace(policy, oncall=replace(policy.oncall, business_hours=()))
    desk = DeskHarness.start(database_url, replace(example_config, policy=elapsed))
    try:
        _lower_priority_warns_again(desk)
    finally:
        desk.close()


def _lower_priority_warns_again(desk) -> None:
    desk.say("alice", '/incident new "Payroll down" --service email --impact high --urgency high')
    desk.say("frank", "/incident claim INC-1")
    assert any(
        "SLA warning" in p and "time to resolve" in p for p in desk.advance(hours=3, minutes=5)
    )
    desk.say("frank", "/incident update INC-1 --impact low --urgency low")  # P5: 10 days
    desk.posts()
    assert desk.advance(days=7) == []
    assert any("SLA warning: INC-1 [P5]" in p for p in desk.advance(days=1, hours=1))


def test_listing_everything_reads_well(desk):
    desk.say("alice", '/incident new "x"')
    assert desk.say("alice", "/incident list --all").startswith("Your incidents (1):")
