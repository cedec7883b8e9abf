"""The console at a terminal: timers fire while nobody types; history and completion work."""

import asyncio
from datetime import timedelta

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from adapters.console import interactive
from adapters.console.interactive import DeskCompleter, run_interactive

UP = "\x1b[A"


async def _until(predicate, what: str, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_an_sla_warning_prints_while_nobody_types(desk, monkeypatch):
    # The console once fired timers only on the next keystroke.
    monkeypatch.setattr(interactive, "TICK", 0.05)

    async def scenario() -> str:
        with create_pipe_input() as keys:
            prompt = PromptSession(input=keys, output=DummyOutput(), history=InMemoryHistory())
            running = asyncio.ensure_future(run_interactive(desk.session, prompt, patch=False))
            keys.send_text('/incident new "VPN down" --service vpn --impact high\r')
            await _until(lambda: "Opened INC-1" in desk.out.getvalue(), "the reply")
            printed = len(desk.out.getvalue())
            desk.clock.advance(timedelta(hours=1))  # past the P2 warning and breach
            await _until(lambda: "breach" in desk.out.getvalue()[printed:].lower(), "a breach")
            keys.send_text(":quit\r")
            await asyncio.wait_for(running, 10)
            return desk.out.getvalue()[printed:]

    after = asyncio.run(scenario())
    assert "INC-1" in after  # printed with no line typed after advancing the clock


def test_up_arrow_brings_back_the_last_command(desk, monkeypatch):
    monkeypatch.setattr(interactive, "TICK", 0.05)

    async def scenario() -> str:
        with create_pipe_input() as keys:
            prompt = PromptSession(input=keys, output=DummyOutput(), history=InMemoryHistory())
            running = asyncio.ensure_future(run_interactive(desk.session, prompt, patch=False))
            keys.send_text("/desk whoami\r")
            await _until(lambda: desk.out.getvalue().count("You are alice") == 1, "whoami")
            keys.send_text(UP + "\r")  # the same command again, not "Unknown command '/\x1b[A'"
            await _until(lambda: desk.out.getvalue().count("You are alice") == 2, "again")
            keys.send_text(":quit\r")
            await asyncio.wait_for(running, 10)
            return desk.out.getvalue()

    printed = asyncio.run(scenario())
    assert "Unknown command" not in printed


def test_completion_offers_commands_subcommands_and_open_incident_keys(desk):
    desk.say("alice", '/incident new "VPN down"')
    desk.say("alice", '/incident new "Printer jam"')
    completer = DeskCompleter(desk.session)

    def complete(text: str) -> list[str]:
        document = Document(text, len(text))
        return [c.text for c in completer.get_completions(document, CompleteEvent())]

    assert complete("/inc") == ["/incident"]
    assert "claim" in complete("/incident cl") and "list" not in complete("/incident cl")
    assert complete("/incident claim INC-") == ["INC-2", "INC-1"]
    assert complete(":user b") == ["bob"]
