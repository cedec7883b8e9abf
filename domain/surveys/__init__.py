"""Satisfaction: one question (1–5, then an optional comment) by DM when an incident is
closed after its fix or a request is fulfilled, stored per ticket, agent and team.

Importing the package registers the process with the kernel and follows incident and
request management through their hooks (they import nothing of it).
"""

from sqlalchemy import update

from domain import notifications, people
from domain.incidents import lifecycle as incident_lifecycle
from domain.incidents.records import IncidentRecord
from domain.requests import lifecycle as request_lifecycle
from domain.requests.records import RequestRecord
from domain.surveys.lifecycle import add_comment, answer, ask, get_survey
from domain.surveys.records import SurveyRecord
from domain.surveys.states import KINDS, SCORES, SURVEY


def survey_data(survey: SurveyRecord) -> dict:
    """The survey as templates see it."""
    return {
        "number": survey.id,
        "key": survey.key,
        "ticket": survey.ticket_key,
        "title": survey.title,
        "person": survey.person,
        "agent": survey.agent,
        "state": survey.state,
        "score": survey.score,
        "comment": survey.comment,
    }


def after_incident(ctx, incident: IncidentRecord) -> None:
    ask(
        ctx,
        ticket_type="incident",
        ticket_id=incident.id,
        ticket_key=incident.key,
        title=incident.title,
        person=incident.reporter,
        agent=incident.assignee,
        team=incident.assignment_group,
    )


def after_request(ctx, request: RequestRecord) -> None:
    ask(
        ctx,
        ticket_type="request",
        ticket_id=request.id,
        ticket_key=request.key,
        title=request.title,
        person=request.requester,
        agent=request.assignee,
        team=request.fulfil_team,
    )


def rename_person(ctx, old: str, new: str) -> None:
    """Surveys a person was asked, or answered about their work, follow the new name."""
    for column in (SurveyRecord.person, SurveyRecord.agent):
        ctx.session.execute(
            update(SurveyRecord)
            .where(column == old)
            .values({column.key: new})
            .execution_options(synchronize_session=False)
        )


PROCESS = "survey"
notifications.register_kinds(PROCESS, KINDS)
notifications.register_subject(notifications.SubjectType("survey", SURVEY, survey_data, "SRV"))
incident_lifecycle.ON_CLOSE.append(after_incident)
request_lifecycle.ON_FULFIL.append(after_request)
people.RENAMERS.append(rename_person)

__all__ = [
    "KINDS",
    "SCORES",
    "SURVEY",
    "SurveyRecord",
    "add_comment",
    "answer",
    "ask",
    "get_survey",
    "survey_data",
]
