"""A console test backend: scenarios read like chat transcripts.

desk.say("alice", '/incident new "VPN drops"')   # the reply alice sees
desk.posts()                                   # [#channel] / [DM @name] lines since
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from datetime import timedelta
from pathlib import Path

from adapters.console import ConsoleSession
from adapters.console.sender import CONTINUED
from bot.config import DeskConfig
from bot.runtime import Runtime
from bot.settings import Settings
from domain.clock import ManualClock
from domain.directory import DirectoryFactory

TEST_AUDIT_KEY = "test-audit-key-not-for-production"


def _is_post(line: str) -> bool:
    return line.startswith("[#") or line.startswith("[DM @")


class DeskHarness:
    """A real runtime (database, dispatcher, outbox, timers) driven through the console."""

    def __init__(self, runtime: Runtime, clock: ManualClock) -> None:
        self.runtime = runtime
        self.clock = clock
        self.out = io.StringIO()
        # Files the desk writes (a post-incident review) go to a directory of the test's own.
        self.files_dir = Path(tempfile.mkdtemp(prefix="deskbot-files-"))
        self.session = ConsoleSession(runtime, self.out, files_dir=self.files_dir)
        self._offset = 0
        self._posts: list[str] = []

    @classmethod
    def start(
        cls,
        database_url: str,
        config: DeskConfig,
        platforms: tuple[str, ...] = ("console",),
        clock: ManualClock | None = None,
        directory: DirectoryFactory | None = None,
        public_url: str = "http://localhost:3000",
        periodic_jobs: bool = False,
    ) -> DeskHarness:
        clock = clock or ManualClock()
        settings = Settings(
            database_url=database_url,
            config_path=None,
            public_url=public_url,
            audit_key=TEST_AUDIT_KEY,
        )
        runtime = Runtime(settings, config, platforms=platforms, clock=clock, directory=directory)
        runtime.prepare()
        if periodic_jobs:  # as a worker does (access reconciliation, scheduled reviews)
            runtime.start_periodic_jobs()
        return cls(runtime, clock)

    def _collect(self) -> list[str]:
        text = self.out.getvalue()
        new, self._offset = text[self._offset :], len(text)
        replies: list[str] = []
        last_was_post = False
        for line in new.splitlines():
            if _is_post(line):
                self._posts.append(line)
                last_was_post = True
            elif last_was_post and line.startswith(CONTINUED):
                self._posts[-1] += "\n" + line  # a war room's post of several lines
            else:
                replies.append(line)
                last_was_post = False
        return replies

    def say(self, user: str, text: str) -> str:
        """Run a command as `user`; returns the reply they see (posts go to `posts()`)."""
        self.session.user = user
        asyncio.run(self.session.handle_line(text))
        return "\n".join(self._collect())

    def posts(self) -> list[str]:
        """Channel posts and DMs delivered since the last call."""
        self._collect()
        found, self._posts = self._posts, []
        return found

    def advance(self, **delta: float) -> list[str]:
        """Move the clock, fire what fell due, deliver, and return what was posted."""
        self.clock.advance(timedelta(**delta))
        asyncio.run(self.session.flush())
        return self.posts()

    def close(self) -> None:
        self.runtime.close()
