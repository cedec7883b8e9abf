"""/request: request fulfilment — the catalogue, a request's form, approvals and the
fulfilment task. Definitions, help and handlers together."""

from __future__ import annotations

import re

from bot.commands.spec import TABLE, Arg, Call, Flag, Reply
from bot.forms import Form, Question
from bot.identity import resolve_person_name
from bot.templates import render
from domain import requests
from domain.notifications import snapshot
from domain.policy import DeskPolicy
from domain.requests import CatalogItem, RequestRecord

ID = Arg("id", help="The request, e.g. REQ-7")

TABLE.command(
    "request", "Ask for something from the service catalogue; approve and fulfil requests"
)
sub = TABLE.subcommand


def done(request: RequestRecord, text: str) -> Reply:
    """A reply about a request the command acted on."""
    return Reply(text, subject_type="request", subject=snapshot(request))


def parse_answers(item: CatalogItem, text: str) -> dict[str, str]:
    """`model=developer needed_by=2027-01-31 reason=my old one broke` → answers.

    A value runs to the next `field=` of this item, so values need no quotes; a word such
    as `a=b` that names no field of the item stays part of the value before it. Text
    before the first field is refused: it is an answer nobody asked for.
    """
    if not text.strip():
        return {}
    names = "|".join(re.escape(f.name) for f in item.fields) or "(?!)"
    marks = list(re.finditer(rf"(?:^|\s)({names}|[a-z_][a-z0-9_]*)=", text))
    # Only field names of the item start an answer; an unknown name=… at the very start
    # (or after a known one) is reported by the domain as an unknown field.
    starts = [m for m in marks if m.group(1) in {f.name for f in item.fields} or m.start() == 0]
    if not starts or text[: starts[0].start()].strip():
        example = " ".join(f"{f.name}=…" for f in item.fields[:3])
        raise requests.InvalidAnswers(
            f"Give answers as field=value: /request new {item.id} {example}"
        )
    answers: dict[str, str] = {}
    for here, after in zip(starts, [*starts[1:], None], strict=True):
        end = after.start() if after else len(text)
        value = text[here.end() : end].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if here.group(1) in answers:
            raise requests.InvalidAnswers(f"{here.group(1)} is given twice.")
        answers[here.group(1)] = value
    return answers


def request_form(item: CatalogItem, given: dict[str, str], missing: list[str]) -> Form:
    """The form that finishes a request: every field of its item, the typed answers kept."""
    questions = tuple(
        Question(
            name=f.name,
            label=f.title,
            kind=f.type,
            required=f.required and f.default is None,
            choices=f.choices,
            help=f.help,
            rule=f.rule(),
            limit=f.limit,
            minimum=None if f.minimum is None else str(f.minimum),
            maximum=None if f.maximum is None else str(f.maximum),
        )
        for f in item.fields
    )
    return Form(
        title=item.title,
        command="request",
        subcommand="new",
        fixed=(item.id,),
        questions=questions,
        given=dict(given),
        missing=tuple(missing),
    )


def form_to_finish(policy: DeskPolicy, words: str) -> Form | None:
    """For `new ITEM [answers]` typed with required answers missing: the form that asks for
    them (adapters open it at once, while a platform still lets them). None when nothing is
    missing or the words are not such a request: the command itself then answers."""
    name, _, rest = words.strip().partition(" ")
    item_id, _, typed = rest.strip().partition(" ")
    item = policy.catalog.get(item_id.lower())
    if name.lower() != "new" or item is None:
        return None
    try:
        given = parse_answers(item, typed)
    except requests.InvalidAnswers:
        return None
    missing = [
        f.name for f in item.fields if f.required and f.default is None and not given.get(f.name)
    ]
    return request_form(item, given, missing) if missing else None


@sub("request", "catalog", "What you can request")
def catalog(call: Call) -> Reply:
    return Reply(render("request/catalog", items=requests.catalog_for(call.ctx, call.actor)))


@sub(
    "request",
    "new",
    "Request a catalogue item (a form asks for what you leave out)",
    Arg("item", help="The catalogue item, e.g. software-licence"),
    Arg("answers", required=False, rest=True, help="field=value … (see /request catalog)"),
)
def new(call: Call) -> Reply:
    item = requests.find_item(call.ctx, call.arg("item"))
    if item.fulfilment.directory == "reset_password":  # the catalogue's way to /desk password
        return _start_reset(call, "catalog")
    answers = parse_answers(item, call.arg("answers"))
    for field in item.fields:
        if field.type == "person" and answers.get(field.name):
            answers[field.name] = resolve_person_name(
                call.ctx, call.identity.platform, answers[field.name]
            )
    try:
        request = requests.submit_request(call.ctx, call.actor, item.id, answers)
    except requests.MissingAnswers as missing:
        # Nothing was written: the form's answers come back through this same command.
        form = request_form(item, missing.given, [f.name for f in missing.missing])
        return Reply(missing.message, ok=False, form=form)
    return done(request, render("request/request_submitted_reply", request=snapshot(request)))


