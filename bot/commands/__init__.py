"""The desk's commands: one module per process, each registering its subcommands and
handlers in `TABLE`. Add a process's module to the imports below (order is help order)."""

from bot.commands import (  # noqa: F401  (registers their subcommands)
    access,
    dashboard,
    desk,
    event,
    incident,
    kb,
    major,
    metrics,
    oncall,
    problem,
    request,
    survey,
)
from bot.commands.spec import TABLE, Arg, Call, Command, Flag, Invocation, Reply, Subcommand

TABLE.order(
    ("incident", "major", "oncall", "event", "request", "access", "problem", "kb", "survey", "desk")
)
COMMANDS = TABLE.commands

__all__ = [
    "COMMANDS",
    "TABLE",
    "Arg",
    "Call",
    "Command",
    "Flag",
    "Invocation",
    "Reply",
    "Subcommand",
]
