"""A console test backend: scenarios read like chat transcripts.

desk.say("alice", '/incident new "VPN drops"')   # the reply alice sees
desk.posts()                                   # [#channel] / [DM @name] lines since
"""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

from adapters.console import ConsoleSession
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
        self.session = ConsoleSession(runtime, self.out)
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
        lines = new.splitlines()
        self._posts += [line for line in lines if _is_post(line)]
        return [line for line in lines if not _is_post(line)]

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
