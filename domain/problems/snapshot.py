"""Problems, suggestions and the problem part of an incident, as templates see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from domain.incidents.records import IncidentRecord
from domain.problems.records import ProblemLink, ProblemRecord, SuggestionRecord


def problem_data(problem: ProblemRecord) -> dict[str, Any]:
    """The problem's fields (the kernel adds the actions its state allows)."""
    known = problem.known_errors[0] if problem.known_errors else None
    return {
        "number": problem.id,
        "key": problem.key,
        "title": problem.title,
        "description": problem.description,
        "service": problem.service,
        "category": problem.category,
        "priority": problem.priority,
        "group": problem.owner_team,
        "assignee": problem.assignee,
        "state": problem.state,
        "root_cause": problem.root_cause,
        "resolution": problem.resolution,
        "known_error": known.key if known else None,
        "workaround": known.workaround if known else None,
        "incidents": [f"INC-{link.incident_id}" for link in problem.links],
        "opened_at": problem.opened_at.isoformat(),
    }


def suggestion_data(suggestion: SuggestionRecord) -> dict[str, Any]:
    """A suggested problem: which service and category, and its incidents."""
    return {
        "number": suggestion.id,
        "key": suggestion.key,
        "service": suggestion.service,
        "category": suggestion.category,
        "group": suggestion.owner_team,
        "state": suggestion.state,
        "incidents": [f"INC-{i}" for i in suggestion.incidents],
        "problem": f"PRB-{suggestion.problem_id}" if suggestion.problem_id else None,
        "decided_by": suggestion.decided_by,
    }


def incident_part(incident: IncidentRecord) -> dict[str, Any]:
    """What an incident's card says of its problem and of a workaround offered."""
    found = incident.problem_link
    if found is None:
        return {"problem": None, "known_error": None, "workaround_answer": None}
    problem_id = found.problem.id if found.problem is not None else found.problem_id
    return {
        "problem": f"PRB-{problem_id}",
        "known_error": f"KE-{found.workaround_of}" if found.workaround_of else None,
        "workaround_answer": found.workaround_answer,
    }


def preload_links(session: Session, incidents: list[IncidentRecord]) -> None:
    """Load the problem links of many incidents in one query (None where there is none)."""
    found = {
        link.incident_id: link
        for link in session.scalars(
            select(ProblemLink).where(ProblemLink.incident_id.in_([i.id for i in incidents]))
        )
    }
    for incident in incidents:
        set_committed_value(incident, "problem_link", found.get(incident.id))
