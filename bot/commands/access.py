"""/access: access management — ask for a resource's role for a while, approve, renew,
revoke, review and reconcile. Definitions, help and handlers together."""

from __future__ import annotations

from datetime import timedelta

from bot.commands.spec import TABLE, Arg, Call, Flag, Reply
from bot.templates import render
from domain import access
from domain.access import AccessGrant
from domain.clock import format_duration, parse_duration
from domain.errors import InvalidInput
from domain.notifications import snapshot

ID = Arg("id", help="The access grant, e.g. ACC-7")
FOR = Flag("for", "how long, e.g. 4h or 2d (at most the resource's maximum)", "DURATION")

TABLE.command("access", "Ask for time-bound access to a resource; approve, renew and revoke it")
sub = TABLE.subcommand


def done(grant: AccessGrant, text: str) -> Reply:
    """A reply about a grant the command acted on."""
    return Reply(text, subject_type="access", subject=snapshot(grant))


def duration_of(call: Call) -> timedelta | None:
    """--for 4h → 4 hours; a clear error for anything else."""
    text = call.option("for")
    if text is None:
        return None
    found = parse_duration(text)
    if found is None:
        raise InvalidInput(f'--for takes a duration such as 30m, 4h or 2d, not "{text[:40]}".')
    return found


@sub("access", "resources", "What you can ask access to, its roles and owners")
def resources(call: Call) -> Reply:
    shown = [
        {
            "name": r.name,
            "description": r.description,
            "roles": list(r.roles),
            "owners": list(r.owners),
            "approvals": r.approvals,
            "max_duration": format_duration(r.max_duration),
            "break_glass": list(r.break_glass.teams) if r.break_glass else [],
        }
        for r in access.resources_for(call.ctx)
    ]
    return Reply(render("access/resources", resources=shown))


@sub(
    "access",
    "request",
    "Ask for a resource's role for a while, saying why",
    Arg("resource", help="The resource, e.g. prod-db (see /access resources)"),
    Arg("reason", required=False, rest=True, help="Why you need it (its owners read this)"),
    flags=(Flag("role", "the role, when the resource has several", "ROLE"), FOR),
)
def request(call: Call) -> Reply:
    grant = access.request_access(
        call.ctx,
        call.actor,
        call.arg("resource"),
        role=call.option("role"),
        duration=duration_of(call),
        reason=call.arg("reason"),
    )
    what = (
        f"{grant.resource}:{grant.role} for {format_duration(timedelta(seconds=grant.duration_s))}"
    )
    if grant.break_glass:
        state = "active" if grant.state == "granted" else "approved; the directory is being updated"
        return done(
            grant,
            f"{grant.key}: break-glass {what} — {state}, until {grant.expires_at:%H:%M} UTC. "
            "This is announced in the security channel.",
        )
    return done(
        grant, f"{grant.key}: you asked for {what}. {_waiting(grant)}; I'll DM you each step."
    )


def _waiting(grant: AccessGrant, lead: str = "Waiting") -> str:
    """ "Waiting for approval by carol, frank (2 must approve)"."""
    asked = grant.asked
    people = ", ".join(asked.people)
    if asked.required <= 1:
        return f"{lead} for approval by {people}"
    must = "both" if asked.required == len(asked.people) == 2 else str(asked.required)
    if asked.required == len(asked.people) > 2:
        must = "all"
    return f"{lead} for approval by {people} ({must} must approve)"


@sub(
    "access",
    "approve",
    "Approve access you were asked to approve (never your own)",
    ID,
    Arg("note", required=False, rest=True, help="A note for the requester (optional)"),
)
def approve(call: Call) -> Reply:
    grant = access.approve_access(call.ctx, call.actor, call.arg("id"), call.arg("note"))
    if grant.state == "pending":
        return done(grant, f"You approved {grant.key}; it needs more approvals.")
    return done(
        grant, f"You approved {grant.key}; it is now {snapshot(grant)['state_label'].lower()}."
    )


@sub(
    "access",
    "deny",
    "Deny an access request, saying why",
    ID,
    Arg("reason", rest=True, help="Why (the requester reads this)"),
)
def deny(call: Call) -> Reply:
    grant = access.deny_access(call.ctx, call.actor, call.arg("id"), call.arg("reason"))
    return done(grant, f"You denied {grant.key}; @{grant.person} has been told why.")


