"""/major: run a major incident from chat — declare, roles, updates, timeline, resolve,
review, action items. Also `/incident major INC-7`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from bot.commands.spec import TABLE, Arg, Call, Flag, Reply
from bot.identity import resolve_person_name
from bot.templates import render
from domain import major
from domain.errors import InvalidInput
from domain.major import MajorIncident
from domain.notifications import snapshot

TABLE.command("major", "Run major incidents: war rooms, roles, status updates, reviews")
sub = TABLE.subcommand

# A leading "INC-42" (or "#42") names the major incident; without it, the one the person
# has a role in (or the only one in progress) is meant. Buttons put the key there.
LEADING_KEY = re.compile(r"^\s*((?:inc-|#)\d+)\b\s*", re.IGNORECASE)
TEXT = Arg("text", required=False, rest=True, help="INC-42 (optional), then the text")
KEY = Arg("incident", required=False, help="The incident, e.g. INC-42 (default: yours)")


def split_key(text: str) -> tuple[str | None, str]:
    """("INC-42", "the rest") from "INC-42 the rest"; (None, text) without a leading key."""
    found = LEADING_KEY.match(text)
    if found is None:
        return None, text
    return found.group(1), text[found.end() :]


def about(record: MajorIncident, text: str) -> Reply:
    """A reply about a major incident (adapters may show its status)."""
    return Reply(text, subject_type="major", subject=snapshot(record))


def _person(call: Call, reference: str) -> str:
    return resolve_person_name(call.ctx, call.identity.platform, reference)


@sub(
    "major",
    "declare",
    "Declare a major incident: a war room, a commander, status updates",
    Arg("title", required=False, rest=True, help="What is wrong, in a few words"),
    flags=(
        Flag("service", "the affected service", "NAME"),
        Flag("commander", "who is in command (default: you)", "PERSON"),
    ),
)
def declare(call: Call) -> Reply:
    commander = call.option("commander")
    found = major.declare(
        call.ctx,
        call.actor,
        title=call.arg("title"),
        service=call.option("service"),
        commander=_person(call, commander) if commander else None,
    )
    return about(found, _declared(found))


@sub(
    "incident",
    "major",
    "Run an incident as a major incident (a war room, roles, updates)",
    Arg("id", help="The incident, e.g. INC-42"),
    flags=(Flag("commander", "who is in command (default: you)", "PERSON"),),
)
def incident_major(call: Call) -> Reply:
    commander = call.option("commander")
    found = major.declare_incident(
        call.ctx,
        call.actor,
        call.arg("id"),
        commander=_person(call, commander) if commander else None,
    )
    return about(found, _declared(found))


def _declared(found: MajorIncident) -> str:
    return (
        f"{found.key} [{found.priority}] is a major incident. Its war room #{found.room_name} "
        "is being made; I'll send you its link."
    )


@sub(
    "major",
    "role",
    "Give a role: commander, communications, scribe or responder",
    Arg("role", help="commander, communications, scribe or responder"),
    Arg("person", help="Who, e.g. @carol"),
    KEY,
)
def role(call: Call) -> Reply:
    found = major.find(call.ctx, call.actor, call.arg("incident") or None)
    said = major.give_role(
        call.ctx, call.actor, found, call.arg("role").lower(), _person(call, call.arg("person"))
    )
    return about(found, said)


@sub("major", "join", "Join a major incident as a responder", KEY)
def join(call: Call) -> Reply:
    found = major.find(call.ctx, call.actor, call.arg("incident") or None)
    return about(found, major.join(call.ctx, call.actor, found))


@sub("major", "leave", "Leave a major incident (the commander hands over first)", KEY)
def leave(call: Call) -> Reply:
    found = major.find(call.ctx, call.actor, call.arg("incident") or None)
    return about(found, major.leave(call.ctx, call.actor, found))


@sub(
    "major",
    "update",
    "Post a status update to the war room and the stakeholders",
    TEXT,
    flags=(
        Flag("status", "where things stand", choices=major.STATUSES[:-1]),
        Flag("impact", "who or what is affected", "TEXT"),
        Flag("public", "may be shown outside (a status page)"),
    ),
)
def update(call: Call) -> Reply:
    key, text = split_key(call.arg("text"))
    found = major.find(call.ctx, call.actor, key)
    posted = major.post_update(
        call.ctx,
        call.actor,
        found,
        text,
        status=call.option("status"),
        impact=call.option("impact"),
        public=call.switch("public"),
    )
    return about(found, f"Update posted to {found.key} ({posted.status}).")


@sub("major", "note", "Add a line to the timeline", TEXT)
def note(call: Call) -> Reply:
    key, text = split_key(call.arg("text"))
    found = major.find(call.ctx, call.actor, key)
    major.add_note(call.ctx, call.actor, found, text)
    return about(found, f"Added to {found.key}'s timeline.")


@sub("major", "timeline", "Show a major incident's timeline", KEY)
def timeline(call: Call) -> Reply:
    found = major.find(call.ctx, call.actor, call.arg("incident") or None, for_update=False)
    major.require_insider(call.ctx, call.actor, found)
    lines = major.lines(call.ctx, found)
    return about(found, render("major/major_timeline", key=found.key, lines=lines))


@sub("major", "show", "Show a major incident: status, roles, updates, action items", KEY)
def show(call: Call) -> Reply:
    found = major.find(call.ctx, call.actor, call.arg("incident") or None, for_update=False)
    major.require_insider(call.ctx, call.actor, found)
    data = major.review_data(call.ctx, found)
    text = render(
        "major/major_detail",
        major=snapshot(found),
        metrics=data["metrics"],
        updates=data["updates"],
        actions=data["actions"],
    )
    return about(found, text)


@sub(
    "major",
    "list",
    "List major incidents in progress",
    flags=(Flag("all", "include resolved and archived ones"),),
)
def list_(call: Call) -> Reply:
    found = major.list_majors(call.ctx, include_ended=call.switch("all"))
    majors = [snapshot(m) for m in found]
    return Reply(render("major/major_list", majors=majors, all=call.switch("all")))


@sub(
    "major",
    "resolve",
    "Resolve the incident, post the final update, archive the room later",
    TEXT,
    flags=(Flag("public", "the resolution may be shown outside (a status page)"),),
)
def resolve(call: Call) -> Reply:
    key, text = split_key(call.arg("text"))
    found = major.find(call.ctx, call.actor, key)
    if not text.strip():
        raise InvalidInput(f'Say what fixed it: /major resolve {found.key} "failed over to DC2".')
    major.resolve(call.ctx, call.actor, found, text, public=call.switch("public"))
    return about(
        found, f"{found.key} resolved; the reporter confirms, and the room is archived later."
    )


@sub("major", "review", "Write the post-incident review from the record and post it", KEY)
def review(call: Call) -> Reply:
    found = major.find(call.ctx, call.actor, call.arg("incident") or None)
    document = render_review(call.ctx, found)
    name = major.keep_review(call.ctx, call.actor, found, document)
    where = "posted to the war room" if found.state != "archived" else "kept with the incident"
    return about(
        found,
        f"Review of {found.key} written ({len(document.splitlines())} lines) and {where} as "
        f"{name}; `deskbot review export {found.key}` prints it.",
    )


def render_review(ctx, found: MajorIncident) -> str:
    """The post-incident review as Markdown, from the record as it is now."""
    return render("major/review.md", **major.review_data(ctx, found)) + "\n"


@sub(
    "major",
    "action",
    "Add an action item with an owner (reminded when due)",
    TEXT,
    flags=(
        Flag("owner", "who does it", "PERSON"),
        Flag("due", "when it is due", "YYYY-MM-DD"),
    ),
)
def action(call: Call) -> Reply:
    key, text = split_key(call.arg("text"))
    owner = call.option("owner")
    if not owner:
        raise InvalidInput('Say who owns it: /major action "add a VPN alert" --owner @bob.')
    found = major.find(call.ctx, call.actor, key)
    item = major.add_action(
        call.ctx,
        call.actor,
        found,
        text,
        owner=_person(call, owner),
        due=_due(call.option("due")),
    )
    return about(found, f"{item.key} recorded for @{item.owner}.")


def _due(value: str | None) -> datetime | None:
    """A due date is the end of that day, UTC."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"'{value[:20]}' is not a date; use the form 2027-01-15.") from None
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


@sub(
    "major",
    "actions",
    "List action items: yours, or a major incident's",
    KEY,
)
def actions(call: Call) -> Reply:
    wanted = call.arg("incident")
    if wanted:
        found = major.find(call.ctx, call.actor, wanted, for_update=False)
        major.require_insider(call.ctx, call.actor, found)
        items = major.items_of(call.ctx, found)
    else:
        items = major.open_items_of(call.ctx, call.actor.name)
    return Reply(
        render(
            "major/action_list",
            items=[
                major.action_data(i) | {"state": major.ACTION_ITEM.label(i.state)} for i in items
            ],
        )
    )


@sub("major", "done", "Close an action item", Arg("id", help="The action item, e.g. ACT-3"))
def done(call: Call) -> Reply:
    item = major.close_action(call.ctx, call.actor, call.arg("id"))
    return Reply(f"{item.key} is done.", subject_type="major_action", subject=snapshot(item))
