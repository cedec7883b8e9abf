"""/problem: problem management — and /incident link, fixed and broken, which tie incidents
to problems and known errors. Definitions, help and handlers together."""

from __future__ import annotations

from bot.commands.spec import TABLE, Arg, Call, Flag, Reply
from bot.identity import resolve_person_name
from bot.suggest import Suggestion, chooser
from bot.templates import render
from domain import incidents, problems
from domain.errors import DeskError
from domain.notifications import snapshot
from domain.policy import LEVELS
from domain.problems import ProblemRecord

LEVEL = LEVELS  # impact and urgency
ID = Arg("id", help="The problem, e.g. PRB-2")
INCIDENT = Arg("incident", help="The incident, e.g. INC-42")

TABLE.command("problem", "Find and fix the causes of incidents; publish known errors")
sub = TABLE.subcommand


def done(problem: ProblemRecord, text: str) -> Reply:
    """A reply about a problem the command acted on."""
    return Reply(text, subject_type="problem", subject=snapshot(problem))


@sub(
    "problem",
    "new",
    "Open a problem",
    Arg("title", rest=True, help="The underlying fault, in a few words"),
    flags=(
        Flag("service", "the affected service", "NAME"),
        Flag("category", "a category of the service", "NAME"),
        Flag("impact", "how many people are affected", choices=LEVEL),
        Flag("urgency", "how soon it hurts the business", choices=LEVEL),
        Flag("description", "what is known so far", "TEXT"),
    ),
)
def new(call: Call) -> Reply:
    problem = problems.open_problem(
        call.ctx,
        call.actor,
        title=call.arg("title"),
        description=call.option("description") or "",
        service=call.option("service"),
        category=call.option("category"),
        impact=call.option("impact") or "medium",
        urgency=call.option("urgency") or "medium",
    )
    return done(
        problem,
        f'Opened {problem.key} [{problem.priority}] "{problem.title}" for team '
        f"{problem.owner_team or '—'}. Link its incidents: /problem link {problem.key} INC-…",
    )


@sub("problem", "show", "Show a problem, its incidents and timeline", ID)
def show(call: Call) -> Reply:
    detail = problems.show_problem(call.ctx, call.actor, call.arg("id"))
    text = render(
        "problem/problem_detail",
        problem=detail.problem,
        known_error=detail.problem.known_errors[0] if detail.problem.known_errors else None,
        incidents=detail.incidents,
        timeline=detail.timeline,
        state_label=problems.PROBLEM.label(detail.problem.state),
    )
    return Reply(text, subject_type="problem", subject=snapshot(detail.problem))


@sub(
    "problem",
    "list",
    "List open problems (employees: those behind your incidents)",
    flags=(
        Flag("mine", "only problems assigned to you"),
        Flag("service", "one service's problems", "NAME"),
        Flag("state", "only problems in this state", "STATE"),
        Flag("all", "include resolved, closed and cancelled"),
    ),
)
def list_(call: Call) -> Reply:
    found = problems.list_problems(
        call.ctx,
        call.actor,
        mine=call.switch("mine"),
        service=call.option("service"),
        state=call.option("state"),
        include_closed=call.switch("all"),
    )
    return Reply(
        render(
            "problem/problem_list",
            title=found.title,
            problems=found.problems,
            total=found.total,
            label=problems.PROBLEM.label,
        )
    )


@sub("problem", "claim", "Take a problem and investigate it", ID)
def claim(call: Call) -> Reply:
    problem = problems.claim_problem(call.ctx, call.actor, call.arg("id"))
    return done(problem, f'You are now investigating {problem.key} "{problem.title}".')


@sub(
    "problem",
    "assign",
    "Give a problem to a team or an agent",
    ID,
    Arg("to", help="A team or agent"),
)
def assign(call: Call) -> Reply:
    target = resolve_person_name(call.ctx, call.identity.platform, call.arg("to"))
    problem = problems.assign_problem(call.ctx, call.actor, call.arg("id"), target)
    who = problem.assignee or f"team {problem.owner_team}"
    return done(problem, f"{problem.key} is now assigned to {who}.")


@sub(
    "problem", "note", "Add a finding to the timeline", ID, Arg("text", rest=True, help="The note")
)
def note(call: Call) -> Reply:
    problem = problems.note_problem(call.ctx, call.actor, call.arg("id"), call.arg("text"))
    return done(problem, f"Note added to {problem.key}.")


@sub(
    "problem",
    "link",
    "Link incidents to a problem",
    ID,
    Arg("incidents", rest=True, help="One or more incidents, e.g. INC-7 INC-9"),
)
def link(call: Call) -> Reply:
    keys = call.arg("incidents").replace(",", " ").split()
    problem, linked = problems.link_incidents(call.ctx, call.actor, call.arg("id"), keys)
    return done(problem, f"Linked {', '.join(i.key for i in linked)} to {problem.key}.")


@sub("problem", "unlink", "Take an incident off a problem", ID, INCIDENT)
def unlink(call: Call) -> Reply:
    problem, incident = problems.unlink_incident(
        call.ctx, call.actor, call.arg("id"), call.arg("incident")
    )
    return done(problem, f"{incident.key} is no longer linked to {problem.key}.")


@sub("problem", "rca", "Record the root cause", ID, Arg("cause", rest=True, help="The root cause"))
def rca(call: Call) -> Reply:
    problem = problems.record_root_cause(call.ctx, call.actor, call.arg("id"), call.arg("cause"))
    return done(problem, f"Root cause of {problem.key} recorded.")


