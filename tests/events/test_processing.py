"""Event management's rules on the console: de-duplication, correlation into incidents that
open, reopen and resolve themselves, flapping, maintenance, silences, acknowledgements,
heartbeats and storms — through the inbox, as the HTTP adapter leaves them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from domain.events import EventRecord, Signal
from domain.events.inbox import put
from domain.events.records import EventGroup, EventInbox
from domain.incidents.records import IncidentRecord, TimelineEntry
from domain.records import OutboxMessage
from tests.harness import DeskHarness


def send(desk, integration: str, *signals: Signal) -> list[str]:
    """Signals accepted from `integration`, processed; the posts they caused."""
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        put(ctx, integration, list(signals))
    return desk.advance(seconds=1)


def alert(key: str, action: str = "trigger", *, group: str = "g1", **more) -> Signal:
    more.setdefault("summary", f"{key} is down")
    more.setdefault("severity", "critical")
    return Signal("alertmanager", key, action, group=group, **more)


def rows(desk, model, *where):
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        found = ctx.session.scalars(select(model).where(*where).order_by(model.id)).all()
        ctx.session.expunge_all()
        return found


def count(desk, model, *where) -> int:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return ctx.session.scalar(select(func.count()).select_from(model).where(*where))


def incident(desk, number: int = 1) -> IncidentRecord:
    return rows(desk, IncidentRecord, IncidentRecord.id == number)[0]


def test_repeats_count_on_one_event_and_never_open_a_second_incident(events_desk):
    desk = events_desk
    posts = send(desk, "prometheus", alert("fp1"), alert("fp1"), alert("fp1"))
    # One incident, and one page to the network team's on-call (carol this week).
    assert sorted(p.split(" — ")[0] for p in posts) == [
        "[#service-desk] INC-1 [P2] fp1 is down",
        '[DM @carol] Page PAGE-1 for network: INC-1 "fp1 is down"',
    ]
    desk.advance(minutes=5)
    assert send(desk, "prometheus", alert("fp1", summary="fp1 is still down")) == []
    [event] = rows(desk, EventRecord)
    assert (event.count, event.state, event.summary) == (4, "firing", "fp1 is still down")
    assert event.last_seen > event.first_seen
    assert count(desk, IncidentRecord) == 1


def test_identity_is_the_sources_key_never_the_summary(events_desk):
    desk = events_desk
    send(desk, "prometheus", alert("fp1", summary="Disk full"), alert("fp2", summary="Disk full"))
    assert [e.dedup_key for e in rows(desk, EventRecord)] == ["fp1", "fp2"]
    # One Alertmanager group: one incident for both.
    assert count(desk, IncidentRecord) == 1
    assert {e.incident_id for e in rows(desk, EventRecord)} == {1}


def test_after_a_resolve_the_same_key_starts_a_new_event(events_desk):
    desk = events_desk
    send(desk, "prometheus", alert("fp1"), alert("fp1", "resolve"), alert("fp1"))
    first, second = rows(desk, EventRecord)
    assert (first.state, first.count) == ("resolved", 1)
    assert (second.dedup_key, second.state) == ("fp1", "firing")


def test_a_live_event_resolved_and_fired_again_in_one_batch_is_two_events(events_desk):
    desk = events_desk
    send(desk, "prometheus", alert("fp1"))
    send(desk, "prometheus", alert("fp1", "resolve"), alert("fp1"))  # one batch
    assert [(e.state, e.count) for e in rows(desk, EventRecord)] == [
        ("resolved", 1),
        ("firing", 1),
    ]


def test_a_resolve_or_acknowledgement_of_nothing_live_changes_nothing(events_desk):
    desk = events_desk
    assert send(desk, "prometheus", alert("ghost", "resolve"), alert("ghost", "acknowledge")) == []
    assert count(desk, EventRecord) == 0
    assert count(desk, EventInbox) == 0  # processed all the same


def test_severity_decides_what_is_raised_and_at_which_priority(events_desk):
    desk = events_desk
    send(desk, "prometheus", alert("w", severity="warning", group="a"))
    send(desk, "prometheus", alert("i", severity="info", group="b"))
    assert count(desk, IncidentRecord) == 0  # stored, not raised
    assert {e.classification for e in rows(desk, EventRecord)} == {"warning", "informational"}
    send(desk, "prometheus", alert("p", severity="page", group="c"))
    assert incident(desk).priority == "P1"  # the integration's mapping
    send(desk, "pd", Signal("pagerduty", "k1", "trigger", summary="AP down", severity="error"))
    second = incident(desk, 2)
    assert second.priority == "P3"  # the default mapping: error → exception, P3
    assert (second.service, second.assignment_group) == ("wifi", "network")


def test_label_rules_choose_the_service_and_so_the_owning_team(events_desk):
    desk = events_desk
    send(desk, "prometheus", alert("m1", labels={"job": "mail-exporter"}))
    found = incident(desk)
    assert (found.service, found.assignment_group) == ("email", "messaging")


def test_every_event_resolved_resolves_the_incident_with_a_timeline_entry(events_desk):
    desk = events_desk
    send(desk, "prometheus", alert("fp1"), alert("fp2"))
    assert send(desk, "prometheus", alert("fp1", "resolve")) == []  # one still firing
    assert incident(desk).state == "new"
    posts = send(desk, "prometheus", alert("fp2", "resolve"))
    assert sorted(posts) == [
        "[#service-desk] INC-1 resolved by @deskbot: all 2 alerts from prometheus resolved "
        "— now Resolved",
        '[DM @carol] PAGE-1 (INC-1 "fp1 is down (+1 more)") stopped: INC-1 was resolved. '
        "You can stand down.",
    ]
    assert incident(desk).state == "resolved"
    kinds = [e.kind for e in rows(desk, TimelineEntry, TimelineEntry.incident_id == 1)]
    assert kinds == ["opened", "paged", "page_step", "page_ended", "resolved"]


def test_a_new_firing_within_the_reopen_window_reopens_after_it_opens_a_new_one(events_desk):
    desk = events_desk
    send(desk, "prometheus", alert("fp1"))
    send(desk, "prometheus", alert("fp1", "resolve"))
    desk.advance(minutes=30)
    posts = send(desk, "prometheus", alert("fp1"))
    assert any("INC-1 reopened by @deskbot: firing again: fp1 is down" in p for p in posts)
    assert incident(desk).state == "new" and count(desk, IncidentRecord) == 1
    send(desk, "prometheus", alert("fp1", "resolve"))
    desk.advance(hours=2)
    send(desk, "prometheus", alert("fp1"))
    assert count(desk, IncidentRecord) == 2
    assert incident(desk, 1).state == "resolved" and incident(desk, 2).state == "new"


def test_a_configured_label_set_groups_events_of_a_generic_source(events_desk):
    desk = events_desk

    def job(key, service):
        return Signal(
            "generic", key, "trigger", summary=key, severity="critical", labels={"service": service}
        )

    send(desk, "jobs", job("etl-1", "email"), job("etl-2", "email"), job("etl-3", "vpn"))
    assert count(desk, IncidentRecord) == 2
    assert [g.events for g in rows(desk, EventGroup)] == [2, 1]


def test_a_flapping_group_is_told_once_and_its_incident_waits_until_it_settles(events_desk):
    desk = events_desk
    posts = []
    for _ in range(6):  # fire and resolve: 12 changes, the limit is 4 in 10 minutes
        posts += send(desk, "prometheus", alert("fp1"))
        posts += send(desk, "prometheus", alert("fp1", "resolve"))
    flapping = [p for p in posts if "keep changing state" in p]
    assert len(flapping) == 1
    assert flapping[0].startswith("[#network-team] fp1 is down: alerts from prometheus keep")
    # Resolved once before it was seen to flap; reopened; then held open while it flaps.
    assert incident(desk).state == "new"
    assert count(desk, IncidentRecord) == 1
    later = desk.advance(minutes=11)  # still for a whole window
    assert any("alerts from prometheus have settled (0 firing); INC-1" in p for p in later)
    assert any("INC-1 resolved by @deskbot" in p for p in later)
    assert incident(desk).state == "resolved"


def test_maintenance_from_chat_stores_events_without_raising_them(events_desk):
    desk = events_desk
    reply = desk.say("bob", "/event maintenance vpn --for 2h replacing the concentrator")
    assert reply.startswith("vpn is in maintenance until 2026-01-05 11:00 UTC (2h)")
    assert send(desk, "prometheus", alert("fp1")) == []
    [event] = rows(desk, EventRecord)
    assert (event.suppressed, event.incident_id) == ("maintenance", None)
    assert "vpn — until 2026-01-05 11:00 UTC, by bob" in desk.say("bob", "/event maintenance")
    assert (
        desk.say("bob", "/event maintenance vpn --end") == "Ended 1 maintenance window(s) of vpn."
    )
    send(desk, "prometheus", alert("fp2"))
    assert count(desk, IncidentRecord) == 1  # raised again once it ended


def test_a_recurring_window_in_its_own_zone_keeps_a_service_quiet(events_desk):
    desk = events_desk
    # Sunday 02:30 in Berlin (01:30 UTC in winter): the laptop service's weekly patching.
    desk.clock.advance(datetime(2026, 1, 11, 1, 30, tzinfo=UTC) - desk.clock.now())
    send(desk, "prometheus", alert("l1", labels={"service": "laptop"}))
    assert count(desk, IncidentRecord) == 0
    assert rows(desk, EventRecord)[0].suppressed == "maintenance"
    assert "laptop — weekly, from the config: patching" in desk.say("bob", "/event maintenance")
    desk.clock.advance(
        datetime(2026, 1, 11, 3, 30, tzinfo=UTC) - desk.clock.now()
    )  # 04:30 in Berlin: over
    send(desk, "prometheus", alert("l2", labels={"service": "laptop"}, group="g2"))
    assert count(desk, IncidentRecord) == 1


def test_a_silenced_key_is_stored_not_raised_and_others_still_are(events_desk):
    desk = events_desk
    reply = desk.say("bob", "/event silence fp1 --for 1h known flaky probe")
    assert reply.startswith("Silenced fp1 for 1h, until 2026-01-05 10:00 UTC")
    send(desk, "prometheus", alert("fp1", group="a"))
    assert count(desk, IncidentRecord) == 0
    send(desk, "prometheus", alert("fp2", group="b"))
    assert count(desk, IncidentRecord) == 1
    assert desk.say("bob", "/event silence fp1 --end") == "Lifted 1 silence(s) on fp1."


def test_acknowledging_at_the_source_acknowledges_the_incident_once(events_desk):
    desk = events_desk
    send(desk, "pd", Signal("pagerduty", "k1", "trigger", summary="AP down", severity="critical"))
    posts = send(desk, "pd", Signal("pagerduty", "k1", "acknowledge"))
    assert sorted(posts) == [
        "[#service-desk] INC-1 acknowledged by pd at the source (k1) — now New",
        '[DM @carol] PAGE-1 (INC-1 "AP down") stopped: INC-1 was acknowledged. You can stand down.',
    ]
    assert incident(desk).first_response_at is not None
    [event] = rows(desk, EventRecord)
    assert (event.state, event.acknowledged_by) == ("acknowledged", "pd")


def test_an_agent_acknowledging_an_event_takes_its_incident(events_desk):
    desk = events_desk
    send(desk, "prometheus", alert("fp1"))
    assert desk.say("bob", "/event ack fp1") == "You acknowledged EVT-1. INC-1 is acknowledged too."
    assert (incident(desk).assignee, incident(desk).state) == ("bob", "in_progress")
    assert "cannot be acknowledged" in desk.say("bob", "/event ack EVT-1")


def test_employees_see_no_events_and_bad_input_is_explained(events_desk):
    desk = events_desk
    send(desk, "prometheus", alert("fp1"))
    refused = "Only agents can see and act on monitoring events."
    assert desk.say("alice", "/event list") == refused
    assert desk.say("alice", "/event silence fp1 --for 1h") == refused
    assert "acknowledge" in desk.say("alice", "/event ack EVT-1")
    assert desk.say("bob", "/event silence fp1").startswith("Say for how long")
    assert "At most 30 days" in desk.say("bob", "/event maintenance vpn --for 40d")
    assert "--for takes a duration" in desk.say("bob", "/event maintenance vpn --for soon")
    assert "There is no service 'moon'" in desk.say("bob", "/event maintenance moon --for 1h")
    assert "There is no event EVT-9" in desk.say("bob", "/event show EVT-9")
    assert [e.state for e in rows(desk, EventRecord)] == ["firing"]  # nothing changed


def test_a_silent_heartbeat_raises_an_incident_and_checking_in_resolves_it(events_desk):
    desk = events_desk
    desk.runtime.start_periodic_jobs()  # the worker watches the configured heartbeats
    beat = Signal("heartbeat", "nightly-backup", "checkin")
    assert send(desk, "jobs", beat) == []
    assert desk.advance(hours=23) == []
    posts = desk.advance(hours=1, minutes=6)  # a day and the 5 minutes' grace
    assert len(posts) == 1 and "No heartbeat from nightly-backup since 2026-01-05 09:00" in posts[0]
    assert incident(desk).priority == "P3"
    posts = send(desk, "jobs", beat)
    assert any("INC-1 resolved by @deskbot" in p for p in posts)
    # Back on time: nothing more is raised.
    assert desk.advance(hours=23) == [] and count(desk, IncidentRecord) == 1


def test_a_storm_of_ten_thousand_alerts_is_one_incident_and_one_card(events_desk):
    desk = events_desk
    posts = []
    for batch in range(100):  # as Alertmanager sends a growing group, 100 alerts a time
        signals = [alert(f"fp{batch * 100 + n}") for n in range(100)]
        with desk.runtime.dispatcher.unit_of_work() as ctx:
            put(ctx, "prometheus", signals)
        posts += desk.advance(seconds=0.5)
    posts += desk.advance(seconds=30)
    assert count(desk, IncidentRecord) == 1
    assert len(posts) <= 3, posts
    [group] = rows(desk, EventGroup)
    assert (group.firing, group.events, group.received) == (10_000, 10_000, 10_000)
    # The card is redrawn with the counts at most every 10 s: 50 s of storm, a few edits.
    redraws = count(desk, OutboxMessage, OutboxMessage.kind == "incident_alerts")
    assert 1 <= redraws <= 7


def test_a_request_that_cannot_be_processed_is_dropped_and_the_rest_go_on(events_desk, caplog):
    desk = events_desk
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        ctx.session.add(
            EventInbox(
                integration="prometheus",
                signals='[{"source": "alertmanager"}]',  # no key: never stored like this
                count=1,
                received_at=desk.clock.now(),
            )
        )
    send(desk, "prometheus", alert("fp1"))
    assert count(desk, IncidentRecord) == 1
    assert count(desk, EventInbox) == 0
    assert "cannot be processed; dropped" in caplog.text


def test_signals_of_an_integration_no_longer_configured_are_dropped(events_desk, caplog):
    desk = events_desk
    send(desk, "retired", alert("fp1"))
    assert count(desk, EventRecord) == 0 and count(desk, EventInbox) == 0
    assert "unknown integration 'retired' dropped" in caplog.text


def test_a_heartbeat_that_could_never_check_in_is_not_watched(database_url, example_config):
    # The example company's integrations read their tokens from unset variables.
    desk = DeskHarness.start(database_url, example_config, periodic_jobs=True)
    try:
        assert example_config.policy.events.heartbeats
        assert desk.advance(days=3) == []
        assert count(desk, IncidentRecord) == 0
    finally:
        desk.close()