@sub("request", "show", "Show a request, its approvals and its steps", ID)
def show(call: Call) -> Reply:
    detail = requests.show_request(call.ctx, call.actor, call.arg("id"))
    text = render(
        "request/request_detail",
        request=snapshot(detail.request),
        decisions=detail.decisions,
        waiting_on=detail.waiting_on,
        timeline=detail.timeline,
        show_timeline=True,
    )
    return Reply(text, subject_type="request", subject=snapshot(detail.request))


@sub(
    "request",
    "list",
    "Your requests; what waits for your approval; a team's fulfilment queue",
    flags=(
        Flag("approvals", "requests waiting for your approval"),
        Flag("team", "a team's requests to fulfil (agents)", "NAME"),
        Flag("all", "include fulfilled, denied and cancelled"),
    ),
)
def list_(call: Call) -> Reply:
    found = requests.list_requests(
        call.ctx,
        call.actor,
        approvals_only=call.switch("approvals"),
        team=call.option("team"),
        include_closed=call.switch("all"),
    )
    return Reply(
        render(
            "request/request_list",
            title=found.title,
            requests=found.requests,
            total=found.total,
            label=requests.REQUEST.label,
        )
    )


@sub(
    "request",
    "approve",
    "Approve a request you were asked to approve",
    ID,
    Arg("note", required=False, rest=True, help="A note for the requester (optional)"),
)
def approve(call: Call) -> Reply:
    request = requests.approve_request(call.ctx, call.actor, call.arg("id"), call.arg("note"))
    if request.state == "awaiting_approval":
        return done(request, f"You approved {request.key}; it needs more approvals.")
    return done(
        request,
        f"You approved {request.key}; it is now {snapshot(request)['state_label'].lower()}.",
    )


@sub(
    "request",
    "deny",
    "Deny a request, saying why",
    ID,
    Arg("reason", rest=True, help="Why (the requester reads this)"),
)
def deny(call: Call) -> Reply:
    request = requests.deny_request(call.ctx, call.actor, call.arg("id"), call.arg("reason"))
    return done(request, f"You denied {request.key}; @{request.requester} has been told why.")


@sub("request", "claim", "Take an approved request's task", ID)
def claim(call: Call) -> Reply:
    request = requests.claim_request(call.ctx, call.actor, call.arg("id"))
    return done(request, f'You are now fulfilling {request.key} "{request.title}".')


@sub(
    "request",
    "done",
    "Mark a request fulfilled",
    ID,
    Arg("note", required=False, rest=True, help="What the requester should know (optional)"),
)
def done_(call: Call) -> Reply:
    request = requests.fulfil_request(call.ctx, call.actor, call.arg("id"), call.arg("note"))
    return done(request, f"{request.key} is fulfilled; @{request.requester} has been told.")


@sub("request", "retry", "Run a request's directory action again", ID)
def retry(call: Call) -> Reply:
    request = requests.retry_request(call.ctx, call.actor, call.arg("id"))
    if request.state == "fulfilled":
        return done(request, f"{request.key} is fulfilled: {request.outcome}")
    return done(request, f"The directory failed again for {request.key}; it will be retried.")


@sub(
    "request",
    "comment",
    "Say something to the requester, or to whoever is handling your request",
    ID,
    Arg("text", rest=True, help="The comment"),
)
def comment(call: Call) -> Reply:
    request = requests.comment_request(call.ctx, call.actor, call.arg("id"), call.arg("text"))
    return done(request, f"Comment added to {request.key}.")


@sub(
    "request",
    "cancel",
    "Withdraw a request that is still open",
    ID,
    Arg("reason", required=False, rest=True, help="Why (optional)"),
)
def cancel(call: Call) -> Reply:
    request = requests.cancel_request(call.ctx, call.actor, call.arg("id"), call.arg("reason"))
    return done(request, f"{request.key} is cancelled.")


@sub("desk", "password", "Reset your password: a one-time link comes by DM")
def password(call: Call) -> Reply:
    return _start_reset(call, "command")


def _start_reset(call: Call, via: str) -> Reply:
    requests.start_reset(call.ctx, call.actor, via, platform=call.identity.platform)
    return Reply(
        "I sent you a one-time link by DM: open it within 15 minutes. The page asks for a "
        "code that comes to your recovery email address — type it there, never in chat."
    )
