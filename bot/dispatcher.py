"""The dispatcher: command text in, a reply out, through the domain in one transaction.

It parses with the shared grammar, looks the handler up in the command table
(`bot/commands/`), and runs it in one unit of work; it holds no per-command code.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError

from bot import grammar
from bot.commands import TABLE, Call, Reply
from bot.home import HomeView, build_home
from bot.identity import BY_NAME, PlatformIdentity, resolve_actor
from domain.clock import Clock
from domain.context import Actor, DeskContext
from domain.directory import DirectoryFactory
from domain.errors import DeskError
from domain.notifications import SUBJECTS
from domain.policy import DeskPolicy
from domain.records import InboundEvent

log = logging.getLogger(__name__)

__all__ = ["Dispatcher", "HomeView", "Reply"]

DUPLICATE = "Already done: that request reached me twice, and I acted on it once."


class Dispatcher:
    """Runs commands for every adapter the same way."""

    def __init__(
        self,
        *,
        database,
        policy: DeskPolicy,
        clock: Clock,
        platforms: tuple[str, ...],
        role_mapping: dict[str, dict[str, str]] | None = None,
        after_commit: Callable[[], None] | None = None,
        by_name: frozenset[str] = BY_NAME,
        directory: DirectoryFactory | None = None,
        audit_key: bytes | None = None,
    ) -> None:
        self.database = database
        self.policy = policy
        self.clock = clock
        self.platforms = platforms
        self.by_name = by_name
        self.directory = directory
        self.role_mapping = role_mapping or {}
        self.after_commit = after_commit
        self.audit_key = audit_key

    @contextmanager
    def unit_of_work(self) -> Iterator[DeskContext]:
        """One transaction with the desk's rules, clock and platforms: commits at the end."""
        with self.database.transaction() as session:
            yield DeskContext(
                session,
                self.policy,
                self.clock,
                self.platforms,
                by_name=self.by_name,
                directory=self.directory(session) if self.directory else None,
                audit_key=self.audit_key,
            )

    def attempt(self, work: Callable[[DeskContext], Any]) -> Any:
        """`work(ctx)` in one unit of work, for pages outside chat: its result, or the
        DeskError it raised, returned (committed when the error keeps what it recorded,
        rolled back otherwise). Wakes the delivery of whatever the unit wrote."""
        try:
            with self.unit_of_work() as ctx:
                try:
                    result = work(ctx)
                except DeskError as exc:
                    if not exc.keeps_changes:
                        raise
                    result = exc
        except DeskError as exc:
            return exc
        if self.after_commit is not None:
            self.after_commit()
        return result

    def execute(
        self, identity: PlatformIdentity, text: str, *, delivery: str | None = None
    ) -> Reply:
        """Parse and run command text such as `/incident claim INC-42`."""
        try:
            argv = grammar.tokenize(text.strip())
        except grammar.UsageError as exc:
            return Reply(str(exc), ok=False)
        return self.execute_argv(identity, argv, delivery=delivery)

    def execute_argv(
        self, identity: PlatformIdentity, argv: list[str], *, delivery: str | None = None
    ) -> Reply:
        """Run an already-split command (buttons and modals build these).

        `delivery` identifies the platform's delivery (a slash command's trigger id, a
        button press, an interaction id): it is stored in the command's own transaction, so
        a delivery that arrives twice is acted on once, and a failed one can be retried.
        """
        try:
            invocation = grammar.parse_argv(argv)
        except grammar.UsageError as exc:
            return Reply(str(exc), ok=False)
        handler = TABLE.handler(invocation)
        return self.perform(
            identity,
            lambda ctx, actor: handler(Call(ctx, actor, identity, invocation)),
            delivery=delivery,
            failed=lambda: self._failed(invocation),
        )

    def perform(
        self,
        identity: PlatformIdentity,
        work: Callable[[DeskContext, Actor], Reply],
        *,
        delivery: str | None = None,
        failed: Callable[[], Reply] | None = None,
    ) -> Reply:
        """Run `work(ctx, actor)` in one unit of work, once per `delivery`, as commands run.

        For what a person does that is not a command (a message marked for a timeline):
        the adapter builds the work from `bot/`'s functions, never from the domain's.
        """
        failed = failed or (lambda: self._failed(None))
        try:
            with self.unit_of_work() as ctx:
                event = None
                if delivery is not None:
                    event = InboundEvent(
                        source=identity.platform,
                        event_id=delivery[:128],
                        received_at=self.clock.now(),
                    )
                    ctx.session.add(event)
                    ctx.session.flush()
                actor = resolve_actor(ctx, identity, self.role_mapping)
                try:
                    reply = work(ctx, actor)
                except DeskError as exc:
                    if not exc.keeps_changes:
                        raise
                    # A refusal that recorded why (a limit reached, the desk told): commit it.
                    reply = Reply(exc.message, ok=False)
                if event is not None:
                    event.reply = reply.text  # for a replay after a crash: see _earlier
        except DeskError as exc:
            return Reply(exc.message, ok=False)
        except IntegrityError:
            if delivery is not None and (earlier := self._earlier(identity.platform, delivery)):
                return earlier
            return failed()
        except OperationalError:
            if delivery is not None:
                # A stored delivery is done again once the database is back: the pipeline
                # keeps it, instead of telling the person it failed.
                raise
            return failed()
        except Exception:
            return failed()
        if self.after_commit is not None:
            self.after_commit()
        return reply

    def _earlier(self, source: str, delivery: str) -> Reply | None:
        """The answer a delivery already got, if it was acted on (a duplicate or a replay)."""
        with self.database.transaction() as session:
            event = session.get(InboundEvent, (source, delivery[:128]))
            if event is None:
                return None
            return Reply(event.reply or DUPLICATE, duplicate=True)

    def _failed(self, invocation: grammar.Invocation | None) -> Reply:
        error_id = uuid.uuid4().hex[:8]
        what = f"{invocation.command} {invocation.subcommand}" if invocation else "work"
        log.exception("command failed (error id %s): %s", error_id, what)
        return Reply(
            f"Something went wrong on my side (error id {error_id}); nothing was changed.",
            ok=False,
        )

    def actor(self, identity: PlatformIdentity) -> Actor:
        """The desk actor for an identity (creating the person on first contact)."""
        with self.unit_of_work() as ctx:
            return resolve_actor(ctx, identity, self.role_mapping)

    def refusal(self, identity: PlatformIdentity, action: str, subject_type: str) -> str | None:
        """Why this person may not take an action at all, before a form is opened for it."""
        machine = SUBJECTS[subject_type].machine
        return machine.refusal(action, self.actor(identity))

    def home(self, identity: PlatformIdentity) -> HomeView:
        """What a person sees on their home tab: their incidents, and an agent's queues."""
        with self.unit_of_work() as ctx:
            actor = resolve_actor(ctx, identity, self.role_mapping)
            return build_home(ctx, actor)
