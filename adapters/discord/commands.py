"""/incident, /problem, /kb and /desk as Discord application commands, generated from the
shared grammar, and the message command "Add to timeline" (adapters/discord/marks.py).

Every subcommand of `bot.grammar.COMMANDS` becomes a Discord subcommand whose options are the
grammar's arguments and flags; an invocation is turned back into the grammar's argv, so the
grammar and the domain decide what it means, exactly as on Slack and the console.
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from adapters.discord import autocomplete
from adapters.discord.marks import timeline_command
from bot import grammar
from bot.actions import machine, subject_types
from bot.commands import COMMANDS, Subcommand

Completer = Callable[..., Awaitable[list[app_commands.Choice[str]]]]

# Options whose values come from the desk while the person types.
AUTOCOMPLETE: dict[str, Completer] = {
    "to": autocomplete.assignees,
    "service": autocomplete.services,
    "category": autocomplete.categories,
    "team": autocomplete.teams,
    "topic": autocomplete.topics,
    "problem": autocomplete.problems,  # /incident link INC-7 PRB-…
    "incident": autocomplete.incidents,  # /problem unlink PRB-2 INC-…
}
# The subject an "id" names, by its kind (what the subcommand acts on).
ID_COMPLETERS: dict[str, Completer] = {
    "incident": autocomplete.incidents,
    "problem": autocomplete.problems,
}
OPTIONAL_ARGS = {("incident", "new", "title")}  # no title: /incident new opens a form


def subject_of(command: str, subcommand: str) -> str | None:
    """The kind of subject a subcommand acts on: the machine whose action it is (/problem
    adopt → suggestion), else the one named like the command (/problem list → problem)."""
    kinds = subject_types()
    for kind in kinds:
        found = machine(kind)
        if found.command_name == command and found.action(subcommand) is not None:
            return kind
    return command if command in kinds else None


def state_choices(command: str) -> list[app_commands.Choice[str]]:
    """--state of a command's list: the states of its subjects, as people read them (a
    closed list the grammar does not spell out)."""
    if command not in subject_types():
        return []
    return [
        app_commands.Choice(name=label, value=state)
        for state, label in machine(command).labels.items()
    ]


def completer_for(command: str, subcommand: str, option: str) -> Completer | None:
    """What suggests values for an option while the person types, if anything does."""
    if option == "id":
        return ID_COMPLETERS.get(subject_of(command, subcommand) or "")
    return AUTOCOMPLETE.get(option)


def build_tree(client: discord.Client) -> app_commands.CommandTree:
    """A command tree with every command of the table; callbacks reach the desk via
    `client.desk`."""
    tree = app_commands.CommandTree(client)
    for command in COMMANDS.values():
        group = app_commands.Group(name=command.name, description=command.summary[:100])
        for sub in command.subcommands.values():
            group.add_command(
                app_commands.Command(
                    name=sub.name,
                    description=sub.summary[:100],
                    callback=_callback(command.name, sub),
                    parent=group,
                )
            )
        tree.add_command(group)
    tree.add_command(timeline_command())  # a message's "Add to timeline" (major incidents)
    return tree


def to_argv(command: str, sub: Subcommand, options: dict[str, Any]) -> list[str]:
    """The grammar's argv for an invocation; option values are taken literally."""
    args = [str(options[a.name]) for a in sub.args if options.get(a.name) not in (None, "")]
    flags = {
        f.name: bool(options.get(f.name)) if f.is_switch else options.get(f.name) for f in sub.flags
    }
    return grammar.build_argv(command, sub.name, args, flags)


def _callback(command: str, sub: Subcommand) -> Callable[..., Awaitable[None]]:
    # An option named like a Python keyword (--for) gets a parameter name of its own
    # ("for_") and keeps its name on Discord; the grammar's names are given back here.
    renames: dict[str, str] = {}

    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        desk = getattr(interaction.client, "desk", None)
        if desk is not None:
            named = {renames.get(k, k): v for k, v in options.items()}
            await desk.run_command(interaction, command, sub, named)

    # discord.py reads a command's options from its callback's signature: build one from the
    # grammar's definitions (keyword-only, so optional and required may come in any order).
    params = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    descriptions: dict[str, str] = {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    completers: dict[str, Any] = {}
    for arg in sub.args:
        required = arg.required and (command, sub.name, arg.name) not in OPTIONAL_ARGS
        name = _python_name(arg.name, renames)
        params.append(_param(name, str, required))
        descriptions[name] = arg.help or arg.name
    for flag in sub.flags:
        name = _python_name(flag.name, renames)
        params.append(_param(name, bool if flag.is_switch else str, False))
        descriptions[name] = flag.help
        if flag.choices:
            choices[name] = [app_commands.Choice(name=c, value=c) for c in flag.choices]
        elif flag.name == "state" and state_choices(command):
            choices[name] = state_choices(command)
    for name in descriptions:
        completer = completer_for(command, sub.name, renames.get(name, name))
        if completer is not None and name not in choices:
            completers[name] = _bind_completer(completer, sub.name)
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__qualname__ = callback.__name__ = f"{command}_{sub.name}"
    callback.__discord_app_commands_param_description__ = descriptions  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_autocomplete__ = completers  # type: ignore[attr-defined]
    # Discord shows (and sends) the grammar's name: "for", not "for_".
    callback.__discord_app_commands_param_rename__ = dict(renames)  # type: ignore[attr-defined]
    return callback


def _python_name(option: str, renames: dict[str, str]) -> str:
    """A parameter name for an option: itself, or with "_" after a Python keyword."""
    if option.isidentifier() and not keyword.iskeyword(option):
        return option
    name = option.replace("-", "_") + "_"
    renames[name] = option
    return name


def _param(name: str, kind: type, required: bool) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=kind if required else kind | None,
        default=inspect.Parameter.empty if required else None,
    )


def _bind_completer(completer: Callable[..., Any], subcommand: str) -> Callable[..., Any]:
    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await completer(interaction, current, subcommand)

    return complete
