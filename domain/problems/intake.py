"""Answer at intake: a new incident that looks like a known error gets its workaround at
once, and the reporter says whether it worked."""

from __future__ import annotations

from sqlalchemy.orm.attributes import set_committed_value

from domain import incidents
from domain.context import SYSTEM, Actor, DeskContext
from domain.errors import InvalidTransition
from domain.incidents import INCIDENT, IncidentRecord
from domain.incidents.lifecycle import announce_change
from domain.notifications import notify_person
from domain.problems import search
from domain.problems.known_errors import known_error_data
from domain.problems.links import link
from domain.problems.records import KnownErrorRecord

# How many of its words a new incident must share with a known error's title and symptoms:
# fewer when the reporter named the service (the known error must be of that service).
SHARED_WITH_SERVICE = 2
SHARED_WITHOUT_SERVICE = 3


def match_known_error(ctx: DeskContext, incident: IncidentRecord) -> KnownErrorRecord | None:
    """The active known error a new incident best matches, if one matches well enough."""
    words = search.words_of(f"{incident.title} {incident.description}", search.MAX_INTAKE_WORDS)
    shared = SHARED_WITH_SERVICE if incident.service else SHARED_WITHOUT_SERVICE
    if len(words) < shared:
        return None
    hits = search.find(
        ctx.session,
        words,
        shared=shared,
        symptoms_only=True,
        service=incident.service,
        category=incident.category,
        active_only=True,
        limit=1,
        by_rank=False,  # the same known error on SQLite and PostgreSQL
    )
    return ctx.session.get(KnownErrorRecord, hits[0].known_error_id) if hits else None


def offer_workaround(ctx: DeskContext, actor: Actor, incident: IncidentRecord) -> str | None:
    """On a new incident (before its card is posted): link it to a matching known error's
    problem and offer the reporter the workaround. Returns the sentence for their reply."""
    known = match_known_error(ctx, incident)
    if known is None:
        # Nothing links it now: later readers of its snapshot need not ask the database.
        set_committed_value(incident, "problem_link", None)
        return None
    link(ctx, SYSTEM, known.problem, incident, workaround_of=known.id)
    incidents.record_event(
        ctx, incident, SYSTEM, "workaround_offered", f"Workaround of {known.key} offered"
    )
    notify_person(
        ctx,
        incident.reporter,
        "workaround_offered",
        subject=incident,
        known_error=known_error_data(known),
    )
    return (
        f'This looks like {known.key} "{known.title}". Workaround: {known.workaround}\n'
        f"Did that fix it? Say /incident fixed {incident.key} or /incident broken "
        f"{incident.key}. Either way, the service desk has your incident."
    )


def workaround_fixed(ctx: DeskContext, actor: Actor, key: str) -> IncidentRecord:
    """The reporter says the workaround worked: the incident closes on their word, with the
    workaround as its resolution."""
    incident, known = _offered(ctx, actor, key, "fixed")
    incident.problem_link.workaround_answer = "fixed"
    return incidents.close_as_fixed(
        ctx,
        actor,
        incident,
        f"Workaround of {known.key}: {known.workaround}"[:4000],
        f"the workaround of {known.key} fixed it (the reporter's confirmation)",
    )


def workaround_broken(ctx: DeskContext, actor: Actor, key: str) -> IncidentRecord:
    """The reporter says the workaround did not help: noted, and the incident stays queued."""
    incident, known = _offered(ctx, actor, key, "broken")
    incident.problem_link.workaround_answer = "broken"
    said = f"The workaround of {known.key} did not fix it"
    incidents.record_event(ctx, incident, actor, "workaround_failed", said)
    announce_change(ctx, incident, f"@{actor.name}: the workaround of {known.key} did not fix it")
    return incident


def _offered(ctx, actor, key, action) -> tuple[IncidentRecord, KnownErrorRecord]:
    incident = incidents.get_incident(ctx, key, for_update=True)
    INCIDENT.require_permission(action, actor, incident)
    INCIDENT.require_state(action, incident.state, incident.key)
    found = incident.problem_link
    if found is None or found.workaround_of is None:
        raise InvalidTransition(f"No workaround was offered for {incident.key}.")
    if found.workaround_answer == action:
        answer = "it worked" if action == "fixed" else "it did not"
        raise InvalidTransition(f"You already said {answer} for {incident.key}.")
    return incident, ctx.session.get(KnownErrorRecord, found.workaround_of)
