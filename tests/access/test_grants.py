"""Access management through the console: request, owners' approval (never one's own),
break-glass, expiry with reminders, renewal, revocation — and bad input that changes
nothing. The built-in directory holds the groups (tests/ldap/ does it against slapd)."""

from __future__ import annotations

import pytest

from domain import access
from tests.harness import DeskHarness

READ = '/access request prod-db --role read --for 4h "debugging ticket 42"'


def _grant(desk: DeskHarness, key: str):
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        grant = access.get_grant(ctx, key)
        ctx.session.expunge(grant)
        return grant


def _members(desk: DeskHarness, group: str) -> list[str]:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return ctx.directory.members(group)


def _dm(posts: list[str], person: str) -> list[str]:
    return [p for p in posts if p.startswith(f"[DM @{person}]")]


def _channel(posts: list[str], channel: str) -> list[str]:
    return [p for p in posts if p.startswith(f"[#{channel}]")]


def test_a_grant_is_approved_by_an_owner_given_in_the_directory_and_taken_away_at_expiry(desk):
    reply = desk.say("alice", READ)
    assert reply == (
        "ACC-1: you asked for prod-db:read for 4h. Waiting for approval by carol, frank; "
        "I'll DM you each step."
    )
    posts = desk.posts()
    assert _dm(posts, "alice")[0].startswith("[DM @alice] Your access request ACC-1: read of")
    for owner in ("carol", "frank"):
        assert "do you approve? /access approve ACC-1" in _dm(posts, owner)[0]
    assert _members(desk, "prod-db-read") == []

    assert desk.say("carol", "/access approve ACC-1 ok") == "You approved ACC-1; it is now active."
    posts = desk.posts()
    assert _members(desk, "prod-db-read") == ["alice"]
    assert any("granted: you have prod-db:read until" in p for p in _dm(posts, "alice"))
    assert _channel(posts, "security") == [
        "[#security] ACC-1: alice gets prod-db:read until 2026-01-05 13:00 UTC "
        "(approved by carol): debugging ticket 42."
    ]
    # Only the last reminder fits in a 4-hour grant: a day before is before it began.
    posts = desk.advance(hours=3)
    assert [p for p in _dm(posts, "alice")] == [
        "[DM @alice] Your prod-db:read access (ACC-1) ends in an hour, at 2026-01-05 13:00 UTC. "
        "Still need it? /access renew ACC-1 (its owners are asked again)."
    ]
    posts = desk.advance(hours=1)
    assert _members(desk, "prod-db-read") == []
    assert "[DM @alice] ACC-1 prod-db:read: expired: you no longer have prod-db:read." in posts
    # Access running its course is routine: the security channel is not told of it.
    assert not [p for p in posts if p.startswith("[#security] ACC-1")]
    grant = _grant(desk, "ACC-1")
    # Ended, never deleted: who asked, who approved, who ended it and why stay.
    assert (grant.state, grant.ended_by, grant.end_reason) == (
        "expired",
        "deskbot",
        "its time ran out",
    )
    shown = desk.say("alice", "/access show ACC-1")
    assert "Approval: carol (approve), frank (no answer)" in shown
    assert "deskbot: expired — Directory: removed from prod-db-read" in shown


def test_nobody_approves_their_own_access_on_any_path(desk):
    # An owner asking for themselves is asked of the other owner only.
    assert "Waiting for approval by frank;" in desk.say(
        "carol", '/access request prod-db --role admin "fix replication"'
    )
    assert desk.say("carol", "/access approve ACC-1") == (
        "You cannot approve ACC-1: nobody approves their own request."
    )
    assert desk.say("erin", "/access approve ACC-1") == (
        "You are not an approver of ACC-1; its approvers are frank."
    )
    # The use case refuses, whatever the path (a button and a form end in the same call).
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        from domain.context import Actor

        with pytest.raises(access_errors()):
            access.approve_access(ctx, Actor("carol", frozenset({"admin"})), "ACC-1")
    assert _grant(desk, "ACC-1").state == "pending"
    assert _members(desk, "prod-db-admin") == []
    assert desk.say("frank", "/access approve ACC-1") == "You approved ACC-1; it is now active."
    assert _members(desk, "prod-db-admin") == ["carol"]


def access_errors():
    from domain.errors import PermissionDenied

    return PermissionDenied


