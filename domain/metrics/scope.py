"""Whose numbers a report holds and over which period, and who may ask for them.

Admins see the whole desk (or any team or service); agents see their teams (all of them
together unless they name one); employees see only their own history: the incidents they
reported, their requests, their access and their surveys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import get_close_matches

from domain.context import Actor, DeskContext
from domain.errors import InvalidInput, NotFound, PermissionDenied

DEFAULT_PERIOD = timedelta(days=30)


@dataclass(frozen=True)
class Scope:
    """The resolved question: a period, and the incidents, requests, grants and surveys in it.

    `teams` None means every team; `person` set means one person's own history.
    """

    label: str
    since: datetime | None  # None: all time
    until: datetime
    now: datetime
    team: str | None = None
    service: str | None = None
    teams: tuple[str, ...] | None = None
    person: str | None = None

    @property
    def all_time(self) -> bool:
        return self.since is None

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "team": self.team,
            "service": self.service,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat(),
            "all_time": self.all_time,
            "backlog_at": self.now.isoformat(),
        }


def resolve_scope(
    ctx: DeskContext,
    actor: Actor,
    *,
    team: str | None = None,
    service: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    all_time: bool = False,
) -> Scope:
    """Check the question and the asker's right to it; DeskError with the reason if not."""
    now = ctx.clock.now()
    until = until or now
    if all_time:
        since = None
    elif since is None:
        since = until - DEFAULT_PERIOD
    if since is not None and since >= until:
        raise InvalidInput(
            f"The period starts ({_day(since)}) at or after it ends ({_day(until)}); "
            "give a start before the end."
        )
    team_name = _known(ctx.policy.teams, team, "team") if team else None
    service_name = _known(ctx.policy.services, service, "service") if service else None
    period = {"since": since, "until": until, "now": now}
    if not actor.is_agent:
        if team_name or service_name:
            raise PermissionDenied(
                "Team and service reports are for agents and admins; "
                "/desk report on its own shows your own history."
            )
        return Scope("your own", person=actor.name, **period)
    mine = tuple(t.name for t in ctx.policy.teams_of(actor.name))
    if service_name:
        owner = ctx.policy.services[service_name].owner
        if not actor.is_admin and owner not in mine:
            raise PermissionDenied(
                f"Service {service_name} belongs to team {owner}, which is not yours; "
                "you can see the services of your own teams."
            )
    if team_name and not actor.is_admin and team_name not in mine:
        raise PermissionDenied(
            f"You are not in team {team_name}, so you cannot see its report"
            + (f"; yours: {', '.join(mine)}." if mine else ".")
        )
    if team_name or service_name:
        label = " ".join(
            part
            for part in (
                f"team {team_name}" if team_name else "",
                f"service {service_name}" if service_name else "",
            )
            if part
        )
        teams = (team_name,) if team_name else None
        return Scope(label, team=team_name, service=service_name, teams=teams, **period)
    if actor.is_admin:
        return Scope("the whole desk", **period)
    if not mine:
        raise PermissionDenied(
            "You are in no team, so there is no team report for you; "
            "ask an admin to add you to one."
        )
    label = f"team {mine[0]}" if len(mine) == 1 else "your teams: " + ", ".join(mine)
    return Scope(label, teams=mine, **period)


def _known(names: dict, wanted: str, noun: str) -> str:
    """The configured name, or NotFound naming the closest one."""
    name = wanted.strip().lower()
    if name in names:
        return name
    close = get_close_matches(name, list(names), n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    known = ", ".join(sorted(names)) or "none configured"
    raise NotFound(f"There is no {noun} '{wanted[:40]}'.{hint} Known {noun}s: {known}.")


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")
