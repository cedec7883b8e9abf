"""Access reviews and reconciliation through the console, against the built-in directory."""

from __future__ import annotations

from domain import access
from tests.harness import DeskHarness

READ = '/access request prod-db --role read --for 8h "reports"'


def _members(desk: DeskHarness, group: str) -> list[str]:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return ctx.directory.members(group)


def _directory(desk: DeskHarness, change: str, person: str, group: str) -> None:
    """A change made in the directory behind deskbot's back."""
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        getattr(ctx.directory, change)(person, group)


def _granted(desk: DeskHarness) -> None:
    desk.say("alice", READ)
    desk.say("frank", "/access approve ACC-1")
    desk.say("carol", '/access request prod-db --role admin "vacuum"')
    desk.say("frank", "/access approve ACC-2")
    desk.posts()


def test_a_review_asks_each_owner_reminds_them_and_reports_the_outcome(desk):
    _granted(desk)
    assert desk.say("alice", "/access review prod-db").startswith(
        "Only the owners of prod-db (carol, frank) or an admin can start its access review."
    )
    assert desk.say("carol", "/access review prod-db") == (
        "Access review of prod-db started: its owners were sent 2 grants to keep or revoke, "
        "and are reminded daily until every one has an answer."
    )
    posts = desk.posts()
    # Nobody reviews their own access: carol is not asked about ACC-2, hers.
    assert [p[:40] for p in posts if "ACC-2" in p] == ["[DM @frank] Access review of prod-db: @c"]
    assert len([p for p in posts if "ACC-1" in p]) == 2
    assert desk.say("carol", "/access keep ACC-2") == (
        "You cannot keep ACC-2: nobody reviews their own access."
    )
    assert desk.say("carol", "/access review prod-db").startswith(
        "An access review of prod-db is already open"
    )
    assert desk.say("carol", "/access keep ACC-1") == "ACC-1 is kept."
    assert desk.say("frank", "/access keep ACC-1") == ("ACC-1 was already reviewed: keep by carol.")
    assert desk.say("frank", '/access revoke ACC-2 "done with it"').startswith("ACC-2 is revoked")
    posts = desk.posts()
    assert (
        "[#security] Access review of prod-db is complete: Started 2026-01-05 by carol; "
        "Kept: ACC-1; Revoked: ACC-2." in posts
    )
    assert _members(desk, "prod-db-admin") == []


def test_owners_are_reminded_daily_until_every_grant_has_an_answer(desk):
    desk.say("bob", "/access request grafana --for 30d")
    desk.say("dave", "/access approve ACC-1")
    desk.say("erin", "/access request grafana --for 30d")
    desk.say("dave", "/access approve ACC-2")
    desk.say("dave", "/access review grafana")
    desk.say("dave", "/access keep ACC-1")
    desk.posts()
    for _ in range(2):
        reminders = [p for p in desk.advance(days=1) if "still waits for your answer" in p]
        assert reminders == [
            "[DM @dave] The access review of grafana (started 2026-01-05) still waits for your "
            "answer on ACC-2: /access keep KEY or /access revoke KEY REASON."
        ]
    assert desk.say("dave", "/access keep ACC-2") == "ACC-2 is kept."
    assert any("Access review of grafana is complete" in p for p in desk.posts())
    assert not [p for p in desk.advance(days=1) if "still waits" in p]  # no more reminders


def test_a_scheduled_review_starts_on_its_own(desk):
    desk.say("bob", "/access request grafana --for 30d")
    desk.say("dave", "/access approve ACC-1")
    desk.posts()
    assert not [p for p in desk.advance(days=13) if "Access review" in p]
    posts = desk.advance(days=1)  # grafana is reviewed every 14 days
    assert [p for p in posts if "Access review of grafana" in p] == [
        "[DM @dave] Access review of grafana: @bob has editor (ACC-1) until "
        "2026-02-04 09:00 UTC. Keep it? /access keep ACC-1 or /access revoke ACC-1 REASON"
    ]
    assert desk.say("dave", "/access keep ACC-1") == "ACC-1 is kept."
    assert any("Access review of grafana is complete" in p for p in desk.posts())


def test_reconciliation_finds_drift_and_repairs_only_ended_access(desk):
    _granted(desk)
    desk.say("alice", "/access revoke ACC-1")
    _directory(desk, "add_to_group", "alice", "prod-db-read")  # put back by hand
    _directory(desk, "add_to_group", "bob", "prod-db-read")  # nobody granted it
    _directory(desk, "remove_from_group", "carol", "prod-db-admin")  # lost behind our back
    desk.posts()
    assert desk.say("alice", "/access reconcile").startswith("Only admins, or a resource's owners")
    found = desk.say("carol", "/access reconcile prod-db")
    assert found == (
        "Reconciliation of prod-db:\n"
        "  drift: alice is still in prod-db-read though ACC-1 has ended\n"
        "  drift: bob is in prod-db-read (prod-db) and nobody granted it\n"
        "  drift: ACC-2 is held but carol is not in prod-db-admin\n"
        "Run /access reconcile --repair to remove access that has ended."
    )
    assert any(p.startswith("[#security] Access reconciliation:") for p in desk.posts())
    assert _members(desk, "prod-db-read") == ["alice", "bob"]  # nothing changed yet
    repaired = desk.say("grace", "/access reconcile --repair")
    assert "  repaired: alice is still in prod-db-read though ACC-1 has ended" in repaired
    assert "  drift: bob is in prod-db-read (prod-db) and nobody granted it" in repaired
    assert _members(desk, "prod-db-read") == ["bob"]  # ended access removed, the rest reported


def test_the_periodic_reconciliation_reports_to_the_security_channel(desk):
    _granted(desk)
    _directory(desk, "add_to_group", "bob", "prod-db-read")
    posts = desk.advance(hours=1)
    report = [p for p in posts if p.startswith("[#security] Access reconciliation:")]
    assert report and "bob is in prod-db-read (prod-db) and nobody granted it" in report[0]
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert access.reconcile(ctx, ctx_admin()).drift  # still there: repair is off
    # grafana is shared (not exclusive): its unknown members are nobody's business.
    _directory(desk, "add_to_group", "bob", "grafana-editors")
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert not [d for d in access.reconcile(ctx, ctx_admin()).drift if d.resource == "grafana"]


def ctx_admin():
    from domain.context import Actor

    return Actor("grace", frozenset({"admin"}))