def test_a_resource_with_only_the_requester_as_owner_cannot_be_asked(tmp_path, database_url):
    from bot.config import example_config_path, load_config_text

    text = example_config_path().read_text().replace("owners: [dave]", "owners: [bob]")
    config = load_config_text(text, "deskbot.yaml")
    desk = DeskHarness.start(database_url, config)
    try:
        reply = desk.say("bob", "/access request grafana")
        assert "you may not approve your own request: there are not enough other approvers" in (
            reply
        )
        assert desk.say("bob", "/access mine") == "Your access: none."
    finally:
        desk.close()


def test_break_glass_is_granted_at_once_and_announced_every_time(desk):
    reply = desk.say("erin", '/access request prod-db --role read --for 30m "INC-7 db down"')
    assert reply == (
        "ACC-1: break-glass prod-db:read for 30m — active, until 09:30 UTC. This is announced "
        "in the security channel."
    )
    posts = desk.posts()
    assert _channel(posts, "security") == [
        "[#security] BREAK-GLASS ACC-1: erin gets prod-db:read until 2026-01-05 09:30 UTC "
        "(break-glass, without approval): INC-7 db down."
    ]
    assert _members(desk, "prod-db-read") == ["erin"]
    # Break-glass needs a reason, and is limited to its own maximum: longer goes to owners.
    assert desk.say("carol", "/access request prod-db --role read --for 30m").startswith(
        "prod-db needs a reason"
    )
    assert "Waiting for approval by frank;" in desk.say(
        "carol", '/access request prod-db --role read --for 2h "long migration"'
    )
    # Only the configured team and role: alice (no team) and admin (not a break-glass role).
    assert "Waiting for approval" in desk.say(
        "alice", '/access request prod-db --role read --for 30m "x"'
    )
    assert "Waiting for approval" in desk.say(
        "erin", '/access request prod-db --role admin --for 30m "x"'
    )
    posts = desk.advance(minutes=30)
    assert "[#security] BREAK-GLASS ACC-1: erin's prod-db:read expired." in posts
    assert _members(desk, "prod-db-read") == []


def test_renewal_asks_the_owners_again_and_carries_the_group_on(desk):
    desk.say("alice", READ)
    desk.say("frank", "/access approve ACC-1")
    desk.posts()
    assert desk.say("bob", "/access renew ACC-1") == (
        "You cannot renew ACC-1: only its holder can."
    )
    reply = desk.say("alice", '/access renew ACC-1 --for 2h "still debugging"')
    assert reply == "ACC-2 asks to renew ACC-1; waiting for approval by carol, frank."
    assert desk.say("alice", "/access renew ACC-1") == (
        "A renewal of ACC-1 is already waiting: ACC-2."
    )
    desk.advance(hours=1)
    assert desk.say("carol", "/access approve ACC-2") == "You approved ACC-2; it is now active."
    assert _grant(desk, "ACC-1").state == "renewed"
    assert _grant(desk, "ACC-2").expires_at.hour == 12  # two hours from its approval at 10:00
    assert _members(desk, "prod-db-read") == ["alice"]  # never taken away in between
    posts = desk.advance(hours=3)  # ACC-1's old expiry (13:00) passes without effect
    assert _members(desk, "prod-db-read") == []
    assert "[DM @alice] ACC-2 prod-db:read: expired: you no longer have prod-db:read." in posts
    assert not any("ACC-1" in p for p in posts)


def test_self_renewal_extends_at_once_where_the_resource_allows_it(desk):
    desk.say("bob", "/access request grafana --for 2d")
    desk.say("dave", "/access approve ACC-1")
    posts = desk.advance(days=1)
    assert any("ends in a day" in p and "/access renew ACC-1 extends it" in p for p in posts)
    assert desk.say("bob", "/access renew ACC-1 --for 10d") == (
        "ACC-1 is renewed until 2026-01-16 09:00 UTC."
    )
    assert "[DM @bob] ACC-1 grafana:editor: renewed until 2026-01-16 09:00 UTC." in desk.posts()
    # The old expiry's timers were replaced: nothing reaches bob when they would have fired.
    assert _dm(desk.advance(days=2), "bob") == []
    assert _members(desk, "grafana-editors") == ["bob"]
    assert desk.say("bob", "/access renew ACC-1 --for 31d") == (
        "grafana can be given for at most 30d, not 31d."
    )


