"""Problem management: find and remove the causes of incidents; publish known errors with
their workarounds, offered to people the moment they report a known fault; spot incidents
that keep coming back.

Importing the package registers the process with the kernel (notification kinds, how its
problems and suggestions appear in notifications) and with incident management (what an
incident's card says of its problem; what happens when an incident is logged).
"""

from domain import notifications
from domain.incidents import lifecycle as incident_lifecycle
from domain.incidents import snapshot as incident_snapshot
from domain.problems import recurring
from domain.problems.intake import (
    match_known_error,
    offer_workaround,
    workaround_broken,
    workaround_fixed,
)
from domain.problems.known_errors import (
    SearchResult,
    get_known_error,
    known_error_data,
    record_known_error,
    search_known_errors,
)
from domain.problems.lifecycle import (
    assign_problem,
    cancel_problem,
    claim_problem,
    close_problem,
    get_problem,
    note_problem,
    open_problem,
    record_root_cause,
    resolve_problem,
)
from domain.problems.links import (
    link_incidents,
    open_linked_incidents,
    problem_of,
    resolve_linked_incidents,
    unlink_incident,
)
from domain.problems.queries import (
    ProblemDetail,
    ProblemList,
    link_candidates,
    list_problems,
    show_problem,
)
from domain.problems.records import (
    KnownErrorRecord,
    ProblemEvent,
    ProblemLink,
    ProblemRecord,
    SuggestionRecord,
)
from domain.problems.snapshot import incident_part, preload_links, problem_data, suggestion_data
from domain.problems.states import KINDS, PROBLEM, SUGGESTION

PROCESS = "problem"

notifications.register_kinds(PROCESS, KINDS)
notifications.register_subject(notifications.SubjectType("problem", PROBLEM, problem_data, "PRB"))
notifications.register_subject(
    notifications.SubjectType("suggestion", SUGGESTION, suggestion_data, "SUG")
)
incident_snapshot.PARTS.append(incident_part)
incident_snapshot.PRELOADS.append(preload_links)
# Order matters: an incident the known-error database explains is no recurring one.
incident_lifecycle.ON_OPEN.append(offer_workaround)
incident_lifecycle.ON_OPEN.append(recurring.watch)

adopt_suggestion = recurring.adopt
dismiss_suggestion = recurring.dismiss

__all__ = [
    "KINDS",
    "PROBLEM",
    "SUGGESTION",
    "KnownErrorRecord",
    "ProblemDetail",
    "ProblemEvent",
    "ProblemLink",
    "ProblemList",
    "ProblemRecord",
    "SearchResult",
    "SuggestionRecord",
    "adopt_suggestion",
    "assign_problem",
    "cancel_problem",
    "claim_problem",
    "close_problem",
    "dismiss_suggestion",
    "get_known_error",
    "get_problem",
    "known_error_data",
    "link_candidates",
    "link_incidents",
    "list_problems",
    "match_known_error",
    "note_problem",
    "open_linked_incidents",
    "open_problem",
    "problem_of",
    "record_known_error",
    "record_root_cause",
    "resolve_linked_incidents",
    "resolve_problem",
    "search_known_errors",
    "show_problem",
    "unlink_incident",
    "workaround_broken",
    "workaround_fixed",
]
