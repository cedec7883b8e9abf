"""/kb: the known-error database — search it, read one known error."""

from __future__ import annotations

from bot.commands.spec import TABLE, Arg, Call, Flag, Reply
from bot.templates import render
from domain import problems

TABLE.command("kb", "Search the known-error database for workarounds")


@TABLE.subcommand(
    "kb",
    "search",
    "Search known errors by their symptoms",
    Arg("text", rest=True, help="What you see, in a few words"),
    flags=(Flag("service", "only this service's known errors", "NAME"),),
)
def search(call: Call) -> Reply:
    found = problems.search_known_errors(
        call.ctx, call.actor, call.arg("text"), service=call.option("service")
    )
    return Reply(render("problem/kb_results", words=found.words, known_errors=found.known_errors))


@TABLE.subcommand(
    "kb", "show", "Show a known error and its workaround", Arg("id", help="e.g. KE-3")
)
def show(call: Call) -> Reply:
    known = problems.get_known_error(call.ctx, call.arg("id"))
    return Reply(render("problem/kb_detail", known_error=problems.known_error_data(known)))
