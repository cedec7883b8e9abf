"""Two owners answering at once, and the holder revoking while the expiry fires: one
outcome each time, and the directory agrees with it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.identity import PlatformIdentity
from domain import access, approvals

READ = '/access request prod-db --role read --for 4h "debugging ticket 42"'


def _run_together(desk, *calls: tuple[str, list[str]]) -> dict[str, object]:
    results: dict[str, object] = {}
    barrier = threading.Barrier(len(calls))

    def run(who: str, argv: list[str]) -> None:
        barrier.wait()
        results[who] = desk.runtime.dispatcher.execute_argv(PlatformIdentity("console", who), argv)

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _grant_and_members(desk, key: str) -> tuple[str, list[str]]:
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        return access.get_grant(ctx, key).state, ctx.directory.members("prod-db-read")


@pytest.mark.parametrize("first", ["approve", "deny"])
def test_an_approval_and_a_denial_racing_leave_one_answer(desk, first):
    desk.say("alice", READ)
    other = "deny" if first == "approve" else "approve"

    def argv(verb: str) -> list[str]:
        return ["access", verb, "--", "ACC-1"] + (["not needed"] if verb == "deny" else [])

    results = _run_together(desk, ("frank", argv(first)), ("carol", argv(other)))
    won = [who for who, result in results.items() if result.ok]
    lost = [result.text for result in results.values() if not result.ok]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].startswith("ACC-1 is no longer waiting for approval")
    state, members = _grant_and_members(desk, "ACC-1")
    # One approval is enough: whoever got in first decided, and the directory agrees.
    assert (state, members) in (("granted", ["alice"]), ("denied", []))
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        assert list(approvals.decisions(ctx, access.get_grant(ctx, "ACC-1"))) == won


def test_a_revocation_racing_the_expiry_ends_the_grant_once(desk):
    desk.say("alice", READ)
    desk.say("carol", "/access approve ACC-1")
    desk.posts()
    desk.clock.advance(timedelta(hours=4))  # the expiry falls due while alice revokes
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def revoke() -> None:
        barrier.wait()
        results["alice"] = desk.runtime.dispatcher.execute_argv(
            PlatformIdentity("console", "alice"), ["access", "revoke", "ACC-1"]
        )

    def expire() -> None:
        barrier.wait()
        while desk.runtime.timers.run_due():
            pass

    threads = [threading.Thread(target=revoke), threading.Thread(target=expire)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    desk.runtime.timers.run_due()  # whatever was busy when the worker looked
    state, members = _grant_and_members(desk, "ACC-1")
    assert state in ("revoked", "expired") and members == []
    if state == "expired":
        assert results["alice"].text == "ACC-1 has already expired: nothing to revoke."
    posts = [p for p in desk.advance(seconds=0) if "no longer have prod-db:read" in p]
    assert len(posts) == 1  # the holder is told once
