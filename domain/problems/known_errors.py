"""The known-error database: a problem's symptoms, root cause and workaround, searchable."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from domain import keys
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, NotFound
from domain.notifications import notify_channel
from domain.problems import lifecycle, search
from domain.problems.records import KnownErrorRecord, ProblemRecord
from domain.text import check_text

SEARCH_LIMIT = 10


def record_known_error(
    ctx: DeskContext,
    actor: Actor,
    problem_key: str,
    *,
    workaround: str,
    symptoms: str | None = None,
    root_cause: str | None = None,
    title: str | None = None,
) -> tuple[ProblemRecord, KnownErrorRecord]:
    """Publish (or correct) a problem's known error; the problem becomes a known error.

    Symptoms default to the problem's description, the root cause to the one recorded.
    """
    workaround = check_text(workaround or "", "The workaround")
    if not workaround:
        raise InvalidInput(
            "A known error needs a workaround people can use until it is fixed: "
            '/problem known-error PRB-2 --workaround "reconnect from the tray icon" '
            '--symptoms "VPN drops after sleep".'
        )
    problem = lifecycle.locked(ctx, actor, problem_key, "known-error")
    symptoms = check_text(symptoms if symptoms is not None else problem.description, "Symptoms")
    if not symptoms and not problem.title:
        raise InvalidInput("Describe the symptoms people report: --symptoms TEXT.")
    cause = check_text(
        root_cause if root_cause is not None else problem.root_cause or "", "The root cause"
    )
    heading = " ".join(check_text(title or problem.title, "The title").split())[:200]
    now = ctx.clock.now()
    known = problem.known_errors[0] if problem.known_errors else None
    if known is None:
        known = KnownErrorRecord(problem=problem, created_by=actor.name, created_at=now)
        ctx.session.add(known)
    known.title, known.symptoms, known.root_cause, known.workaround = (
        heading,
        symptoms,
        cause,
        workaround,
    )
    known.service, known.category, known.active, known.updated_at = (
        problem.service,
        problem.category,
        True,
        now,
    )
    if cause and not problem.root_cause:
        problem.root_cause = cause
    problem.state = "known_error"
    problem.assignee = problem.assignee or actor.name
    ctx.session.flush()
    lifecycle.record_event(ctx, problem, actor, "known_error", f"{known.key}: {workaround}")
    lifecycle.announce_change(ctx, problem, f"{known.key} published by @{actor.name}: {workaround}")
    notify_channel(
        ctx,
        ctx.policy.triage_channel,
        "known_error_published",
        subject=problem,
        known_error=known_error_data(known),
        by=actor.name,
    )
    return problem, known


def get_known_error(ctx: DeskContext, key: str) -> KnownErrorRecord:
    """A known error by key (anyone may read the known-error database)."""
    return keys.load(ctx.session, KnownErrorRecord, key, "KE", "known error")


@dataclass(frozen=True)
class SearchResult:
    """Known errors that matched a search, best first, and the words searched for."""

    words: list[str]
    known_errors: list[KnownErrorRecord]


def search_known_errors(
    ctx: DeskContext, actor: Actor, typed: str, *, service: str | None = None
) -> SearchResult:
    """Search titles, symptoms, root causes and workarounds; fixed ones are marked."""
    words = search.search_words(typed)
    if service is not None:
        name = service.strip().lower()
        if name not in ctx.policy.services:
            known = ", ".join(sorted(ctx.policy.services)) or "none configured"
            raise NotFound(f"There is no service '{service[:40]}'. Known services: {known}.")
        service = name
    hits = search.find(
        ctx.session,
        words,
        shared=2,
        symptoms_only=False,
        service=service,
        limit=SEARCH_LIMIT,
    )
    if not hits:
        return SearchResult(words, [])
    rows = {
        k.id: k
        for k in ctx.session.scalars(
            select(KnownErrorRecord).where(
                KnownErrorRecord.id.in_([h.known_error_id for h in hits])
            )
        )
    }
    return SearchResult(words, [rows[h.known_error_id] for h in hits if h.known_error_id in rows])


def known_error_data(known: KnownErrorRecord) -> dict:
    """A known error as templates see it."""
    return {
        "key": known.key,
        "title": known.title,
        "symptoms": known.symptoms,
        "root_cause": known.root_cause,
        "workaround": known.workaround,
        "service": known.service,
        "category": known.category,
        "active": known.active,
        "problem": known.problem.key,
        "problem_state": known.problem.state,
    }
