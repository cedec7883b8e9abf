"""States as data: what the incident's state machine declares is exactly what its use cases
allow, for every state and every action, and what snapshots offer people."""

from __future__ import annotations

import pytest

from bot.identity import PlatformIdentity
from domain import incidents, major, problems
from domain.context import SYSTEM, Actor
from domain.errors import InvalidTransition
from domain.incidents import INCIDENT, get_incident
from domain.notifications import snapshot

CAROL = Actor("carol", frozenset({"agent"}))
ALICE = Actor("alice", frozenset({"employee"}))

# Each action as its use case, run by an agent on an incident bob is working on.
USE_CASES = {
    "claim": lambda ctx, key: incidents.claim_incident(ctx, CAROL, key),
    "resume": lambda ctx, key: incidents.resume_incident(ctx, CAROL, key),
    "resolve": lambda ctx, key: incidents.resolve_incident(ctx, CAROL, key, "fixed"),
    "hold": lambda ctx, key: incidents.hold_incident(ctx, CAROL, key, "waiting"),
    "assign": lambda ctx, key: incidents.assign_incident(ctx, CAROL, key, "carol"),
    "update": lambda ctx, key: incidents.update_incident(ctx, CAROL, key, impact="high"),
    "note": lambda ctx, key: incidents.add_note(ctx, CAROL, key, "a note"),
    "close": lambda ctx, key: incidents.close_incident(ctx, CAROL, key),
    "reopen": lambda ctx, key: incidents.reopen_incident(ctx, CAROL, key, "still broken"),
    "cancel": lambda ctx, key: incidents.cancel_incident(ctx, CAROL, key, "by mistake"),
    "show": lambda ctx, key: incidents.show_incident(ctx, CAROL, key),
    "major": lambda ctx, key: major.declare_incident(ctx, CAROL, key),
    "link": lambda ctx, key: problems.link_incidents(ctx, CAROL, _problem(ctx).key, [key]),
    "fixed": lambda ctx, key: problems.workaround_fixed(ctx, ALICE, _offered(ctx, key)),
    "broken": lambda ctx, key: problems.workaround_broken(ctx, ALICE, _offered(ctx, key)),
}


def _problem(ctx):
    return problems.open_problem(ctx, CAROL, title="Something underneath")


def _offered(ctx, key: str) -> str:
    """The incident as if a known error's workaround had been offered when it was logged."""
    problem, known = problems.record_known_error(
        ctx, CAROL, _problem(ctx).key, workaround="restart it", symptoms="it stops"
    )
    from domain.problems.links import link

    link(ctx, SYSTEM, problem, get_incident(ctx, key, for_update=True), workaround_of=known.id)
    return key


def _put_in_state(ctx, key: str, state: str) -> None:
    incident = get_incident(ctx, key, for_update=True)
    incident.state, incident.assignee = state, "bob"
    now = ctx.clock.now()
    if state == "on_hold":
        incident.hold_reason, incident.paused_since = "waiting", now
    if state in ("resolved", "closed"):
        incident.resolution, incident.resolved_at, incident.paused_since = "fixed", now, now
    if state in ("closed", "cancelled"):
        incident.closed_at = now


def test_every_action_is_declared_with_its_use_case():
    assert {a.name for a in INCIDENT.actions} == set(USE_CASES)


@pytest.mark.parametrize("state", list(INCIDENT.labels))
def test_the_use_cases_allow_exactly_what_the_state_machine_declares(desk, state):
    dispatcher = desk.runtime.dispatcher
    outcomes = {}
    for name, use_case in USE_CASES.items():
        reply = dispatcher.execute(PlatformIdentity("console", "alice"), f'/incident new "{name}"')
        key = reply.incident["key"]
        with dispatcher.unit_of_work() as ctx:
            _put_in_state(ctx, key, state)
        try:
            with dispatcher.unit_of_work() as ctx:
                use_case(ctx, key)
            outcomes[name] = True
        except InvalidTransition:
            outcomes[name] = False
    declared = {a.name: a.allowed_in(state) for a in INCIDENT.actions}
    assert outcomes == declared


def test_a_snapshot_carries_what_the_state_allows_and_how_it_looks(desk):
    desk.say("alice", '/incident new "VPN drops"')
    with desk.runtime.dispatcher.unit_of_work() as ctx:
        data = snapshot(get_incident(ctx, 1))
        card = [a["name"] for a in data["actions"] if a["on_card"]]
        assert (data["state_label"], data["open"], data["tone"]) == ("New", True, "waiting")
        assert card == ["claim", "resolve", "link", "major"]  # no Hold before anyone works on it
        _put_in_state(ctx, "INC-1", "on_hold")
        card = [a["name"] for a in snapshot(get_incident(ctx, 1))["actions"] if a["on_card"]]
        assert card == ["resume", "resolve", "link", "major"]


def test_refusals_come_from_the_declared_permissions():
    assert INCIDENT.refusal("claim", ALICE) == "Only service-desk agents can claim incidents."
    assert INCIDENT.refusal("claim", CAROL) is None
    assert INCIDENT.refusal("close", ALICE) is None  # the reporter may: checked per incident


def test_a_state_machine_refuses_actions_that_name_unknown_states():
    from domain.states import Action, StateMachine

    with pytest.raises(ValueError, match="unknown states"):
        StateMachine(
            "thing", {"open": "Open"}, ("open",), (Action("x", "X", "x-ed", frozenset({"gone"})),)
        )