def test_revocation_by_the_holder_an_owner_or_an_admin_only(desk):
    desk.say("alice", READ)
    desk.say("carol", "/access approve ACC-1")
    desk.posts()
    assert desk.say("bob", "/access revoke ACC-1") == (
        "You cannot revoke ACC-1: only its holder, the owners of its resource or an admin can."
    )
    assert _members(desk, "prod-db-read") == ["alice"]
    assert desk.say("frank", '/access revoke ACC-1 "ticket closed"') == (
        "ACC-1 is revoked; the directory no longer gives it."
    )
    posts = desk.posts()
    assert (
        "[DM @alice] ACC-1 prod-db:read: revoked by @frank: you no longer have prod-db:read."
        in posts
    )
    assert _members(desk, "prod-db-read") == []
    assert desk.say("frank", "/access revoke ACC-1") == (
        "ACC-1 has already revoked: nothing to revoke."
    )
    grant = _grant(desk, "ACC-1")
    assert (grant.ended_by, grant.end_reason) == ("frank", "ticket closed")
    assert desk.advance(hours=5) == []  # its expiry no longer fires


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/access request prod-bd x", "There is no resource 'prod-bd'. Did you mean prod-db?"),
        (
            "/access request prod-db --role write x",
            "prod-db has no role 'write'; its roles: read, admin.",
        ),
        (
            "/access request prod-db x",
            "prod-db has several roles (read, admin): say which with --role.",
        ),
        (
            "/access request prod-db --role read --for 9h x",
            "prod-db can be given for at most 8h, not 9h.",
        ),
        (
            "/access request prod-db --role read --for soon x",
            '--for takes a duration such as 30m, 4h or 2d, not "soon".',
        ),
        ("/access request prod-db --role read --for 0m x", "--for takes a duration such as"),
        ("/access request prod-db --role read", "prod-db needs a reason: /access request"),
        ("/access approve ACC-99", "There is no access grant ACC-99."),
        ("/access approve banana", "'banana' is not an access grant number"),
    ],
)
def test_bad_requests_get_a_clear_answer_and_store_nothing(desk, command, answer):
    assert answer in desk.say("alice", command)
    assert desk.say("alice", "/access mine --all") == "Your access: none."
    assert desk.posts() == []


def test_answers_after_the_fact_are_refused_and_change_nothing(desk):
    desk.say("alice", READ)
    assert desk.say("alice", READ).startswith(
        "You already asked for prod-db:read: ACC-1 waits for approval."
    )
    assert desk.say("carol", "/access deny ACC-1").startswith("Missing REASON.")
    assert desk.say("carol", "/access approve ACC-1") == "You approved ACC-1; it is now active."
    # Approving twice, a late deny racing the approval, renewing someone else's.
    assert desk.say("carol", "/access approve ACC-1") == (
        "ACC-1 is no longer waiting for approval: it is active."
    )
    assert desk.say("frank", '/access deny ACC-1 "too late"') == (
        "ACC-1 is no longer waiting for approval: it is active."
    )
    assert desk.say("alice", READ).startswith("You already have prod-db:read (ACC-1, until")
    desk.advance(hours=4)
    assert desk.say("frank", "/access approve ACC-1") == (
        "ACC-1 is no longer waiting for approval: it is expired."
    )
    assert desk.say("alice", "/access revoke ACC-1") == (
        "ACC-1 has already expired: nothing to revoke."
    )
    assert desk.say("alice", "/access renew ACC-1") == (
        "ACC-1 is expired, so it cannot be renewed."
    )
    assert _members(desk, "prod-db-read") == []


def test_a_denial_tells_the_requester_why_and_a_cancel_tells_the_owners(desk):
    desk.say("alice", READ)
    desk.posts()
    assert desk.say("frank", '/access deny ACC-1 "use the replica"') == (
        "You denied ACC-1; @alice has been told why."
    )
    assert "[DM @alice] ACC-1 prod-db:read: denied by @frank: use the replica." in desk.posts()
    desk.say("alice", '/access request prod-db --role admin "vacuum"')
    desk.posts()
    # Refusals do not say whose it is: that is for its holder, owners and agents to see.
    assert desk.say("bob", "/access cancel ACC-2") == (
        "You cannot cancel ACC-2: it is not your request."
    )
    assert desk.say("alice", "/access cancel ACC-2") == "ACC-2 is cancelled."
    posts = desk.posts()
    assert "[DM @carol] ACC-2 prod-db:admin: cancelled by @alice." in posts
    assert _grant(desk, "ACC-2").state == "cancelled"


