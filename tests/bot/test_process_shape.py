"""The shape that lets processes move in: layers point down, platforms stop at the adapter,
states are declared once, and the dispatcher holds no per-command code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.actions import machine, subject_types
from bot.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]


def _python(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _strings(path: Path) -> set[str]:
    """String constants in code (docstrings left out: they may name anything)."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }


def test_the_domain_imports_no_layer_above_it_and_no_chat_sdk():
    forbidden = re.compile(r"^(bot|adapters|slack_bolt|slack_sdk|discord|starlette|aiohttp)\b")
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in _imports(path) if forbidden.match(m))
        for path in _python("domain")
    }
    assert {p: m for p, m in offenders.items() if m} == {}


def test_the_domain_names_no_platform():
    platforms = {"slack", "discord", "console", "slack_id", "discord_id"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(_strings(path) & platforms)
        for path in _python("domain")
    }
    assert {p: s for p, s in offenders.items() if s} == {}


def test_the_bot_layer_imports_no_chat_sdk():
    forbidden = re.compile(r"^(adapters|slack_bolt|slack_sdk|discord)\b")
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in _imports(path) if forbidden.match(m))
        for path in _python("bot")
        if path.name != "cli.py"  # the one place that wires adapters in (marked # wiring)
    }
    assert {p: m for p, m in offenders.items() if m} == {}


def test_adapters_do_not_touch_stored_records():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _python("adapters")
        if {"domain.records", "sqlalchemy"} & _imports(path)
    ]
    assert offenders == []


def test_no_adapter_or_template_lists_states():
    states = {s for t in subject_types() for s in machine(t).labels} - {"new"}
    alternatives = "|".join(sorted(states))
    quoted = re.compile(rf"""["']({alternatives})["']""")
    files = _python("adapters") + sorted((ROOT / "bot" / "templates").rglob("*.j2"))
    # Monitoring senders' own words (Alertmanager's "firing", "resolved") read into signal
    # actions, in one table: theirs, not the desk's states, though spelt the same.
    files.remove(ROOT / "adapters" / "monitoring" / "vocabulary.py")
    offenders = {
        str(path.relative_to(ROOT)): sorted(set(quoted.findall(path.read_text()))) for path in files
    }
    assert {p: s for p, s in offenders.items() if s} == {}


def test_every_subcommand_has_its_handler_beside_its_definition():
    missing = [
        f"/{c.name} {s.name}"
        for c in COMMANDS.values()
        for s in c.subcommands.values()
        if s.handler is None
    ]
    assert missing == []
    for command in COMMANDS.values():
        for sub in command.subcommands.values():
            module = sub.handler.__module__
            assert module.startswith("bot.commands."), (command.name, sub.name, module)


def test_the_dispatcher_holds_no_per_command_code():
    names = {c.name for c in COMMANDS.values()} | {
        s for c in COMMANDS.values() for s in c.subcommands
    }
    source = ROOT / "bot" / "dispatcher.py"
    tree = ast.parse(source.read_text())
    defined = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert not any(any(n in d.split("_") for n in names) for d in defined), sorted(defined)
    assert _strings(source) & names == set()


def test_every_action_of_a_state_machine_is_a_subcommand_of_its_process():
    for subject_type in subject_types():
        actions = {a.name for a in machine(subject_type).actions}
        command = machine(subject_type).command_name
        assert actions <= set(COMMANDS[command].subcommands), subject_type


def test_a_process_module_can_add_a_subcommand_to_another_process_s_command():
    from bot import grammar
    from bot.commands.spec import Arg, CommandTable, Reply

    table = CommandTable()
    table.command("incident", "Report and work incidents")

    @table.subcommand("incident", "link", "Link to a problem", Arg("id"), Arg("problem"))
    def link(call):  # as bot/commands/problem.py would
        return Reply("linked")

    invocation = grammar.parse_argv(["incident", "link", "INC-7", "PRB-2"], table.commands)
    assert (invocation.subcommand, invocation.args) == ("link", {"id": "INC-7", "problem": "PRB-2"})
    assert table.handler(invocation) is link
    try:
        table.subcommand("problem", "new", "Open a problem")(link)
    except ValueError as exc:
        assert "/problem is not declared" in str(exc)
    else:
        raise AssertionError("a subcommand of an undeclared command was accepted")