@sub(
    "access",
    "cancel",
    "Withdraw your access request while it waits for approval",
    ID,
    Arg("reason", required=False, rest=True, help="Why (optional)"),
)
def cancel(call: Call) -> Reply:
    grant = access.cancel_access(call.ctx, call.actor, call.arg("id"), call.arg("reason"))
    return done(grant, f"{grant.key} is cancelled.")


@sub(
    "access",
    "revoke",
    "End access now: your own, or (owners, admins) someone's",
    ID,
    Arg("reason", required=False, rest=True, help="Why (the holder reads this)"),
)
def revoke(call: Call) -> Reply:
    grant = access.revoke_access(call.ctx, call.actor, call.arg("id"), call.arg("reason"))
    if grant.state == "ending":
        return done(
            grant,
            f"{grant.key} is being revoked: the directory could not remove it yet, and it is "
            "retried until it has.",
        )
    return done(grant, f"{grant.key} is revoked; the directory no longer gives it.")


@sub(
    "access",
    "renew",
    "Ask for more time on your access",
    ID,
    Arg("reason", required=False, rest=True, help="Why you still need it (optional)"),
    flags=(FOR,),
)
def renew(call: Call) -> Reply:
    grant = access.renew_access(
        call.ctx, call.actor, call.arg("id"), duration_of(call), call.arg("reason")
    )
    if grant.renewal_of is None:
        return done(grant, f"{grant.key} is renewed until {grant.expires_at:%Y-%m-%d %H:%M} UTC.")
    return done(
        grant,
        f"{grant.key} asks to renew ACC-{grant.renewal_of}; {_waiting(grant, 'waiting')}.",
    )


@sub(
    "access",
    "keep",
    "In an access review: keep a grant as it is",
    ID,
    Arg("note", required=False, rest=True, help="A note (optional)"),
)
def keep(call: Call) -> Reply:
    grant = access.keep_access(call.ctx, call.actor, call.arg("id"), call.arg("note"))
    return done(grant, f"{grant.key} is kept.")


@sub("access", "show", "Show a grant: who asked, who approved, its steps", ID)
def show(call: Call) -> Reply:
    detail = access.show_grant(call.ctx, call.actor, call.arg("id"))
    text = render(
        "access/grant_detail",
        access=snapshot(detail.grant),
        decisions=detail.decisions,
        timeline=detail.timeline,
    )
    return Reply(text, subject_type="access", subject=snapshot(detail.grant))


@sub(
    "access",
    "mine",
    "Your access and access requests",
    flags=(Flag("all", "include access that has ended"),),
)
def mine(call: Call) -> Reply:
    found = access.my_grants(call.ctx, call.actor, include_ended=call.switch("all"))
    return Reply(
        render(
            "access/grant_list", title=found.title, grants=found.grants, label=access.ACCESS.label
        )
    )


@sub(
    "access",
    "list",
    "Access to a resource (owners, agents); requests waiting for your approval",
    Arg("resource", required=False, help="The resource (default: those you own)"),
    flags=(
        Flag("approvals", "requests waiting for your approval"),
        Flag("all", "include access that has ended"),
    ),
)
def list_(call: Call) -> Reply:
    found = access.list_grants(
        call.ctx,
        call.actor,
        call.arg("resource") or None,
        approvals_only=call.switch("approvals"),
        include_ended=call.switch("all"),
    )
    return Reply(
        render(
            "access/grant_list", title=found.title, grants=found.grants, label=access.ACCESS.label
        )
    )


@sub(
    "access",
    "review",
    "Start an access review: each owner keeps or revokes every current grant",
    Arg("resource", help="The resource to review"),
)
def review(call: Call) -> Reply:
    started = access.start_review(call.ctx, call.actor, call.arg("resource"))
    if started.state == "done":
        return Reply(f"Nobody holds access to {started.resource}: the review is complete.")
    waiting = len(access.waiting_items(call.ctx, started))
    return Reply(
        f"Access review of {started.resource} started: its owners were sent {waiting} grants "
        "to keep or revoke, and are reminded daily until every one has an answer."
    )


@sub(
    "access",
    "reconcile",
    "Compare grants with the directory's groups and report drift",
    Arg("resource", required=False, help="One resource (default: all)"),
    flags=(Flag("repair", "remove members whose access has ended"),),
)
def reconcile(call: Call) -> Reply:
    name = call.arg("resource") or None
    if name:
        name = access.find_resource(call.ctx, name).name
    result = access.reconcile(call.ctx, call.actor, name, repair=call.switch("repair"))
    access.report(call.ctx, result)
    return Reply(
        render("access/reconciliation", result=result, repaired_asked=call.switch("repair"))
    )
