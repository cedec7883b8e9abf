"""How a command is declared: its arguments, flags and help, next to the handler that runs it.

Each process module in `bot/commands/` adds its subcommands to the one table, `TABLE`, with
the `subcommand` decorator; a module may add subcommands to another process's command
(problems add `/incident link`). The grammar parses against the table and the dispatcher
looks handlers up in it: neither holds per-command code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.context import Actor, DeskContext

if TYPE_CHECKING:
    from bot.forms import Form
    from bot.identity import PlatformIdentity


@dataclass(frozen=True)
class Arg:
    """A positional argument; `rest` takes every remaining word (titles, notes)."""

    name: str
    required: bool = True
    rest: bool = False
    help: str = ""


@dataclass(frozen=True)
class Flag:
    """A --flag, with a value (maybe limited to `choices`) or a plain switch.

    A TEXT flag (`--description`) takes every word up to the next flag; any other flag
    takes one word, so `--for 4h deploy fix` leaves "deploy fix" where it was.
    """

    name: str
    help: str
    metavar: str | None = None
    choices: tuple[str, ...] = ()

    @property
    def is_switch(self) -> bool:
        return self.metavar is None and not self.choices

    @property
    def is_text(self) -> bool:
        return self.metavar == "TEXT"

    def usage(self) -> str:
        if self.is_switch:
            return f"[--{self.name}]"
        return f"[--{self.name} {'|'.join(self.choices) or self.metavar}]"


@dataclass(frozen=True)
class Invocation:
    """A parsed command: which one, its positional arguments and its flags."""

    command: str
    subcommand: str
    args: dict[str, str]
    flags: dict[str, str | bool]

    def arg(self, name: str, default: str = "") -> str:
        return self.args.get(name, default)


@dataclass(frozen=True)
class Reply:
    """What goes back to the person who asked. Adapters choose how to show it."""

    text: str
    ok: bool = True
    private: bool = True
    subject_type: str | None = None  # what was acted on ("incident"…), if anything
    subject: dict | None = None  # its snapshot, for adapters that show cards
    duplicate: bool = False  # a delivery already acted on: the first one was answered
    # Nothing was done and the same delivery may come again (the platform could not say
    # who asked): it is not remembered as handled.
    retry: bool = False
    # Questions still to ask (a catalogue request with answers missing): adapters show a
    # form where the platform has one; the text says how to type the answers instead.
    form: Form | None = None

    @property
    def incident(self) -> dict | None:
        """The incident acted on, if the subject was one."""
        return self.subject if self.subject_type == "incident" else None


@dataclass(frozen=True)
class Call:
    """One run of a handler: the unit of work, who asked, and what they typed."""

    ctx: DeskContext
    actor: Actor
    identity: PlatformIdentity
    invocation: Invocation

    def arg(self, name: str, default: str = "") -> str:
        """A positional argument's text."""
        return self.invocation.arg(name, default)

    def option(self, name: str) -> str | None:
        """A flag's value, or None when it was not given."""
        value = self.invocation.flags.get(name)
        return str(value) if value not in (None, True, False) else None

    def switch(self, name: str) -> bool:
        """Whether a switch (a flag without a value) was given."""
        return bool(self.invocation.flags.get(name))


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Subcommand:
    name: str
    summary: str
    args: tuple[Arg, ...] = ()
    flags: tuple[Flag, ...] = ()
    handler: Handler | None = field(default=None, compare=False, repr=False)

    def usage(self, command: str) -> str:
        words = [f"/{command}", self.name]
        for arg in self.args:
            shown = arg.name.upper() + ("…" if arg.rest else "")
            words.append(shown if arg.required else f"[{shown}]")
        words += [flag.usage() for flag in self.flags]
        return " ".join(words)


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    subcommands: dict[str, Subcommand] = field(default_factory=dict)


class CommandTable:
    """Every command the desk understands, in the order processes declared them."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}

    def command(self, name: str, summary: str) -> Command:
        """Declare a command (once); a second declaration must agree on nothing but the name."""
        if name not in self.commands:
            self.commands[name] = Command(name, summary)
        return self.commands[name]

    def order(self, names: tuple[str, ...]) -> None:
        """Put these commands first, in this order (help lists commands in table order)."""
        ordered = {n: self.commands[n] for n in names if n in self.commands}
        rest = {n: c for n, c in self.commands.items() if n not in ordered}
        self.commands.clear()
        self.commands.update(ordered | rest)

    def subcommand(
        self,
        command: str,
        name: str,
        summary: str,
        *args: Arg,
        flags: tuple[Flag, ...] = (),
    ) -> Callable[[Handler], Handler]:
        """Register the decorated function as the handler of `/command name`."""

        def register(handler: Handler) -> Handler:
            owner = self.commands.get(command)
            if owner is None:
                raise ValueError(f"/{command} is not declared; declare it with TABLE.command")
            if name in owner.subcommands:
                raise ValueError(f"/{command} {name} is declared twice")
            owner.subcommands[name] = Subcommand(name, summary, args, flags, handler)
            return handler

        return register

    def handler(self, invocation: Invocation) -> Handler:
        """The handler of a parsed invocation."""
        handler = self.commands[invocation.command].subcommands[invocation.subcommand].handler
        if handler is None:
            raise LookupError(f"/{invocation.command} {invocation.subcommand} has no handler")
        return handler


TABLE = CommandTable()
