"""Wiring: one place that builds the database, policy, dispatcher and worker for a process."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from typing import Any

from bot.audit_key import load_audit_key
from bot.config import DeskConfig, example_config_path, load_config
from bot.db import Database
from bot.dispatcher import Dispatcher
from bot.event_intake import EventIntake
from bot.event_processing import EventProcessing
from bot.late_secrets import LateSecrets
from bot.outbox import OutboxDelivery, Sender
from bot.settings import Settings
from bot.worker import TimerWorker, Worker
from domain import audit, timers
from domain.clock import Clock, SystemClock
from domain.directory import DirectoryFactory
from domain.directory.builtin import BuiltinDirectory, seed_groups
from domain.people import sync_configured_people

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedConfig:
    config: DeskConfig
    is_example: bool


def load_desk_config(settings: Settings) -> LoadedConfig:
    """The configured file, or the example company when no file exists (ConfigError if bad)."""
    if settings.config_path is not None:
        return LoadedConfig(load_config(settings.config_path), is_example=False)
    return LoadedConfig(load_config(example_config_path()), is_example=True)


class Runtime:
    """Everything one deskbot process needs, built once."""

    def __init__(
        self,
        settings: Settings,
        config: DeskConfig,
        *,
        platforms: tuple[str, ...],
        clock: Clock | None = None,
        directory: DirectoryFactory | None = None,
    ) -> None:
        """`directory` makes the directory of a unit of work (cli.py wires LDAP in from the
        config); without one, the built-in directory in deskbot's database."""
        self.settings = settings
        self.config = config
        self.policy = config.policy
        self.clock = clock or SystemClock()
        self.platforms = platforms
        self.database = Database(settings.database_url)
        self.builtin_directory = directory is None
        if directory is None:
            policy, clock_ = self.policy, self.clock

            def directory(session):
                return BuiltinDirectory(session, policy, clock_)

        self.directory = directory
        # The audit trail's key reaches every unit of work this process makes.
        self.audit_key = load_audit_key(settings)
        self.late_secrets = LateSecrets(
            self.database,
            self.policy,
            self.clock,
            settings.public_url,
            directory,
            audit_key=self.audit_key,
        )
        self.timers = TimerWorker(
            database=self.database,
            policy=self.policy,
            clock=self.clock,
            platforms=platforms,
            directory=directory,
            audit_key=self.audit_key,
        )
        self.worker = Worker(self.timers, [])
        self.dispatcher = Dispatcher(
            database=self.database,
            policy=self.policy,
            clock=self.clock,
            platforms=platforms,
            role_mapping=config.role_mapping,
            after_commit=self.worker.wake,
            directory=directory,
            audit_key=self.audit_key,
        )
        self.events = EventProcessing(self.dispatcher, after_commit=self.worker.wake)
        self.worker.events = self.events
        # Events accepted over HTTP: stored in batches, then the worker is woken.
        self.intake = EventIntake(self.database, self.clock, self.policy.events, self.worker.wake)

    def prepare(self) -> None:
        """Upgrade the schema and make the stored people agree with the configuration."""
        # Several replicas may start at once: one migrates and syncs while the others wait.
        with self.database.exclusive():
            self.database.upgrade()
            with self.dispatcher.unit_of_work() as ctx:
                sync_configured_people(ctx)
                if self.builtin_directory:
                    seed_groups(ctx.session, self.policy.directory_groups, self.clock)
                audit.ensure_daily_post(ctx)  # the audit head's daily post, if it was lost
        # Start-up objects live as long as the process: keep the cyclic GC from rescanning them.
        gc.collect()
        gc.freeze()

    def start_periodic_jobs(self) -> None:
        """In a process that fires timers: make sure each process's periodic jobs (access
        reconciliation, scheduled reviews) have their next run written."""
        with self.database.exclusive(), self.dispatcher.unit_of_work() as ctx:
            for start in timers.ON_START:
                start(ctx)

    def add_sender(self, platform: str, sender: Sender, **options: Any) -> OutboxDelivery:
        """Deliver this platform's outbox rows through `sender` from now on."""
        delivery = OutboxDelivery(
            database=self.database,
            policy=self.policy,
            clock=self.clock,
            platform=platform,
            sender=sender,
            late=self.late_secrets,
            **options,
        )
        self.worker.deliveries.append(delivery)
        return delivery

    def close(self) -> None:
        self.intake.close()  # what was accepted is written before the database closes
        self.database.dispose()
