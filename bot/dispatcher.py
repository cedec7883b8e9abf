"""The dispatcher: command text in, a reply out, through the domain in one transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bot import grammar
from bot.identity import PlatformIdentity, resolve_actor, resolve_person_name
from bot.templates import render
from domain import incident_queries as queries
from domain import incidents, triage
from domain.clock import Clock
from domain.context import Actor, DeskContext
from domain.errors import DeskError
from domain.notifications import incident_snapshot
from domain.policy import DeskPolicy
from domain.records import IncidentRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HomeView:
    """A person's own view of the desk (Slack App Home, Discord /desk home)."""

    actor: Actor
    reported: list[dict]  # their open incidents
    assigned: list[dict]  # open incidents assigned to them (agents)
    queue_title: str | None  # their team's queue (agents)
    queue: list[dict]


@dataclass(frozen=True)
class Reply:
    """What goes back to the person who asked. Adapters choose how to show it."""

    text: str
    ok: bool = True
    private: bool = True
    incident: dict | None = None  # the incident acted on, for adapters that render cards


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
    ) -> None:
        self.database = database
        self.policy = policy
        self.clock = clock
        self.platforms = platforms
        self.role_mapping = role_mapping or {}
        self.after_commit = after_commit

    def execute(self, identity: PlatformIdentity, text: str) -> Reply:
        """Parse and run command text such as `/incident claim INC-42`."""
        try:
            argv = grammar.tokenize(text.strip())
        except grammar.UsageError as exc:
            return Reply(str(exc), ok=False)
        return self.execute_argv(identity, argv)

    def execute_argv(self, identity: PlatformIdentity, argv: list[str]) -> Reply:
        """Run an already-split command (buttons and modals build these)."""
        try:
            invocation = grammar.parse_argv(argv)
        except grammar.UsageError as exc:
            return Reply(str(exc), ok=False)
        try:
            with self.database.transaction() as session:
                ctx = DeskContext(session, self.policy, self.clock, self.platforms)
                actor = resolve_actor(ctx, identity, self.role_mapping)
                reply = self._run(ctx, actor, identity, invocation)
        except DeskError as exc:
            return Reply(exc.message, ok=False)
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception(
                "command failed (error id %s): %s %s",
                error_id,
                invocation.command,
                invocation.subcommand,
            )
            return Reply(
                f"Something went wrong on my side (error id {error_id}); nothing was changed.",
                ok=False,
            )
        if self.after_commit is not None:
            self.after_commit()
        return reply

    def actor(self, identity: PlatformIdentity) -> Actor:
        """The desk actor for an identity (creating the person on first contact)."""
        with self.database.transaction() as session:
            return resolve_actor(
                DeskContext(session, self.policy, self.clock, self.platforms),
                identity,
                self.role_mapping,
            )

    def refusal(self, identity: PlatformIdentity, action: str) -> str | None:
        """Why this person may not take an agents-only action, before a form is opened."""
        return incidents.agent_only_refusal(self.actor(identity), action)

    def home(self, identity: PlatformIdentity) -> HomeView:
        """What a person sees on their home tab: their incidents, and an agent's queues."""
        with self.database.transaction() as session:
            ctx = DeskContext(session, self.policy, self.clock, self.platforms)
            actor = resolve_actor(ctx, identity, self.role_mapping)
            employee = Actor(actor.name, frozenset({"employee"}), actor.display_name)
            reported = queries.list_incidents(ctx, employee).incidents
            assigned, queue_title, queue = [], None, []
            if actor.is_agent:
                assigned = queries.list_incidents(ctx, actor, mine=True).incidents
                team_queue = queries.list_incidents(ctx, actor)
                queue_title, queue = team_queue.title, team_queue.incidents
            snap = incident_snapshot
            return HomeView(
                actor,
                [snap(i) for i in reported],
                [snap(i) for i in assigned],
                queue_title,
                [snap(i) for i in queue],
            )

    def _run(
        self, ctx: DeskContext, actor: Actor, identity: PlatformIdentity, inv: grammar.Invocation
    ) -> Reply:
        handler = getattr(self, f"_{inv.command}_{inv.subcommand}")
        return handler(ctx, actor, identity, inv)

    # /desk

    def _desk_help(self, ctx, actor, identity, inv) -> Reply:
        return Reply(grammar.help_text(inv.arg("topic")))

    def _desk_whoami(self, ctx, actor, identity, inv) -> Reply:
        teams = ", ".join(t.name for t in ctx.policy.teams_of(actor.name)) or "no team"
        roles = ", ".join(sorted(actor.roles))
        return Reply(
            f"You are {actor.name} ({actor.display_name or actor.name}) — roles: {roles}; teams: {teams}."
        )

    # /incident

    def _incident_new(self, ctx, actor, identity, inv) -> Reply:
        f = inv.flags
        incident = incidents.open_incident(
            ctx,
            actor,
            title=inv.arg("title"),
            description=str(f.get("description", "")),
            service=_opt(f, "service"),
            category=_opt(f, "category"),
            impact=str(f.get("impact", "medium")),
            urgency=str(f.get("urgency", "medium")),
        )
        queue = f", queued for {incident.assignment_group}" if incident.assignment_group else ""
        return _done(
            incident,
            f'Opened {incident.key} [{incident.priority}] "{incident.title}"{queue}. '
            "I'll keep you posted here.",
        )

    def _incident_show(self, ctx, actor, identity, inv) -> Reply:
        detail = queries.show_incident(ctx, actor, inv.arg("id"))
        text = render(
            "incident_detail",
            incident=detail.incident,
            timeline=detail.timeline,
            respond_left=detail.respond_left,
            resolve_left=detail.resolve_left,
        )
        return Reply(text, incident=incident_snapshot(detail.incident))

    def _incident_update(self, ctx, actor, identity, inv) -> Reply:
        f = inv.flags
        incident = triage.update_incident(
            ctx,
            actor,
            inv.arg("id"),
            **{
                name: _opt(f, name)
                for name in ("title", "description", "service", "category", "impact", "urgency")
            },
        )
        return _done(
            incident,
            f"{incident.key} updated: now {incident.priority}, "
            f"service {incident.service or '—'}, queue {incident.assignment_group or '—'}.",
        )

    def _incident_list(self, ctx, actor, identity, inv) -> Reply:
        f = inv.flags
        queue = queries.list_incidents(
            ctx,
            actor,
            mine=bool(f.get("mine")),
            team=_opt(f, "team"),
            state=_opt(f, "state"),
            include_closed=bool(f.get("all")),
        )
        return Reply(
            render("incident_list", title=queue.title, incidents=queue.incidents, total=queue.total)
        )

    def _incident_claim(self, ctx, actor, identity, inv) -> Reply:
        incident = incidents.claim_incident(ctx, actor, inv.arg("id"))
        return _done(incident, f'You are now working on {incident.key} "{incident.title}".')

    def _incident_assign(self, ctx, actor, identity, inv) -> Reply:
        target = resolve_person_name(ctx, identity.platform, inv.arg("to"))
        incident = incidents.assign_incident(ctx, actor, inv.arg("id"), target)
        who = incident.assignee or f"team {incident.assignment_group}"
        return _done(incident, f"{incident.key} is now assigned to {who}.")

    def _incident_note(self, ctx, actor, identity, inv) -> Reply:
        incident = incidents.add_note(ctx, actor, inv.arg("id"), inv.arg("text"))
        return _done(incident, f"Note added to {incident.key}.")

    def _incident_hold(self, ctx, actor, identity, inv) -> Reply:
        incident = incidents.hold_incident(ctx, actor, inv.arg("id"), inv.arg("reason"))
        return _done(incident, f"{incident.key} is on hold; its SLA clocks are paused.")

    def _incident_resume(self, ctx, actor, identity, inv) -> Reply:
        incident = incidents.resume_incident(ctx, actor, inv.arg("id"))
        return _done(incident, f"{incident.key} is back in progress; its SLA clocks run again.")

    def _incident_resolve(self, ctx, actor, identity, inv) -> Reply:
        incident = incidents.resolve_incident(ctx, actor, inv.arg("id"), inv.arg("resolution"))
        return _done(
            incident, f"{incident.key} is resolved; {incident.reporter} has been asked to confirm."
        )

    def _incident_close(self, ctx, actor, identity, inv) -> Reply:
        incident = incidents.close_incident(ctx, actor, inv.arg("id"))
        return _done(incident, f"{incident.key} is closed. Thank you!")

    def _incident_reopen(self, ctx, actor, identity, inv) -> Reply:
        incident = incidents.reopen_incident(ctx, actor, inv.arg("id"), inv.arg("reason"))
        return _done(incident, f"{incident.key} is reopened.")

    def _incident_cancel(self, ctx, actor, identity, inv) -> Reply:
        incident = incidents.cancel_incident(ctx, actor, inv.arg("id"), inv.arg("reason"))
        return _done(incident, f"{incident.key} is cancelled.")


def _opt(flags: dict, name: str) -> str | None:
    value = flags.get(name)
    return str(value) if value not in (None, True, False) else None


def _done(incident: IncidentRecord, text: str) -> Reply:
    return Reply(text, incident=incident_snapshot(incident))
