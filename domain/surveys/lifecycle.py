"""Ask the one question when a ticket is done (1–5, then an optional comment), once per
ticket, never for a cancelled one; only the person asked may answer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain import keys
from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, PermissionDenied
from domain.notifications import notify_person
from domain.surveys.records import SurveyRecord
from domain.surveys.states import SURVEY
from domain.text import check_text


def get_survey(ctx: DeskContext, key: str | int, *, for_update: bool = False) -> SurveyRecord:
    """Load a survey by number or key."""
    return keys.load(ctx.session, SurveyRecord, key, "SRV", "survey", for_update=for_update)


def ask(
    ctx: DeskContext,
    *,
    ticket_type: str,
    ticket_id: int,
    ticket_key: str,
    title: str,
    person: str,
    agent: str | None,
    team: str | None,
) -> SurveyRecord | None:
    """Ask `person` how it went, unless this ticket was already surveyed (a reopened and
    closed again incident is still one ticket)."""
    known = ctx.session.scalar(
        select(SurveyRecord.id).where(
            SurveyRecord.ticket_type == ticket_type, SurveyRecord.ticket_id == str(ticket_id)
        )
    )
    if known is not None:
        return None
    survey = SurveyRecord(
        ticket_type=ticket_type,
        ticket_id=str(ticket_id),
        ticket_key=ticket_key,
        title=title[:200],
        person=person,
        agent=agent,
        team=team,
        state="asked",
        asked_at=ctx.clock.now(),
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(survey)
            ctx.session.flush()
    except IntegrityError:  # asked at the same moment by another transaction
        return None
    notify_person(ctx, person, "survey_asked", subject=survey)
    return survey


def answer(ctx: DeskContext, actor: Actor, key: str, score: int, comment: str = "") -> SurveyRecord:
    """The person's score (and perhaps a comment), once."""
    if score not in (1, 2, 3, 4, 5):
        raise InvalidInput("A score is a whole number from 1 (bad) to 5 (great).")
    comment = check_text(comment, "The comment")
    survey = _mine(ctx, actor, key, f"score-{score}")
    survey.state, survey.score, survey.answered_at = "answered", score, ctx.clock.now()
    if comment:
        survey.comment = comment
    notify_person(ctx, actor.name, "survey_thanks", subject=survey, commented=bool(comment))
    return survey


def add_comment(ctx: DeskContext, actor: Actor, key: str, text: str) -> SurveyRecord:
    """A comment, with or after the score (a later one replaces it)."""
    text = check_text(text, "The comment")
    if not text:
        raise InvalidInput(f'Say something: /survey comment {key} "…".')
    survey = _mine(ctx, actor, key, "comment")
    survey.comment = text
    return survey


def _mine(ctx: DeskContext, actor: Actor, key: str, action: str) -> SurveyRecord:
    survey = get_survey(ctx, key, for_update=True)
    if survey.person != actor.name:
        raise PermissionDenied(f"{survey.key} asks {survey.person}, not you.")
    SURVEY.require_state(action, survey.state, survey.key)
    return survey
