"""States as data: a process declares its states and actions once; everyone reads them here.

Cards, buttons, autocomplete and App Home render `available_actions`; the use cases check
`require_allowed`. No adapter or template spells out which state allows what.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from domain.context import Actor
from domain.errors import InvalidTransition, PermissionDenied

# Who may take an action, given the actor and the subject.
Permission = Callable[[Actor, Any], bool]


def anyone(actor: Actor, subject: Any) -> bool:
    """Every person (the use case may still check what they can see)."""
    return True


def agents(actor: Actor, subject: Any) -> bool:
    """Service-desk agents and admins."""
    return actor.is_agent


@dataclass(frozen=True)
class Action:
    """Something a person can do to a subject, and where it is offered.

    `verb` completes "… cannot be {verb}" when the state forbids it; `refusal` completes
    "Only … can {refusal}." when the person may not. `needs_text` actions ask for a reason
    (a form on chat platforms); `on_card` actions are buttons on the subject's card.
    """

    name: str
    label: str
    verb: str
    states: frozenset[str]
    permission: Permission = anyone
    refusal: str = ""
    needs_text: bool = False
    on_card: bool = False
    primary: bool = False
    prompt: str = ""  # the question a form asks for the text ("What fixed it?")
    text_required: bool = True
    form_title: str = ""  # the form's title, "{key}" for the subject ("Put {key} on hold")
    # An action that takes one thing chosen from a list (Link to problem: which problem):
    # what is chosen ("problem"); adapters ask bot.suggest for the choices.
    choose: str = ""

    def title_for(self, key: str) -> str:
        """The title of this action's form for one subject."""
        return (self.form_title or f"{self.label} {{key}}").format(key=key)

    def allowed_in(self, state: str) -> bool:
        return state in self.states


@dataclass(frozen=True)
class StateMachine:
    """A process's states (name → label), which are open, and its actions.

    `tones` say how each state should look, in words every card understands: "waiting"
    (nobody on it yet), "active", "paused", "done" (awaiting confirmation), "final", "void".
    """

    subject_type: str
    labels: dict[str, str]
    open_states: tuple[str, ...]
    actions: tuple[Action, ...]
    tones: dict[str, str] = field(default_factory=dict)
    # The command whose subcommands are these actions (default: the subject type's name).
    command: str = ""
    _by_name: dict[str, Action] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {a.name: a for a in self.actions})
        unknown = {s for a in self.actions for s in a.states} - set(self.labels)
        if unknown:
            raise ValueError(f"{self.subject_type}: actions name unknown states {sorted(unknown)}")

    @property
    def command_name(self) -> str:
        """The command that carries this machine's actions ("/incident", "/problem")."""
        return self.command or self.subject_type

    def action(self, name: str) -> Action | None:
        """The action called `name`, if the process has one."""
        return self._by_name.get(name)

    def label(self, state: str) -> str:
        """How a person reads a state ("In progress")."""
        return self.labels.get(state, state)

    def states_for(self, action: str) -> tuple[str, ...] | None:
        """The states in which `action` can be taken (None: it is no state action)."""
        found = self.action(action)
        return tuple(s for s in self.labels if s in found.states) if found else None

    def available_actions(
        self, state: str, actor: Actor | None = None, subject: Any = None
    ) -> list[Action]:
        """What can be done in `state`; with an actor, only what that person may do."""
        return [
            a
            for a in self.actions
            if a.allowed_in(state) and (actor is None or a.permission(actor, subject))
        ]

    def refusal(self, action: str, actor: Actor, subject: Any = None) -> str | None:
        """The sentence refusing `action` to this person, or None if they may take it."""
        found = self.action(action)
        if found is None or found.permission(actor, subject):
            return None
        if not found.refusal:
            return "You may not do that."
        return f"Only {found.refusal.format(key=getattr(subject, 'key', 'it'))}."

    def require_permission(self, action: str, actor: Actor, subject: Any = None) -> None:
        """Refuse the action to a person who may not take it."""
        refusal = self.refusal(action, actor, subject)
        if refusal:
            raise PermissionDenied(refusal)

    def require_state(self, action: str, state: str, key: str) -> None:
        """Refuse the action when the subject's state does not allow it."""
        found = self._by_name[action]
        if not found.allowed_in(state):
            raise InvalidTransition(
                f"{key} is {self.label(state).lower()}, so it cannot be {found.verb}."
            )

    def describe(self, state: str) -> dict[str, Any]:
        """A state as plain data for snapshots: its label, whether open, and its tone."""
        return {
            "state_label": self.label(state),
            "open": state in self.open_states,
            "tone": self.tones.get(state, "active"),
        }

    def as_data(self, actions: Iterable[Action]) -> list[dict[str, Any]]:
        """Actions as plain data for snapshots (JSON in the outbox, read by templates)."""
        return [
            {
                "name": a.name,
                "label": a.label,
                "needs_text": a.needs_text,
                "prompt": a.prompt,
                "text_required": a.text_required,
                "on_card": a.on_card,
                "primary": a.primary,
                "choose": a.choose,
            }
            for a in actions
        ]
