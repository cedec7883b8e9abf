"""Suggestions while a person types (autocomplete): incidents they may see, services, assignees.

Platform-neutral, so every adapter offers the same choices; each adapter decides how to show them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import String, cast, or_, select

from bot.identity import PlatformIdentity, resolve_actor
from domain.context import Actor, DeskContext
from domain.incidents import INCIDENT, IncidentRecord
from domain.policy import DeskPolicy
from domain.problems import PROBLEM, ProblemRecord
from domain.records import PersonRecord

LIMIT = 25  # Discord shows at most 25 choices; Slack's external selects are happy with that too


@dataclass(frozen=True)
class Suggestion:
    """One choice: the value the command receives and the label a person reads."""

    value: str
    label: str


def incidents(
    dispatcher, identity: PlatformIdentity, text: str, action: str | None = None
) -> list[Suggestion]:
    """Incidents the person may see (employees: their own) on which `action` can be taken
    now (no action: the open ones), matching the text."""
    states = INCIDENT.states_for(action) if action else INCIDENT.open_states
    if action and states is None:
        states = INCIDENT.open_states  # an option that is not an action (e.g. a flag)
    with dispatcher.unit_of_work() as ctx:
        actor = resolve_actor(ctx, identity, dispatcher.role_mapping)
        own = () if actor.is_agent else (IncidentRecord.reporter == actor.name,)
        return _subjects(ctx, IncidentRecord, INCIDENT, "INC", states, text, own)


def problems(
    dispatcher, identity: PlatformIdentity, text: str, action: str | None = None
) -> list[Suggestion]:
    """Problems an agent may act on with `action` now (no action: the open ones), matching
    the text; employees get none (they reach problems through their own incidents)."""
    states = PROBLEM.states_for(action) if action else None
    states = states or PROBLEM.open_states  # not a problem action (/incident link): open ones
    with dispatcher.unit_of_work() as ctx:
        actor = resolve_actor(ctx, identity, dispatcher.role_mapping)
        if not actor.is_agent:
            return []
        return _subjects(ctx, ProblemRecord, PROBLEM, "PRB", states, text, ())


def _subjects(ctx, model, machine, prefix: str, states, text: str, where) -> list[Suggestion]:
    """Subjects in `states` whose title contains the text or whose number starts with it,
    newest first: the one someone is about to act on is usually a recent one."""
    query = select(model).where(*where)
    if states is not None:
        query = query.where(model.state.in_(states))
    needle = text.strip()
    if needle:
        number = needle.upper().removeprefix("#").removeprefix(f"{prefix}-").removeprefix(prefix)
        matches = [model.title.ilike(f"%{_escape_like(needle)}%", escape="\\")]
        if number.isdigit():
            matches.append(cast(model.id, String).like(f"{number}%"))
        query = query.where(or_(*matches))
    rows = ctx.session.scalars(query.order_by(model.id.desc()).limit(LIMIT))
    return [
        Suggestion(row.key, f"{row.key} [{row.priority}] {row.title} — {machine.label(row.state)}")
        for row in rows
    ]


# Actions that take one thing chosen from a list (Action.choose): (subject type, action) →
# what may be chosen for one subject, as the person sees it. Processes register their own.
Chooser = Callable[[DeskContext, Actor, str], list[Suggestion]]
CHOOSERS: dict[tuple[str, str], Chooser] = {}


def chooser(subject_type: str, action: str) -> Callable[[Chooser], Chooser]:
    """Register what can be chosen for an action that takes a choice."""

    def register(found: Chooser) -> Chooser:
        CHOOSERS[(subject_type, action)] = found
        return found

    return register


def choices(
    dispatcher, identity: PlatformIdentity, subject_type: str, action: str, key: str
) -> list[Suggestion]:
    """What the person may choose for `action` on the subject `key` (Link to problem: the
    open problems of the incident's service). A DeskError says why there is nothing."""
    found = CHOOSERS.get((subject_type, action))
    if found is None:
        return []
    with dispatcher.unit_of_work() as ctx:
        actor = resolve_actor(ctx, identity, dispatcher.role_mapping)
        return found(ctx, actor, key)[:LIMIT]


def services(policy: DeskPolicy, text: str) -> list[Suggestion]:
    """Configured services whose name or display name contains the text."""
    return _matching(
        [(s.name, f"{s.display_name or s.name} ({s.name})") for s in policy.services.values()],
        text,
    )


def categories(policy: DeskPolicy, service: str | None, text: str) -> list[Suggestion]:
    """Categories of one service (or of every service when none is chosen yet)."""
    chosen = policy.services.get((service or "").strip().lower())
    scope = [chosen] if chosen else list(policy.services.values())
    names = sorted({c for s in scope for c in s.categories})
    return _matching([(c, c) for c in names], text)


def teams(policy: DeskPolicy, text: str) -> list[Suggestion]:
    """Teams whose name or display name contains the text."""
    return _matching(
        [(t.name, f"{t.display_name or t.name} (team {t.name})") for t in policy.teams.values()],
        text,
    )


def assignees(dispatcher, text: str) -> list[Suggestion]:
    """Teams, then agents (by their stored roles), matching the text."""
    with dispatcher.database.transaction() as session:
        people = [
            (p.name, f"{p.display_name} ({p.name})")
            for p in session.scalars(select(PersonRecord).order_by(PersonRecord.name))
            if p.role_set & {"agent", "admin"}
        ]
    return (teams(dispatcher.policy, text) + _matching(people, text))[:LIMIT]


def _matching(pairs: list[tuple[str, str]], text: str) -> list[Suggestion]:
    needle = text.strip().lstrip("@").lower()
    found = [Suggestion(v, label) for v, label in pairs if needle in f"{v} {label}".lower()]
    return found[:LIMIT]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
