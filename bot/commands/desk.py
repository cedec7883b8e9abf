"""/desk: help and information about the desk itself. Other processes may add to it."""

from __future__ import annotations

from bot import grammar
from bot.commands.spec import TABLE, Arg, Call, Reply

TABLE.command("desk", "Help and information about the desk")


@TABLE.subcommand(
    "desk",
    "help",
    "Show commands, or the usage of one",
    Arg("topic", required=False, rest=True, help="A command, e.g. incident claim"),
)
def help_(call: Call) -> Reply:
    return Reply(grammar.help_text(call.arg("topic")))


@TABLE.subcommand("desk", "whoami", "Show who the desk thinks you are and your roles")
def whoami(call: Call) -> Reply:
    actor = call.actor
    teams = ", ".join(t.name for t in call.ctx.policy.teams_of(actor.name)) or "no team"
    roles = ", ".join(sorted(actor.roles))
    return Reply(
        f"You are {actor.name} ({actor.display_name or actor.name}) — roles: {roles}; teams: {teams}."
    )
