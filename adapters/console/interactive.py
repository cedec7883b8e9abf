"""The console at a terminal: line editing, history, completion, and notifications that
arrive while you type.

Piped input stays plain (`ConsoleSession.run` without a prompt): its output is a
deterministic transcript. At a terminal, prompt_toolkit reads the line; timers fire and
notifications print in the background, above the line being typed (`patch_stdout`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout

from bot.commands import COMMANDS
from bot.identity import CONSOLE, PlatformIdentity

if TYPE_CHECKING:
    from adapters.console.session import ConsoleSession

TICK = 1.0  # seconds between background passes of timers and deliveries
KEYS_SHOWN = 50  # incident keys offered for completion (the most recent open ones)


class DeskCompleter(Completer):
    """Completes command names, subcommands, incident keys and people after `:user`."""

    def __init__(self, session: ConsoleSession) -> None:
        self.session = session

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        text = document.text_before_cursor
        words = text.split(" ")
        word = words[-1]
        if len(words) == 1:
            names = [f"/{name}" for name in COMMANDS] + [":help", ":user", ":who", ":quit"]
        elif words[0] == ":user" and len(words) == 2:
            names = self.session.people()
        elif len(words) == 2 and (command := COMMANDS.get(words[0].lstrip("/").lower())):
            names = list(command.subcommands)
        elif word.upper().startswith("INC"):
            names = self._open_keys()
        else:
            names = []
        for name in names:
            if name.lower().startswith(word.lower()) and name != word:
                yield Completion(name, start_position=-len(word))

    def _open_keys(self) -> list[str]:
        """The open incidents the acting person would see on a home tab, newest first."""
        identity = PlatformIdentity(CONSOLE, self.session.user)
        home = self.session.runtime.dispatcher.home(identity)
        keys = {s["key"] for s in (*home.reported, *home.assigned, *home.queue) if "key" in s}
        return sorted(keys, key=lambda key: -int(key.rpartition("-")[2] or 0))[:KEYS_SHOWN]


async def run_interactive(
    session: ConsoleSession, prompt: PromptSession | None = None, *, patch: bool = True
) -> None:
    """Read lines at a terminal until :quit or Ctrl-D; Ctrl-C clears the line being typed."""
    prompt = prompt or PromptSession(
        history=InMemoryHistory(), completer=DeskCompleter(session), complete_while_typing=False
    )
    with patch_stdout(raw=True) if patch else contextlib.nullcontext():
        if patch:  # print through the patched stdout: above the line being typed
            session.out = session.sender.out = sys.stdout
        ticking = asyncio.ensure_future(_tick(session))
        try:
            while True:
                try:
                    line = await prompt.prompt_async(f"{session.user}> ")
                except KeyboardInterrupt:
                    continue  # as in a shell: drop the line, keep the session
                except EOFError:
                    session.write("")
                    return
                if not await session.handle_line(line):
                    return
        finally:
            ticking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticking


async def _tick(session: ConsoleSession) -> None:
    """Fire due timers and print notifications while nobody types."""
    failing = False
    while True:
        await asyncio.sleep(TICK)
        try:
            await session.flush()
            failing = False
        except Exception as exc:  # the database may be away: the next tick tries again
            if not failing:  # said once, not every second
                session.write(f"(cannot check for notifications: {type(exc).__name__})")
            failing = True