def test_who_sees_what(desk):
    desk.say("alice", READ)
    desk.say("bob", "/access request grafana")
    assert desk.say("alice", "/access show ACC-2") == (
        "You cannot see ACC-2: only its holder, the owners of its resource and agents can."
    )
    assert desk.say("frank", "/access show ACC-1").startswith("ACC-1 prod-db:read for @alice")
    assert desk.say("alice", "/access list") == (
        "You own no resource: /access mine shows your own access."
    )
    assert desk.say("alice", "/access list prod-db") == (
        "Only the owners of prod-db and agents can list its access."
    )
    owned = desk.say("frank", "/access list prod-db")
    assert "ACC-1 prod-db:read for alice" in owned and "grafana" not in owned
    assert "ACC-2 grafana:editor for bob" in desk.say("dave", "/access list --approvals")
    assert desk.say("dave", "/access list --approvals").startswith("Waiting for your approval (1)")


def test_silent_owners_are_reminded_daily_then_the_request_lapses(desk):
    desk.say("alice", READ)
    desk.posts()
    posts = desk.advance(days=1)
    reminders = [p for p in posts if p.startswith(("[DM @carol]", "[DM @frank]"))]
    assert len(reminders) == 2 and all(
        p.split("] ", 1)[1].startswith("Reminder: ") for p in reminders
    )
    desk.say("frank", "/access deny ACC-1 later")  # answered: no more reminders of ACC-1
    desk.say("alice", '/access request prod-db --role admin "vacuum"')
    desk.posts()
    posts = desk.advance(days=1)
    reminded = sorted(p.split(" asks")[0] for p in posts if "Reminder: " in p)
    assert reminded == ["[DM @carol] Reminder: @alice", "[DM @frank] Reminder: @alice"]
    assert not [p for p in posts if "ACC-1" in p]
    desk.advance(days=1)
    posts = desk.advance(days=1)
    assert (
        "[DM @alice] ACC-2 prod-db:admin: withdrawn: no owner answered in 3d; ask again with "
        "/access request if you still need it." in posts
    )
    assert _grant(desk, "ACC-2").state == "cancelled"
    assert _members(desk, "prod-db-admin") == []


def test_every_access_decision_is_in_the_audit_trail_and_a_changed_one_is_caught(desk):
    from sqlalchemy import select, text

    from domain import audit
    from tests.harness import TEST_AUDIT_KEY

    desk.say("alice", READ)
    desk.say("carol", "/access approve ACC-1")
    desk.say("frank", '/access revoke ACC-1 "ticket closed"')
    desk.say("erin", '/access request prod-db --role read --for 30m "INC-7"')
    table = audit.AuditRecord.__table__
    with desk.runtime.database.engine.connect() as connection:
        stored = list(connection.execute(select(table).order_by(table.c.seq)))
        rows = [(r.actor, r.action, r.subject) for r in stored if r.subject.startswith("ACC-")]
        revoke_seq = next(r.seq for r in stored if r.action == "access.revoke")
        assert rows == [
            ("alice", "access.request", "ACC-1"),
            ("carol", "access.approve", "ACC-1"),
            ("carol", "access.granted", "ACC-1"),
            ("frank", "access.revoke", "ACC-1"),
            ("frank", "access.revoked", "ACC-1"),
            ("erin", "access.request", "ACC-2"),
            ("erin", "access.granted", "ACC-2"),
        ]
        assert audit.verify(connection, TEST_AUDIT_KEY.encode()).ok
    # Someone with write access to the database makes the revocation look like carol's.
    with desk.runtime.database.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_records SET actor = 'carol' WHERE action = 'access.revoke'")
        )
    with desk.runtime.database.engine.connect() as connection:
        result = audit.verify(connection, TEST_AUDIT_KEY.encode())
    assert (result.ok, result.broken_seq) == (False, revoke_seq)


def test_two_of_the_owners_must_approve_where_the_resource_says_so(database_url):
    from bot.config import example_config_path, load_config_text

    text = (
        example_config_path()
        .read_text()
        .replace(
            "      owners: [carol, frank]\n      approvals: 1",
            "      owners: [carol, frank, grace]\n      approvals: 2",
        )
    )
    desk = DeskHarness.start(database_url, load_config_text(text, "deskbot.yaml"))
    try:
        assert "Waiting for approval by carol, frank, grace (2 must approve);" in desk.say(
            "alice", READ
        )
        assert desk.say("carol", "/access approve ACC-1") == (
            "You approved ACC-1; it needs more approvals."
        )
        assert _members(desk, "prod-db-read") == []
        assert desk.say("carol", "/access approve ACC-1") == (
            "You already answered on ACC-1 (approved)."
        )
        assert desk.say("grace", "/access approve ACC-1") == "You approved ACC-1; it is now active."
        assert _members(desk, "prod-db-read") == ["alice"]
        # frank, an owner, asks: two of the others must agree, and there are exactly two.
        assert "Waiting for approval by carol, grace (both must approve);" in desk.say(
            "frank", '/access request prod-db --role admin "vacuum"'
        )
    finally:
        desk.close()


