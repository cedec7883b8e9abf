"""Random walks through an incident's life, checked against the declared state machine.

Hypothesis picks who does what next; after every step the incident must be where the
model says, a refused action must change nothing, and the timers must match the state:
SLA timers only while the clocks run, an auto-close timer only while it awaits
confirmation.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from bot.identity import PlatformIdentity
from domain.incidents import INCIDENT, get_incident
from domain.records import Timer

PEOPLE = {
    "alice": frozenset({"employee"}),
    "carol": frozenset({"agent"}),
    "bob": frozenset({"agent"}),
}
ARGS = {
    "claim": "",
    "resume": "",
    "close": "",
    "cancel": "",
    "show": "",
    "resolve": ' "restarted it"',
    "hold": ' "waiting for the user"',
    "reopen": ' "still broken"',
    "note": ' "more detail"',
    "assign": " bob",
    "update": " --impact high",
}
SLA = {"respond_warning", "respond_breach", "resolve_warning", "resolve_breach"}


def next_state(action: str, state: str, assignee: str | None) -> str:
    """Where an allowed action takes the incident (the model)."""
    return {
        "claim": "in_progress",
        "assign": "assigned",
        "hold": "on_hold",
        "resume": "in_progress",
        "resolve": "resolved",
        "close": "closed",
        "reopen": "in_progress" if assignee else "new",
        "cancel": "cancelled",
    }.get(action, state)


def test_random_lives_of_incidents_follow_the_state_machine(desk):
    dispatcher = desk.runtime.dispatcher
    titles = itertools.count(1)

    class IncidentLife(RuleBasedStateMachine):
        @initialize()
        def report(self) -> None:
            reply = dispatcher.execute(
                PlatformIdentity("console", "alice"), f'/incident new "walk {next(titles)}"'
            )
            assert reply.ok, reply.text
            self.key = reply.incident["key"]
            self.state, self.assignee = "new", None

        @rule(who=st.sampled_from(sorted(PEOPLE)), action=st.sampled_from(sorted(ARGS)))
        def act(self, who: str, action: str) -> None:
            declared = INCIDENT.action(action)
            may = declared.permission(_actor(who), _Reporter("alice"))
            allowed = declared.allowed_in(self.state) and may
            reply = dispatcher.execute(
                PlatformIdentity("console", who), f"/incident {action} {self.key}{ARGS[action]}"
            )
            if allowed and reply.ok:
                if action in ("claim",):
                    self.assignee = who
                elif action == "assign":
                    self.assignee = "bob"
                elif action == "resolve":
                    self.assignee = self.assignee or who
                self.state = next_state(action, self.state, self.assignee)
            elif allowed:
                # Allowed by state and role, refused by a finer rule of the use case: only
                # these exist (claiming what you already work on, assigning to the holder,
                # an update that changes nothing).
                assert reply.text in (
                    f"You are already working on {self.key}.",
                    f"{self.key} is already assigned to bob.",
                    "Nothing to change: give --title, --service, --category, --impact or "
                    f"--urgency for {self.key}.",
                ), reply.text
            else:
                assert not reply.ok, (action, who, self.state, reply.text)

        @invariant()
        def where_the_model_says_with_timers_to_match(self) -> None:
            with dispatcher.unit_of_work() as ctx:
                incident = get_incident(ctx, self.key)
                assert (incident.state, incident.assignee) == (self.state, self.assignee)
                pending = set(
                    ctx.session.scalars(
                        select(Timer.kind).where(
                            Timer.subject_type == "incident",
                            Timer.subject_id == str(incident.id),
                            Timer.state == "pending",
                        )
                    )
                )
            clocks_run = self.state in ("new", "assigned", "in_progress")
            assert bool(pending & SLA) == clocks_run, (self.state, pending)
            assert ("auto_close" in pending) == (self.state == "resolved"), (self.state, pending)

    IncidentLife.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    IncidentLife.TestCase().runTest()


class _Reporter:
    def __init__(self, name: str) -> None:
        self.reporter = name


def _actor(name: str):
    from domain.context import Actor

    return Actor(name, PEOPLE[name])
