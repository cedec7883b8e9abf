"""Satisfaction surveys: asked by DM once an incident is closed after its fix or a request
fulfilled; one per ticket, none for cancelled ones; only the person asked answers."""

from __future__ import annotations

from sqlalchemy import select

from domain.surveys import SurveyRecord


def _surveys(desk) -> list[SurveyRecord]:
    with desk.runtime.database.transaction() as session:
        rows = list(session.scalars(select(SurveyRecord).order_by(SurveyRecord.id)))
        for row in rows:
            session.expunge(row)
        return rows


def _resolve(desk, title: str = "VPN drops") -> None:
    desk.say("alice", f'/incident new "{title}" --service vpn')
    desk.say("carol", "/incident claim INC-1")
    desk.say("carol", '/incident resolve INC-1 "new concentrator PSU"')
    desk.posts()


def test_a_closed_incident_asks_its_reporter_once(desk):
    _resolve(desk)
    desk.say("alice", "/incident close INC-1")
    asked = [p for p in desk.posts() if p.startswith("[DM @alice] How did we do")]
    assert asked == [
        '[DM @alice] How did we do with INC-1 "VPN drops"? Rate it from 1 (poor) to 5 (great). '
        "One question, and you can add a comment after."
    ]
    assert desk.say("bob", "/survey score-1 SRV-1") == "SRV-1 asks alice, not you."
    assert desk.say("alice", "/survey score-4 SRV-1") == "Thank you: INC-1 rated 4 of 5."
    assert desk.posts() == [
        '[DM @alice] Thank you for rating INC-1 4 of 5. Anything to add? /survey comment SRV-1 "…"'
    ]
    assert (
        desk.say("alice", "/survey score-5 SRV-1") == "SRV-1 is answered, so it cannot be scored."
    )
    desk.say("alice", "/survey comment SRV-1 quick and friendly")
    [survey] = _surveys(desk)
    assert (survey.score, survey.comment, survey.agent, survey.team) == (
        4,
        "quick and friendly",
        "carol",
        "network",
    )
    # Reopened and closed again: still one ticket, one survey.
    desk.say("alice", '/incident reopen INC-1 "it dropped again"')
    desk.say("carol", '/incident resolve INC-1 "firmware too"')
    desk.say("alice", "/incident close INC-1")
    assert len(_surveys(desk)) == 1


def test_auto_close_asks_too_and_cancelled_tickets_are_not_surveyed(desk):
    _resolve(desk)
    posts = desk.advance(days=3, minutes=1)
    assert any(p.startswith('[DM @alice] How did we do with INC-1 "VPN drops"') for p in posts)
    desk.say("alice", '/incident new "Printer jam" --service laptop')
    desk.say("alice", "/incident cancel INC-2 sorted it myself")
    desk.say("alice", "/request new software-licence product=Visio")
    desk.say("alice", "/request cancel REQ-1")
    assert [s.ticket_key for s in _surveys(desk)] == ["INC-1"]


def test_a_fulfilled_request_asks_its_requester(desk):
    desk.say("alice", "/request new distribution-list list=sales-news")
    posts = desk.posts()
    assert any(
        p.startswith('[DM @alice] How did we do with REQ-1 "Distribution list membership"')
        for p in posts
    )
    assert desk.say("alice", "/survey score-5 SRV-1 instant") == "Thank you: REQ-1 rated 5 of 5."
    [survey] = _surveys(desk)
    assert (survey.ticket_type, survey.score, survey.comment) == ("request", 5, "instant")
    assert desk.posts() == ["[DM @alice] Thank you for rating REQ-1 5 of 5."]
