"""Pages on the console, with the example company's network on-call: carol is primary and
erin secondary in the week of 2026-01-05; steps wait 5 minutes each."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from domain.oncall.records import Page
from domain.records import Timer
from tests.harness import DeskHarness

MONDAY = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # carol's week as primary
P1 = '/incident new "VPN down for everyone" --service vpn --impact high --urgency high'


@pytest.fixture
def desk(database_url, example_config):
    from domain.clock import ManualClock

    harness = DeskHarness.start(database_url, example_config, clock=ManualClock(MONDAY))
    yield harness
    harness.close()


def dms(posts: list[str], person: str) -> list[str]:
    return [p for p in posts if p.startswith(f"[DM @{person}]")]


def pages(desk) -> list[Page]:
    with desk.runtime.database.transaction() as session:
        found = list(session.scalars(select(Page).order_by(Page.id)))
        session.expunge_all()
    return found


def test_a_p1_pages_carol_then_erin_and_stops_when_erin_acknowledges(desk):
    desk.say("alice", P1)
    posts = desk.posts()
    assert any("Page PAGE-1" in p and "on call (primary)" in p for p in dms(posts, "carol"))
    assert not dms(posts, "erin")

    later = desk.advance(minutes=5)
    assert any("Page PAGE-1" in p and "(secondary)" in p for p in dms(later, "erin"))

    reply = desk.say("erin", "/oncall ack PAGE-1")
    assert "You acknowledged PAGE-1" in reply
    told = desk.posts()
    assert any("@erin acknowledged PAGE-1" in p for p in dms(told, "carol"))

    assert desk.advance(minutes=30) == []  # no lead, no channel: the policy stopped
    [page] = pages(desk)
    assert (page.state, page.acknowledged_by) == ("acknowledged", "erin")
    shown = desk.say("carol", "/incident show INC-1")
    assert "Acknowledged by @erin, answering PAGE-1" in shown
    assert "paged carol, on call in primary" in shown
    assert "paged erin, on call in secondary" in shown


def test_only_someone_paged_may_acknowledge_and_only_once(desk):
    desk.say("alice", P1)
    refused = desk.say("bob", "/oncall ack PAGE-1")
    assert "only someone it reached can acknowledge it" in refused
    assert pages(desk)[0].state == "paging"
    assert "You acknowledged PAGE-1" in desk.say("carol", "/oncall ack PAGE-1")
    again = desk.say("carol", "/oncall ack PAGE-1")
    assert "already acknowledged by carol" in again
    assert "There is no page PAGE-9" in desk.say("carol", "/oncall ack PAGE-9")


def test_escalate_now_runs_the_next_step_without_waiting(desk):
    desk.say("alice", P1)
    desk.posts()
    reply = desk.say("carol", "/oncall escalate PAGE-1")
    assert "Escalated PAGE-1" in reply
    assert any("Page PAGE-1" in p for p in dms(desk.posts(), "erin"))
    # The escalation replaced the pending step: the lead's step comes 5 minutes later.
    with desk.runtime.database.transaction() as session:
        pending = session.scalars(
            select(Timer).where(Timer.kind == "page_step", Timer.state == "pending")
        ).all()
    assert len(pending) == 1


def test_claiming_or_resolving_the_incident_stops_its_page(desk):
    desk.say("alice", P1)
    desk.posts()
    desk.say("erin", "/incident claim INC-1")
    told = desk.posts()
    assert any("PAGE-1" in p and "stopped: erin took INC-1" in p for p in dms(told, "carol"))
    assert pages(desk)[0].state == "ended"
    assert desk.advance(minutes=20) == [] or not any("Page PAGE" in p for p in desk.posts())

    desk.say(
        "alice", '/incident new "Wi-Fi down on floor 2" --service wifi --impact high --urgency high'
    )
    desk.posts()
    desk.say("carol", '/incident resolve INC-2 "rebooted the controller"')
    assert pages(desk)[1].end_reason == "INC-2 was resolved"


def test_nobody_answering_runs_every_step_twice_then_tells_the_lead_and_channel(desk):
    desk.say("alice", P1)
    seen = desk.posts()
    for _ in range(8):
        seen += desk.advance(minutes=5)
    assert len([p for p in dms(seen, "carol") if "Page PAGE-1" in p]) == 4  # primary + lead, ×2
    assert len([p for p in dms(seen, "erin") if "Page PAGE-1" in p]) == 2
    assert len([p for p in seen if p.startswith("[#network-team] Page PAGE-1")]) == 2
    assert any("Nobody acknowledged PAGE-1" in p for p in seen if p.startswith("[#network-team]"))
    [page] = pages(desk)
    assert page.state == "ended"
    assert "nobody acknowledged after 2 round(s)" in page.end_reason
    assert desk.advance(hours=1) == []


def test_a_member_may_answer_once_the_channel_is_paged(desk):
    desk.say("alice", P1)
    desk.advance(minutes=15)  # primary, secondary, lead: the channel is next
    desk.advance(minutes=1)
    refused = desk.say("frank", "/oncall ack PAGE-1")  # not in the network team
    assert "only someone it reached" in refused
    desk.advance(minutes=5)
    assert "You acknowledged PAGE-1" in desk.say("erin", "/oncall ack PAGE-1")


def test_a_declaration_pages_and_a_p1_declared_major_is_paged_once(desk):
    desk.say("alice", '/incident new "VPN slow" --service vpn --impact low --urgency medium')
    assert pages(desk) == []  # a P3 does not page
    desk.say("carol", "/incident major INC-1")
    [page] = pages(desk)
    assert (page.about_key, page.reason) == ("INC-1", "Declared a major incident")

    desk.say("carol", '/major declare "VPN down for everyone" --service vpn')  # a P1
    assert [(p.about_key, p.reason) for p in pages(desk)][1:] == [("INC-2", "New P1 incident")]


def test_a_gap_in_the_rota_pages_the_lead_and_the_team_channel(database_url, example_config):
    from domain.clock import ManualClock

    before = ManualClock(datetime(2025, 12, 1, 10, 0, tzinfo=UTC))  # before the rota starts
    desk = DeskHarness.start(database_url, example_config, clock=before)
    try:
        assert "nobody" in desk.say("carol", "/oncall who network")
        desk.say("alice", P1)
        posts = desk.posts()
        assert any("lead: nobody is on call in primary" in p for p in dms(posts, "carol"))
        assert any(p.startswith("[#network-team] Page PAGE-1") for p in posts)
        # Anyone in the team may answer a page put to the channel.
        assert "You acknowledged PAGE-1" in desk.say("erin", "/oncall ack PAGE-1")
    finally:
        desk.close()


def test_p3_incidents_do_not_page(desk):
    desk.say("alice", '/incident new "VPN slow" --service vpn --impact low --urgency medium')
    assert pages(desk) == []
    assert "No pages waiting" in desk.say("carol", "/oncall pages")


def test_someone_on_call_who_left_the_config_is_a_gap(desk):
    # An override made for someone the configuration no longer has (removed while covering).
    from domain.oncall.records import OncallOverride

    with desk.runtime.database.transaction() as session:
        session.add(
            OncallOverride(
                team="network",
                schedule="primary",
                person="zed",
                starts_at=MONDAY,
                ends_at=datetime(2026, 1, 6, tzinfo=UTC),
                reason="",
                by="carol",
                created_at=MONDAY,
            )
        )
    desk.say("alice", P1)
    posts = desk.posts()
    assert any("lead: nobody is on call in primary" in p for p in dms(posts, "carol"))
    assert any(p.startswith("[#network-team] Page PAGE-1") for p in posts)
    assert not any(p.startswith("[DM @zed]") for p in posts)


def test_an_acknowledged_page_covers_its_incident_and_a_later_claim_stops_a_new_one(desk):
    desk.say("alice", P1)
    desk.say("carol", "/oncall ack PAGE-1")
    desk.say("carol", "/incident major INC-1")  # declared after carol answered: no new page
    assert [p.key for p in pages(desk)] == ["PAGE-1"]

    # A P3 paged by its declaration after it was claimed: claiming again stops that page.
    desk.say("alice", '/incident new "VPN slow" --service vpn --impact low --urgency medium')
    desk.say("erin", "/incident claim INC-2")
    desk.say("erin", "/incident major INC-2")
    assert pages(desk)[-1].state == "paging"
    desk.say("carol", "/incident claim INC-2")
    assert pages(desk)[-1].end_reason == "carol took INC-2"


def test_only_agents_list_pages(desk):
    desk.say("alice", P1)
    assert "Only service-desk agents can list pages" in desk.say("alice", "/oncall pages")
    assert "PAGE-1 network: INC-1" in desk.say("bob", "/oncall pages")