def test_a_revocation_withdraws_the_renewal_waiting_for_approval(desk):
    desk.say("alice", READ)
    desk.say("carol", "/access approve ACC-1")
    desk.say("alice", "/access renew ACC-1")
    assert desk.say("frank", '/access revoke ACC-1 "left the project"').startswith(
        "ACC-1 is revoked"
    )
    assert _grant(desk, "ACC-2").state == "cancelled"
    assert desk.say("carol", "/access approve ACC-2") == (
        "ACC-2 is no longer waiting for approval: it is cancelled."
    )
    assert _members(desk, "prod-db-read") == []


def test_an_access_group_missing_from_the_directory_is_reported_and_the_rest_reconciled(
    tmp_path, database_url
):
    from bot.config import example_config_path, load_config_text

    config = load_config_text(example_config_path().read_text(), "deskbot.yaml")
    desk = DeskHarness.start(database_url, config, periodic_jobs=True)
    try:
        with desk.runtime.dispatcher.unit_of_work() as ctx:
            from domain.directory.builtin import DirectoryGroup, DirectoryMember

            ctx.session.query(DirectoryMember).filter_by(group_name="grafana-editors").delete()
            ctx.session.query(DirectoryGroup).filter_by(name="grafana-editors").delete()
            ctx.directory.add_to_group("bob", "prod-db-read")  # drift beside it
        found = desk.say("grace", "/access reconcile")
        assert "could not read grafana-editors: The built-in directory has no group" in found
        assert "drift: bob is in prod-db-read (prod-db) and nobody granted it" in found
        # The hourly run goes on reporting, and keeps its schedule.
        for _ in range(2):
            posts = desk.advance(hours=1)
            assert any(p.startswith("[#security] Access reconciliation:") for p in posts)
    finally:
        desk.close()


def test_a_member_before_the_grant_stays_one_after_it(desk):
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        ctx.directory.add_to_group("bob", "grafana-editors")  # standing membership
    desk.say("bob", "/access request grafana --for 1d")
    desk.say("dave", "/access approve ACC-1")
    posts = desk.advance(days=1)
    assert _grant(desk, "ACC-1").state == "expired"
    assert _members(desk, "grafana-editors") == ["bob"]
    assert any("ACC-1 grafana:editor: expired" in p for p in posts)
    shown = desk.say("bob", "/access show ACC-1")
    assert "grafana-editors kept: bob was a member before the grant" in shown
    # Not drift either: nothing for a reconciliation to repair.
    assert "agrees with every grant" in desk.say("grace", "/access reconcile grafana --repair")


def test_a_self_renewal_keeps_its_new_length_for_reminders_and_the_next_renewal(desk):
    desk.say("bob", "/access request grafana --for 2h")
    desk.say("dave", "/access approve ACC-1")
    desk.say("bob", "/access renew ACC-1 --for 3d")
    assert _grant(desk, "ACC-1").duration_s == 3 * 86400
    posts = desk.advance(days=2)  # a day before its new end: the day's reminder comes
    assert any("ends in a day" in p for p in posts)


def test_an_owner_taken_off_the_resource_can_no_longer_answer(database_url):
    from bot.config import example_config_path, load_config_text

    text = example_config_path().read_text()
    desk = DeskHarness.start(database_url, load_config_text(text, "deskbot.yaml"))
    try:
        desk.say("alice", READ)
    finally:
        desk.close()
    changed = text.replace("owners: [carol, frank]", "owners: [carol]")
    desk = DeskHarness.start(database_url, load_config_text(changed, "deskbot.yaml"))
    try:
        assert desk.say("frank", "/access approve ACC-1") == (
            "You are not an approver of ACC-1; its approvers are carol."
        )
        assert _grant(desk, "ACC-1").state == "pending"
    finally:
        desk.close()


def test_asking_for_access_in_ones_own_words_is_pointed_at_the_resource(desk):
    said = desk.say("alice", "I need access to the production database")
    assert said.splitlines() == [
        "If you need access, ask its owners — prod-db: /access request prod-db "
        "--role read|admin --for 4h REASON.",
        'Shall I open an incident "I need access to the production database"? Type yes to '
        "open it, or no.",
    ]
    # A fault in the same words is no request for access.
    assert desk.say("alice", "the production database is down").startswith(
        "Shall I open an incident"
    )
