"""A form at the console: its questions asked one at a time, each answer typed on a line."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.forms import Form, Question

CANCEL_WORDS = frozenset({"cancel", ":cancel", "stop"})


@dataclass
class ConsoleForm:
    """The questions of a form still to ask, and the answers so far."""

    form: Form
    answers: dict[str, str] = field(default_factory=dict)
    position: int = 0

    @property
    def questions(self) -> tuple[Question, ...]:
        return self.form.to_ask()

    @property
    def done(self) -> bool:
        return self.position >= len(self.questions)

    def prompt(self) -> str:
        """The next question, with its rule and how to leave the form."""
        question = self.questions[self.position]
        shown = question.label
        if question.choices:
            shown += f" ({' / '.join(question.choices)})"
        elif question.kind != "text":
            shown += f" ({question.rule})"
        if question.help:
            shown += f" — {question.help}"
        number = f"[{self.position + 1}/{len(self.questions)}]"
        return f"{number} {shown}{'' if question.required else ' [optional]'}? (cancel to stop)"

    def answer(self, line: str) -> str | None:
        """Take a line as the current answer; a sentence when it cannot be, else None."""
        question = self.questions[self.position]
        text = line.strip()
        if not text and question.required:
            return f"{question.label} is needed."
        if question.choices and text:
            found = next((c for c in question.choices if c.lower() == text.lower()), None)
            if found is None:
                return f"Choose one of: {', '.join(question.choices)}."
            text = found
        self.answers[question.name] = text
        self.position += 1
        return None
