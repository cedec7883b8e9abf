"""One command grammar for every platform: the tokenizer, the parser and generated help.

`/incident claim INC-42` means the same in Slack, Discord and the console. Adapters hand
the text (or an argv they already split) to `parse`. What the commands are lives in
`bot/commands/` (one module per process); this module only reads that table.
"""

from __future__ import annotations

from bot.commands.spec import Command, Invocation, Subcommand

QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb"}
APOSTROPHES = ("'", "\u2018")  # an unclosed one is a letter: "it's", not a quote
MAX_INPUT = 20_000


class UsageError(Exception):
    """The text is not a valid command; `message` says why and `usage` how to write it."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage

    def __str__(self) -> str:
        return self.message + (f"\nUsage: {self.usage}" if self.usage else "")


def _table() -> dict[str, Command]:
    from bot.commands import COMMANDS  # the process modules import this module

    return COMMANDS


class Quoted(str):
    """A token that was one quoted phrase; `marks` are its quotes, to put back where the
    phrase is part of longer text."""

    marks: tuple[str, str] = ('"', '"')


def _quoted(text: str, opening: str) -> Quoted:
    token = Quoted(text)
    token.marks = (opening, QUOTES[opening])
    return token


def tokenize(text: str) -> list[str]:
    """Split on white space, keeping quoted phrases ("…", '…', “…”) together."""
    if len(text) > MAX_INPUT:
        raise UsageError(
            f"That command is too long ({len(text)} characters; the limit is {MAX_INPUT})."
        )
    tokens: list[str] = []
    current: list[str] = []
    in_token = False
    quote_opened: str | None = None  # the quote a token began with, if it began with one
    i = 0
    while i < len(text):
        char = text[i]
        # A quote opens a phrase only where a word (or a --flag= value) starts, so the
        # apostrophes in "won't" or "Bob's" stay ordinary letters.
        opens = char in QUOTES and (not in_token or (current and current[-1].endswith("=")))
        end = _closing_quote(text, i) if opens else -1
        if opens and end < 0 and char not in APOSTROPHES:
            closing = QUOTES[char]
            raise UsageError(f"A quote ({char}) is not closed: add the closing {closing}.")
        if end >= 0:
            if not in_token:  # a token that starts with a quote: it may be all quoted
                quote_opened = char
            current.append(text[i + 1 : end])
            in_token, i = True, end + 1
            whole = quote_opened is not None and len(current) == 1
            if whole and (i >= len(text) or text[i].isspace()):
                tokens.append(_quoted(current[0], quote_opened))
                current, in_token, quote_opened = [], False, None
            continue
        if char.isspace():
            if in_token:
                tokens.append("".join(current))
                current, in_token, quote_opened = [], False, None
        else:
            current.append(char)
            in_token = True
        i += 1
    if in_token:
        tokens.append("".join(current))
    return tokens


def _closing_quote(text: str, start: int) -> int:
    """Where the quote opened at `start` closes: preferably at the end of a word."""
    closing = QUOTES[text[start]]
    first = end = text.find(closing, start + 1)
    while end >= 0 and end + 1 < len(text) and not text[end + 1].isspace():
        end = text.find(closing, end + 1)
    return end if end >= 0 else first


def parse(text: str) -> Invocation:
    """Parse command text such as `/incident new "VPN drops" --impact high`."""
    return parse_argv(tokenize(text.strip()))


def parse_argv(argv: list[str], table: dict[str, Command] | None = None) -> Invocation:
    """Parse an already-split command; the first word names the command (in `table`, by
    default every command the desk has)."""
    if not argv:
        raise UsageError(
            'Type a command, for example /incident new "VPN drops every 10 minutes".', "/desk help"
        )
    commands = _table() if table is None else table
    name = argv[0].lstrip("/").lower()
    command = commands.get(name)
    if command is None:
        raise UsageError(
            f"Unknown command '/{argv[0].lstrip('/')[:40]}'.{_suggest(name, commands, '/')}",
            "/desk help",
        )
    if len(argv) < 2:
        raise UsageError(
            f"/{name} needs a subcommand: {', '.join(command.subcommands)}.", f"/desk help {name}"
        )
    sub_name = argv[1].lower()
    sub = command.subcommands.get(sub_name)
    if sub is None:
        raise UsageError(
            f"/{name} has no subcommand '{argv[1][:40]}'.{_suggest(sub_name, command.subcommands)} "
            f"Try: {', '.join(command.subcommands)}.",
            f"/desk help {name}",
        )
    return _bind(name, sub, argv[2:])


def _bind(command: str, sub: Subcommand, words: list[str]) -> Invocation:
    usage = sub.usage(command)
    flags_by_name = {f.name: f for f in sub.flags}
    flags: dict[str, str | bool] = {}
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":  # the usual end-of-options mark: the rest is text, even "--x"
            positional += words[i + 1 :]
            break
        if word.startswith("--") and len(word) > 2:
            key, has_value, value = word[2:].partition("=")
            key = key.lower()
            flag = flags_by_name.get(key)
            if flag is None:
                raise UsageError(
                    f"Unknown option --{key[:40]}.{_suggest(key, flags_by_name, '--')}", usage
                )
            if flag.is_switch:
                if has_value:
                    raise UsageError(f"--{key} takes no value.", usage)
            elif flag.is_text:
                # Free text runs to the next flag: no word moves to another field.
                taken = [value] if has_value and value else []
                while i + 1 < len(words) and not _is_flag(words[i + 1], flags_by_name):
                    i += 1
                    taken.append(words[i])
                if not taken:
                    raise UsageError(f"--{key} needs a value.", usage)
                value = _join(taken)
            else:
                if not has_value:
                    if i + 1 >= len(words):
                        raise UsageError(f"--{key} needs a value.", usage)
                    i += 1
                    value = words[i]
                if flag.choices and value.lower() not in flag.choices:
                    raise UsageError(
                        f"--{key} must be one of {', '.join(flag.choices)}, not '{value[:40]}'.",
                        usage,
                    )
            if key in flags:
                raise UsageError(f"--{key} is given twice.", usage)
            flags[key] = True if flag.is_switch else (value.lower() if flag.choices else str(value))
        else:
            positional.append(word)
        i += 1
    return Invocation(command, sub.name, _positional(sub, positional, usage), flags)


def _is_flag(word: str, flags_by_name: dict) -> bool:
    """Whether `word` starts another flag (or ends the options): where free text stops."""
    if word == "--":
        return True
    return word.startswith("--") and word[2:].partition("=")[0].lower() in flags_by_name


def _join(words: list[str]) -> str:
    """Words back into text: one quoted phrase alone is unwrapped, quotes inside longer
    text are kept (`Can't print "quarterly report"`)."""
    if len(words) == 1:
        return str(words[0])
    return " ".join(
        f"{w.marks[0]}{w}{w.marks[1]}" if isinstance(w, Quoted) else str(w) for w in words
    )


def _positional(sub: Subcommand, words: list[str], usage: str) -> dict[str, str]:
    args: dict[str, str] = {}
    for index, arg in enumerate(sub.args):
        if arg.rest:
            rest = words[index:]
            words = words[:index]
            if rest:
                args[arg.name] = _join(rest)
            elif arg.required:
                raise UsageError(f"Missing {arg.name.upper()}.", usage)
            break
        if index >= len(words):
            if arg.required:
                raise UsageError(f"Missing {arg.name.upper()}.", usage)
            break
        args[arg.name] = str(words[index])
    else:
        if len(words) > len(sub.args):
            extra = " ".join(words[len(sub.args) :])[:60]
            raise UsageError(f"Unexpected '{extra}' (quote text that has spaces).", usage)
    return args


def build_argv(
    command: str, subcommand: str, args: list[str], flags: dict[str, str | bool] | None = None
) -> list[str]:
    """The argv for a command built from form fields or options, not typed text.

    Values are taken literally: flags as --name=value, positional text after "--", so a
    title or note that happens to start with "--" is never read as an option.
    """
    argv = [command, subcommand]
    for name, value in (flags or {}).items():
        if value is True:
            argv.append(f"--{name}")
        elif value not in (None, "", False):
            argv.append(f"--{name}={value}")
    return argv + ["--"] + [a for a in args if a != ""]


def help_text(topic: str = "") -> str:
    """Help for all commands, one command, or one subcommand — from the definitions above."""
    commands = _table()
    words = topic.lower().lstrip("/").split()
    if not words:
        lines = ["Commands (type /desk help COMMAND for details):"]
        for command in commands.values():
            lines.append(f"/{command.name} — {command.summary}: {', '.join(command.subcommands)}")
        return "\n".join(lines)
    command = commands.get(words[0])
    if command is None:
        return (
            f"No help for '{words[0][:40]}'.{_suggest(words[0], commands, '/')} Commands: "
            + ", ".join(f"/{c}" for c in commands)
        )
    subs = list(command.subcommands.values())
    if len(words) > 1:
        sub = command.subcommands.get(words[1])
        if sub is None:
            return f"/{command.name} has no subcommand '{words[1][:40]}'.{_suggest(words[1], command.subcommands)}"
        subs = [sub]
    lines = [f"/{command.name} — {command.summary}"] if len(subs) > 1 else []
    for sub in subs:
        lines.append(f"{sub.usage(command.name)}\n    {sub.summary}")
        lines += [f"    --{f.name}: {f.help}" for f in sub.flags] if len(subs) == 1 else []
    return "\n".join(lines)


def _suggest(word: str, choices, prefix: str = "") -> str:
    """ " Did you mean …?" for a slip of the keyboard, so `page` and `rate` are not taken
    for `update`."""
    close = nearest(word, choices)
    return f" Did you mean {prefix}{close}?" if close else ""


def nearest(word: str, choices) -> str | None:
    """The choice one edit away from `word` (two in longer words), if any: a typo of it."""
    allowed = 1 if len(word) <= 5 else 2
    close = sorted(
        (distance, choice) for choice in choices if (distance := _edits(word, choice)) <= allowed
    )
    return close[0][1] if close else None


def _edits(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours that turn a into b."""
    if abs(len(a) - len(b)) > 2:
        return 3
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, previous2[j - 2] + 1)
            row.append(cost)
        previous2, previous = previous, row
    return previous[-1]
