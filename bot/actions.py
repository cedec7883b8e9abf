"""The actions of every process's subjects, for adapters that draw buttons and forms.

Adapters never list states or actions: they ask here which actions exist (to route a
press), which need a text (to open a form first), and how a button is identified.
"""

from __future__ import annotations

import re

import domain.processes  # noqa: F401  (every process registers its subjects)
from domain.notifications import SUBJECTS, subject_of_key
from domain.states import Action, StateMachine

__all__ = [
    "Action",
    "action",
    "button_id",
    "button_pattern",
    "command_of",
    "machine",
    "subject_type_of_key",
    "subject_types",
]


def subject_types() -> list[str]:
    """Every kind of subject a process registered ("incident"…)."""
    return list(SUBJECTS)


def machine(subject_type: str) -> StateMachine:
    """The states and actions of one kind of subject."""
    return SUBJECTS[subject_type].machine


def command_of(subject_type: str) -> str:
    """The command whose subcommands are a subject's actions ("suggestion" → "problem")."""
    return SUBJECTS[subject_type].machine.command_name


def subject_type_of_key(key: str) -> str | None:
    """Which kind of subject a key names: "PRB-2" → "problem" (None: no such prefix)."""
    found = subject_of_key(key)
    return found.name if found else None


def action(subject_type: str, name: str) -> Action | None:
    """One action of a kind of subject, or None if it has no such action."""
    found = SUBJECTS.get(subject_type)
    return found.machine.action(name) if found else None


def button_id(subject_type: str, name: str) -> str:
    """How a button for an action is named on a platform: "incident_claim"."""
    return f"{subject_type}_{name}"


def button_pattern() -> re.Pattern[str]:
    """Matches every action button of every subject: group 1 the subject, 2 the action."""
    names = sorted(
        {(s, a.name) for s, kind in SUBJECTS.items() for a in kind.machine.actions},
        key=lambda pair: (pair[0], pair[1]),
    )
    alternatives = "|".join(re.escape(button_id(s, a)) for s, a in names)
    return re.compile(rf"^(?:{alternatives})$")


def parse_button_id(button: str) -> tuple[str, Action] | None:
    """(subject_type, action) of a button id, or None if no process has it."""
    for subject_type, kind in SUBJECTS.items():
        prefix = f"{subject_type}_"
        if button.startswith(prefix):
            found = kind.machine.action(button[len(prefix) :])
            if found is not None:
                return subject_type, found
    return None
