"""Forms, platform-neutral: what a command still needs to ask, for adapters to draw as a
Slack modal, Discord modals in steps, or console prompts one question at a time.

A handler that lacks answers returns a `Reply` with a `Form`; whatever the platform
collects goes back through the same command (`Form.argv`), so the domain checks a form's
answers exactly as it checks typed ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Question:
    """One field of a form, with what a platform needs to choose its widget."""

    name: str
    label: str
    kind: str  # text, long_text, choice, person, date, duration, number
    required: bool = True
    choices: tuple[str, ...] = ()
    help: str = ""
    rule: str = ""  # the rule in words, shown when an answer breaks it
    limit: int = 200  # at most this many characters (text answers)
    minimum: str | None = None
    maximum: str | None = None


@dataclass(frozen=True)
class Form:
    """Questions that finish `/<command> <subcommand> <fixed…> name=value …`."""

    title: str
    command: str
    subcommand: str
    fixed: tuple[str, ...]
    questions: tuple[Question, ...]
    given: dict[str, str] = field(default_factory=dict)  # answers already typed
    missing: tuple[str, ...] = ()  # required questions still without an answer

    def to_ask(self) -> tuple[Question, ...]:
        """The questions to put to someone at a prompt: the missing ones."""
        return tuple(q for q in self.questions if q.name in self.missing)

    def argv(self, answers: dict[str, str]) -> list[str]:
        """The command that submits the given answers plus these (blank ones left out)."""
        from bot.grammar import build_argv  # the grammar imports the commands, which use forms

        merged = {**self.given, **{k: v for k, v in answers.items() if v and v.strip()}}
        words = [f"{q.name}={merged[q.name].strip()}" for q in self.questions if q.name in merged]
        return build_argv(self.command, self.subcommand, [*self.fixed, *words])