@sub(
    "problem",
    "known-error",
    "Publish a known error with its workaround",
    ID,
    flags=(
        Flag("workaround", "what people can do until it is fixed", "TEXT"),
        Flag("symptoms", "what people see (default: the problem's description)", "TEXT"),
        Flag("cause", "the root cause (default: the one recorded)", "TEXT"),
        Flag("title", "a title for the known error (default: the problem's)", "TEXT"),
    ),
)
def known_error(call: Call) -> Reply:
    problem, known = problems.record_known_error(
        call.ctx,
        call.actor,
        call.arg("id"),
        workaround=call.option("workaround") or "",
        symptoms=call.option("symptoms"),
        root_cause=call.option("cause"),
        title=call.option("title"),
    )
    return done(
        problem,
        f"{known.key} published for {problem.key}: new incidents that look like it get its "
        "workaround at once.",
    )


@sub(
    "problem",
    "resolve",
    "Resolve with the permanent fix",
    ID,
    Arg("resolution", rest=True, help="The permanent fix"),
)
def resolve(call: Call) -> Reply:
    problem = problems.resolve_problem(call.ctx, call.actor, call.arg("id"), call.arg("resolution"))
    waiting = problems.open_linked_incidents(call.ctx, problem)
    offer = (
        f" {len(waiting)} linked incident(s) are still open ({', '.join(i.key for i in waiting)}): "
        f"resolve them in one step with /problem resolve-incidents {problem.key} "
        "(or the button in my message)."
        if waiting
        else ""
    )
    return done(problem, f"{problem.key} is resolved.{offer}")


@sub(
    "problem",
    "resolve-incidents",
    "Resolve a resolved problem's open incidents with its fix",
    ID,
)
def resolve_incidents(call: Call) -> Reply:
    problem, done_ = problems.resolve_linked_incidents(call.ctx, call.actor, call.arg("id"))
    return done(
        problem,
        f"Resolved {', '.join(i.key for i in done_)} with the fix of {problem.key}; "
        "each reporter has been asked to confirm.",
    )


@sub("problem", "close", "Close a resolved problem", ID)
def close(call: Call) -> Reply:
    problem = problems.close_problem(call.ctx, call.actor, call.arg("id"))
    return done(problem, f"{problem.key} is closed.")


@sub(
    "problem",
    "cancel",
    "Cancel a problem (its incidents are unlinked)",
    ID,
    Arg("reason", required=False, rest=True, help="Why"),
)
def cancel(call: Call) -> Reply:
    problem = problems.cancel_problem(call.ctx, call.actor, call.arg("id"), call.arg("reason"))
    return done(problem, f"{problem.key} is cancelled.")


SUGGESTION = Arg("id", help="The suggestion, e.g. SUG-3")


@sub("problem", "adopt", "Open the problem a suggestion proposes", SUGGESTION)
def adopt(call: Call) -> Reply:
    suggestion, problem = problems.adopt_suggestion(call.ctx, call.actor, call.arg("id"))
    return done(
        problem,
        f"Opened {problem.key} from {suggestion.key} with "
        f"{', '.join(link_.key for link_ in _linked(problem))} linked.",
    )


@sub("problem", "dismiss", "Dismiss a suggested problem", SUGGESTION)
def dismiss(call: Call) -> Reply:
    suggestion = problems.dismiss_suggestion(call.ctx, call.actor, call.arg("id"))
    return Reply(
        f"{suggestion.key} dismissed; I will suggest again if more incidents come.",
        subject_type="suggestion",
        subject=snapshot(suggestion),
    )


def _linked(problem: ProblemRecord):
    return [link_.incident for link_ in problem.links]


# Incidents and problems: subcommands of /incident declared by this process.


@sub(
    "incident",
    "link",
    "Link an incident to a problem",
    Arg("id", help="The incident"),
    Arg("problem", help="The problem, e.g. PRB-2"),
)
def incident_link(call: Call) -> Reply:
    problem, linked = problems.link_incidents(
        call.ctx, call.actor, call.arg("problem"), [call.arg("id")]
    )
    return Reply(
        f"{linked[0].key} is linked to {problem.key}.",
        subject_type="incident",
        subject=snapshot(linked[0]),
    )


@sub("incident", "fixed", "The workaround offered fixed it: close", Arg("id", help="The incident"))
def fixed(call: Call) -> Reply:
    incident = problems.workaround_fixed(call.ctx, call.actor, call.arg("id"))
    return Reply(
        f"Glad it works! {incident.key} is closed.",
        subject_type="incident",
        subject=snapshot(incident),
    )


@sub("incident", "broken", "The workaround offered did not fix it", Arg("id", help="The incident"))
def broken(call: Call) -> Reply:
    incident = problems.workaround_broken(call.ctx, call.actor, call.arg("id"))
    return Reply(
        f"Sorry it did not help. {incident.key} stays with the service desk "
        f"({incidents.INCIDENT.label(incident.state).lower()}).",
        subject_type="incident",
        subject=snapshot(incident),
    )


@chooser("incident", "link")
def problems_to_link(ctx, actor, key: str) -> list[Suggestion]:
    """Link to problem: the open problems of the incident's service, newest first (none:
    a DeskError that says so and how to open one)."""
    found = [
        Suggestion(p.key, f"{p.key} [{p.priority}] {p.title}"[:100])
        for p in problems.link_candidates(ctx, actor, key)
    ]
    if not found:
        incident = incidents.get_incident(ctx, key)
        service = f" of service {incident.service}" if incident.service else ""
        flag = f" --service {incident.service}" if incident.service else ""
        raise DeskError(
            f"No open problem{service} to link {incident.key} to; open one with "
            f'/problem new "what is wrong"{flag}, then link it with '
            f"/incident link {incident.key} PRB-…"
        )
    return found
