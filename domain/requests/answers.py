"""A request's answers, checked against its catalogue item's form: every field named with
its rule, all problems at once; missing answers are listed so a form can ask for them."""

from __future__ import annotations

from domain.catalog import CatalogItem, FormField
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput
from domain.people import person_exists


class InvalidAnswers(InvalidInput):
    """Answers that break their fields' rules; `problems` maps each field to its problem
    (what a form shows under the field)."""

    def __init__(self, message: str, problems: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or {}


class MissingAnswers(InvalidInput):
    """Required fields without an answer: a form asks for them, typed text is told which."""

    def __init__(self, item: CatalogItem, missing: list[FormField], given: dict[str, str]) -> None:
        wanted = ", ".join(f"{f.name} ({f.rule()})" for f in missing)
        example = " ".join(f"{f.name}=…" for f in missing)
        super().__init__(
            f'"{item.title}" needs: {wanted}. Give them as /request new {item.id} {example}'
        )
        self.item, self.missing, self.given = item, missing, given


def check_answers(
    ctx: DeskContext, item: CatalogItem, answers: dict[str, str], actor: Actor
) -> dict[str, str]:
    """The answers as stored (defaults filled in), in the form's order.

    Raises InvalidInput naming every field that breaks its rule or is unknown, else
    MissingAnswers for the required fields left out.
    """
    problems: dict[str, str] = {}
    for name in answers:
        if item.field(name) is None:
            known = ", ".join(f.name for f in item.fields) or "none"
            problems[name[:40]] = f"{item.id} has no such field (its fields: {known})"
    today = ctx.clock.now().date()
    values: dict[str, str] = {}
    missing: list[FormField] = []
    for field in item.fields:
        raw = answers.get(field.name)
        if raw is None or not raw.strip():
            if field.default is not None:
                values[field.name] = field.default
            elif field.required:
                missing.append(field)
            continue
        try:
            values[field.name] = field.check(raw, today, lambda n: person_exists(ctx, n))
        except ValueError as exc:
            problems[field.name] = str(exc)
    if problems:
        said = "; ".join(f"{name}: {problem}" for name, problem in problems.items())
        raise InvalidAnswers(f'"{item.title}" cannot be requested like that: {said}.', problems)
    if missing:
        raise MissingAnswers(item, missing, {k: v for k, v in answers.items() if v})
    return values
