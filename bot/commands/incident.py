"""/incident: report and work incidents — definitions, help and handlers together."""

from __future__ import annotations

from bot.commands.spec import TABLE, Arg, Call, Flag, Reply
from bot.identity import resolve_person_name
from bot.templates import render
from domain import incidents
from domain.incidents import IncidentRecord
from domain.notifications import snapshot
from domain.policy import LEVELS

LEVEL = LEVELS  # impact and urgency
ID = Arg("id", help="The incident, e.g. INC-42")
FIELDS = ("title", "description", "service", "category", "impact", "urgency")

TABLE.command("incident", "Report and work incidents")
sub = TABLE.subcommand


def done(incident: IncidentRecord, text: str) -> Reply:
    """A reply about an incident the command acted on (adapters may show its card)."""
    return Reply(text, subject_type="incident", subject=snapshot(incident))


@sub(
    "incident",
    "new",
    "Report an incident",
    Arg("title", rest=True, help="What is wrong, in a few words (leave empty to fill in a form)"),
    flags=(
        Flag("service", "the affected service", "NAME"),
        Flag("category", "a category of the service", "NAME"),
        Flag("impact", "how many people are affected", choices=LEVEL),
        Flag("urgency", "how soon it hurts the business", choices=LEVEL),
        Flag("description", "more detail", "TEXT"),
    ),
)
def new(call: Call) -> Reply:
    incident = incidents.open_incident(
        call.ctx,
        call.actor,
        title=call.arg("title"),
        description=call.option("description") or "",
        service=call.option("service"),
        category=call.option("category"),
        impact=call.option("impact") or "medium",
        urgency=call.option("urgency") or "medium",
    )
    queue = f", queued for {incident.assignment_group}" if incident.assignment_group else ""
    said = "".join(f"\n{remark}" for remark in incidents.remarks(call.ctx, incident))
    return done(
        incident,
        f'Opened {incident.key} [{incident.priority}] "{incident.title}"{queue}. '
        f"I'll keep you posted here.{said}",
    )


@sub("incident", "show", "Show an incident with its timeline", ID)
def show(call: Call) -> Reply:
    detail = incidents.show_incident(call.ctx, call.actor, call.arg("id"))
    text = render(
        "incident/incident_detail",
        incident=detail.incident,
        timeline=detail.timeline,
        respond_left=detail.respond_left,
        resolve_left=detail.resolve_left,
        business_hours=detail.business_hours,
    )
    return Reply(text, subject_type="incident", subject=snapshot(detail.incident))


@sub(
    "incident",
    "update",
    "Re-categorise or re-prioritise an incident",
    ID,
    flags=(
        Flag("title", "a clearer title", "TEXT"),
        Flag("service", "the affected service", "NAME"),
        Flag("category", "a category of the service", "NAME"),
        Flag("impact", "how many people are affected", choices=LEVEL),
        Flag("urgency", "how soon it hurts the business", choices=LEVEL),
        Flag("description", "a better description", "TEXT"),
    ),
)
def update(call: Call) -> Reply:
    incident = incidents.update_incident(
        call.ctx, call.actor, call.arg("id"), **{name: call.option(name) for name in FIELDS}
    )
    return done(
        incident,
        f"{incident.key} updated: now {incident.priority}, "
        f"service {incident.service or '—'}, queue {incident.assignment_group or '—'}.",
    )


@sub(
    "incident",
    "list",
    "List open incidents (yours, or your team's queue)",
    flags=(
        Flag("mine", "only incidents assigned to (or reported by) you"),
        Flag("team", "a team's queue", "TEAM"),
        Flag("state", "only incidents in this state", "STATE"),
        Flag("all", "include resolved, closed and cancelled"),
    ),
)
def list_(call: Call) -> Reply:
    queue = incidents.list_incidents(
        call.ctx,
        call.actor,
        mine=call.switch("mine"),
        team=call.option("team"),
        state=call.option("state"),
        include_closed=call.switch("all"),
    )
    return Reply(
        render(
            "incident/incident_list",
            title=queue.title,
            incidents=queue.incidents,
            total=queue.total,
        )
    )


@sub("incident", "claim", "Take an incident and start work on it", ID)
def claim(call: Call) -> Reply:
    incident = incidents.claim_incident(call.ctx, call.actor, call.arg("id"))
    return done(incident, f'You are now working on {incident.key} "{incident.title}".')


@sub(
    "incident",
    "assign",
    "Assign to a team (escalate) or an agent",
    ID,
    Arg("to", help="A team (escalate) or an agent"),
)
def assign(call: Call) -> Reply:
    target = resolve_person_name(call.ctx, call.identity.platform, call.arg("to"))
    incident = incidents.assign_incident(call.ctx, call.actor, call.arg("id"), target)
    who = incident.assignee or f"team {incident.assignment_group}"
    return done(incident, f"{incident.key} is now assigned to {who}.")


@sub("incident", "note", "Add a note to the timeline", ID, Arg("text", rest=True, help="The note"))
def note(call: Call) -> Reply:
    incident = incidents.add_note(call.ctx, call.actor, call.arg("id"), call.arg("text"))
    return done(incident, f"Note added to {incident.key}.")


@sub(
    "incident",
    "hold",
    "Put on hold, pausing the SLA clocks",
    ID,
    Arg("reason", rest=True, help="Why"),
)
def hold(call: Call) -> Reply:
    incident = incidents.hold_incident(call.ctx, call.actor, call.arg("id"), call.arg("reason"))
    return done(incident, f"{incident.key} is on hold; its SLA clocks are paused.")


@sub("incident", "resume", "Take off hold", ID)
def resume(call: Call) -> Reply:
    incident = incidents.resume_incident(call.ctx, call.actor, call.arg("id"))
    return done(incident, f"{incident.key} is back in progress; its SLA clocks run again.")


@sub(
    "incident",
    "resolve",
    "Resolve with a note of what fixed it",
    ID,
    Arg("resolution", rest=True, help="What fixed it"),
)
def resolve(call: Call) -> Reply:
    incident = incidents.resolve_incident(
        call.ctx, call.actor, call.arg("id"), call.arg("resolution")
    )
    return done(
        incident, f"{incident.key} is resolved; {incident.reporter} has been asked to confirm."
    )


@sub("incident", "close", "Confirm the fix and close", ID)
def close(call: Call) -> Reply:
    incident = incidents.close_incident(call.ctx, call.actor, call.arg("id"))
    return done(incident, f"{incident.key} is closed. Thank you!")


@sub(
    "incident",
    "reopen",
    "Reopen a resolved incident",
    ID,
    Arg("reason", required=False, rest=True, help="Why"),
)
def reopen(call: Call) -> Reply:
    incident = incidents.reopen_incident(call.ctx, call.actor, call.arg("id"), call.arg("reason"))
    return done(incident, f"{incident.key} is reopened.")


@sub(
    "incident",
    "cancel",
    "Cancel an incident opened by mistake",
    ID,
    Arg("reason", required=False, rest=True, help="Why"),
)
def cancel(call: Call) -> Reply:
    incident = incidents.cancel_incident(call.ctx, call.actor, call.arg("id"), call.arg("reason"))
    return done(incident, f"{incident.key} is cancelled.")
