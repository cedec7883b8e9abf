"""A console chat session: lines in, replies and notifications out."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TextIO

from adapters.console.form import CANCEL_WORDS, ConsoleForm
from adapters.console.sender import ConsoleSender
from bot.commands import COMMANDS
from bot.grammar import build_argv
from bot.identity import CONSOLE, PlatformIdentity, people_names
from bot.intake import catalogue_hint, screen, title_and_details, understand
from bot.runtime import Runtime

META_HELP = """Console commands:
  :user NAME   act as another person (e.g. :user bob)
  :who         list the people you can act as
  :help        this help (and /desk help for the desk's commands)
  :quit        leave (Ctrl-D works too)"""
PLAIN_HELP = "Or just tell me what is wrong in your own words, and I'll offer to open an incident."


class ConsoleSession:
    """Runs commands as one person at a time and prints what each person would see."""

    def __init__(
        self,
        runtime: Runtime,
        out: TextIO,
        user: str | None = None,
        files_dir: Path | None = None,
    ) -> None:
        self.runtime = runtime
        self.out = out
        # Files the desk posts (a post-incident review) are written here.
        self.sender = ConsoleSender(out, files_dir=files_dir)
        # One message per destination and pass: the terminal shows them in the order written.
        self.delivery = runtime.add_sender(CONSOLE, self.sender, run_size=1, lanes_apart=False)
        self.user = user or self._default_user()
        self._offer: str | None = None  # words offered as an incident, waiting for yes/no
        self._form: ConsoleForm | None = None  # a form being filled in, one line per answer
        self._flushing = asyncio.Lock()

    def _default_user(self) -> str:
        people = list(self.runtime.policy.people.values())
        employees = [p for p in people if p.roles == ("employee",)]
        return (employees or people)[0].name if people else "deskbot"

    def people(self) -> list[str]:
        return people_names(self.runtime.database)

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def handle_line(self, line: str) -> bool:
        """Run one line; returns False when the session should end."""
        line = line.strip()
        if self._form is not None and not line.startswith(("/", ":")):
            await self._fill(line)  # an empty line skips an optional question
            return True
        if not line or line.startswith("#"):
            return True
        if line.startswith(":"):
            return self._meta(line)
        self._form = None  # a command instead of an answer leaves the form
        if not line.startswith("/"):
            await self._plain(line)
            return True
        self._offer = None
        await self._run(line)
        return True

    async def _run(self, line: str | list[str], hint: str | None = None) -> None:
        """Run a command (text, or an argv built here) as the acting person; print the reply."""
        identity = PlatformIdentity(CONSOLE, self.user)
        dispatcher = self.runtime.dispatcher
        run = dispatcher.execute if isinstance(line, str) else dispatcher.execute_argv
        async with self.sender.turn:
            reply = await asyncio.to_thread(run, identity, line)
            if reply.form is not None and reply.form.to_ask():
                # Ask for what is missing instead of showing how to type it.
                self._form = ConsoleForm(reply.form)
                self.write(f"{reply.form.title}: a few questions.")
                self.write(self._form.prompt())
            else:
                self.write(reply.text)
            if hint:
                self.write(hint)
        await self.flush()

    async def _fill(self, line: str) -> None:
        """A line typed while a form is open: the answer to its current question."""
        form = self._form
        assert form is not None
        if line.strip().lower() in CANCEL_WORDS:
            self._form = None
            self.write("OK, stopped: nothing was requested.")
            return
        problem = form.answer(line)
        if problem:
            self.write(problem)
            self.write(form.prompt())
        elif not form.done:
            self.write(form.prompt())
        else:
            self._form = None
            await self._run(form.form.argv(form.answers))

    async def _plain(self, line: str) -> None:
        """A line in the person's own words, as a DM to the bot is on Slack and Discord."""
        identity = PlatformIdentity(CONSOLE, self.user)
        warning = await asyncio.to_thread(screen, self.runtime.dispatcher, identity, line)
        if warning:
            self._offer = None
            self.write(warning)
            await self.flush()
            return
        said = understand(line, COMMANDS)
        offer, self._offer = self._offer, None
        if said.kind == "password":
            await self._run(said.line)
        elif said.kind == "help":
            await self._run("/desk help", PLAIN_HELP)
        elif said.kind == "command":
            await self._run(said.line, f"(Commands start with a slash: {said.line[:60]})")
        elif said.kind == "no" and offer is not None:
            self.write("OK, no incident. Tell me any time.")
        elif said.kind == "yes" and offer is not None:
            title, details = title_and_details(offer)
            await self._run(build_argv("incident", "new", [title], {"description": details}))
        elif said.kind in ("yes", "no"):
            self.write("Tell me what is wrong in your own words, or type help.")
        else:
            self._offer = said.line
            title, _ = title_and_details(said.line)
            hint = catalogue_hint(self.runtime.policy, said.line)
            if hint:
                self.write(hint)
            self.write(f'Shall I open an incident "{title}"? Type yes to open it, or no.')

    async def flush(self) -> None:
        """Fire due timers and print every notification waiting for the console."""
        async with self._flushing:  # a command's flush and the background tick, in turn
            await asyncio.to_thread(self.runtime.timers.run_due)
            await asyncio.to_thread(self.runtime.events.run_all)
            while await self.delivery.deliver_once():
                pass

    def _meta(self, line: str) -> bool:
        word, _, rest = line[1:].partition(" ")
        word, rest = word.lower(), rest.strip()
        if word in ("quit", "exit", "q"):
            return False
        if word == "user":
            known = self.people()
            if rest.lstrip("@") in known:
                self.user = rest.lstrip("@")
                self.write(f"Now acting as {self.user}.")
            else:
                self.write(f"Unknown person '{rest[:40]}'. People: {', '.join(known)}.")
        elif word == "who":
            self.write("People: " + ", ".join(self.people()))
        else:
            self.write(META_HELP)
        return True

    async def run(self, stream: TextIO, *, echo: bool, prompt: bool) -> None:
        """Read lines until end of input. `echo` repeats each command (for piped transcripts);
        `prompt` means a person at a terminal: line editing, and notifications as they come."""
        if prompt:
            from adapters.console.interactive import run_interactive  # prompt_toolkit

            await run_interactive(self)
            return
        while True:
            line = await _read_line(stream)
            if not line:
                return
            if echo and line.strip():
                self.write(f"{self.user}> {line.strip()}")
            if not await self.handle_line(line):
                return


async def _read_line(stream: TextIO) -> str:
    """Read a line without blocking the event loop; a daemon thread, so exit never waits on it."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def read() -> None:
        try:
            line = stream.readline()
        except Exception as exc:  # a closed or broken terminal ends the session
            loop.call_soon_threadsafe(_settle, future, None, exc)
        else:
            loop.call_soon_threadsafe(_settle, future, line, None)

    threading.Thread(target=read, daemon=True, name="console-input").start()
    return await future


def _settle(future: asyncio.Future, line: str | None, error: Exception | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(line)
