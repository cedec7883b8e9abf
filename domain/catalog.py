"""The service catalogue: what can be requested, what each request asks for, who approves
it and how it is fulfilled. Items are written as code in deskbot.yaml (bot/config_catalog.py
reads them); the rules that check a request's answers live here, once, for every form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from domain.approval_rules import ApprovalRule
from domain.clock import format_duration, parse_duration

FIELD_TYPES = ("text", "long_text", "choice", "person", "date", "duration", "number")
DIRECTORY_ACTIONS = ("add_to_group", "remove_from_group", "reset_password")
TEXT_LIMITS = {"text": 200, "long_text": 2000}
# "{list}" in a fulfilment names a field; "{requester}" the person who asked.
PLACEHOLDER = re.compile(r"^\{([a-z0-9_]+)\}$")


@dataclass(frozen=True)
class FormField:
    """One question of a catalogue item's form, and the rule its answer must meet."""

    name: str
    type: str = "text"
    label: str = ""
    help: str = ""
    required: bool = True
    choices: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    max_length: int = 0  # text: at most this many characters (0: the type's limit)
    default: str | None = None

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def limit(self) -> int:
        return self.max_length or TEXT_LIMITS.get(self.type, 200)

    def rule(self) -> str:
        """The rule an answer must meet, in words ("a whole number from 1 to 10")."""
        if self.type == "choice":
            return "one of " + ", ".join(self.choices)
        if self.type == "number":
            low, high = self.minimum, self.maximum
            if low is not None and high is not None:
                return f"a number from {low} to {high}"
            if low is not None:
                return f"a number of at least {low}"
            return f"a number of at most {high}" if high is not None else "a number"
        if self.type == "date":
            return "a date such as 2027-01-31, today or later"
        if self.type == "duration":
            return "a duration such as 4h, 2d or 1w"
        if self.type == "person":
            return "a person the desk knows (their name or @mention)"
        return f"text of at most {self.limit} characters"

    def check(self, raw: str, today: date, is_person) -> str:
        """The answer as stored, or ValueError naming this field and its rule."""
        value = raw.strip()
        if self.type in TEXT_LIMITS:
            if len(value) > self.limit:
                raise ValueError(f"must be {self.rule()} (got {len(value)})")
            if any(ord(c) < 32 and c not in "\n\t" for c in value):
                raise ValueError("must not contain control characters")
            return value
        if self.type == "choice":
            found = next((c for c in self.choices if c.lower() == value.lower()), None)
            if found is None:
                raise ValueError(f"must be {self.rule()}, not '{value[:40]}'")
            return found
        if self.type == "number":
            try:
                number = Decimal(value)
            except InvalidOperation:
                number = None
            if (
                number is None
                or not number.is_finite()
                or (
                    (self.minimum is not None and number < self.minimum)
                    or (self.maximum is not None and number > self.maximum)
                )
            ):
                raise ValueError(f"must be {self.rule()}, not '{value[:40]}'")
            return str(number.normalize() if number != number.to_integral() else int(number))
        if self.type == "date":
            try:
                day = date.fromisoformat(value)
            except ValueError:
                day = None
            if day is None or day < today:
                raise ValueError(f"must be {self.rule()}, not '{value[:40]}'")
            return day.isoformat()
        if self.type == "duration":
            delta = parse_duration(value)
            if delta is None:
                raise ValueError(f"must be {self.rule()}, not '{value[:40]}'")
            return format_duration(delta)
        if self.type == "person":
            name = value.lstrip("@").lower()
            if not is_person(name):
                raise ValueError(f"must be {self.rule()}; nobody is called '{value[:40]}'")
            return name
        raise ValueError(f"unknown field type {self.type}")


@dataclass(frozen=True)
class Fulfilment:
    """How an approved request is carried out: a task for a team, or a directory action.

    A directory action names its group and member as text or "{field}" placeholders; when
    the directory fails, the request waits for a retry and `team` (if any) is told.
    """

    team: str | None = None
    sla: timedelta | None = None  # the task's own SLA, from approval
    # add_to_group or remove_from_group; reset_password starts a password reset instead of
    # a request (its fields and approval are not used).
    directory: str | None = None
    group: str = ""
    member: str = "{requester}"

    @property
    def automatic(self) -> bool:
        return self.directory is not None


@dataclass(frozen=True)
class CatalogItem:
    """A standard request people can make: its form, approval, fulfilment and SLA."""

    id: str
    title: str
    description: str = ""
    fields: tuple[FormField, ...] = ()
    approval: ApprovalRule = field(default_factory=ApprovalRule)
    fulfilment: Fulfilment = field(default_factory=Fulfilment)
    sla: timedelta = timedelta(days=5)
    roles: tuple[str, ...] = ()  # who may request it: any of these roles …
    teams: tuple[str, ...] = ()  # … or a member of any of these teams (none: everyone)
    keywords: tuple[str, ...] = ()  # words people use for it ("visio", "licence")

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)

    def resolve(self, template: str, values: dict[str, str], requester: str) -> str:
        """A fulfilment's group or member with its placeholder filled in."""
        found = PLACEHOLDER.match(template)
        if not found:
            return template
        name = found.group(1)
        return requester if name == "requester" else values.get(name) or requester
