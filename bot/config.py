"""The desk's configuration as code: one YAML file, validated with file and line numbers."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path as FsPath
from typing import Any

from bot.config_access import access_groups, check_access
from bot.config_catalog import DirectorySettings, check_catalog, check_directory
from bot.config_events import check_events
from bot.config_major import check_major
from bot.config_metrics import check_metrics
from bot.config_oncall import check_oncall
from bot.yaml_source import ConfigError, Located, load
from domain.clock import parse_duration
from domain.policy import (
    DEFAULT_MATRIX,
    LEVELS,
    PRIORITIES,
    ROLES,
    Channel,
    DeskPolicy,
    PersonProfile,
    Service,
    SlaTarget,
    Team,
)

SECTIONS = (
    "desk",
    "channels",
    "routing",
    "people",
    "teams",
    "services",
    "priority_matrix",
    "sla",
    "role_mapping",
    "problems",
    "catalog",
    "directory",
    "access",
    "major",
    "events",
    "calendars",
    "oncall",
    "metrics",
)
# A person's account on each chat platform, as the config spells it: <platform>_id.
ACCOUNT_KEYS = {"slack_id": "slack", "discord_id": "discord"}
# The keys each kind of entry takes; any other key is a mistake, most often a typo.
DESK_KEYS = ("name", "default_role", "auto_close_after")
ROUTING_KEYS = ("triage", "escalation", "triage_team", "security")
PERSON_KEYS = ("display_name", "email", "roles", "manager", "recovery_email", *ACCOUNT_KEYS)
TEAM_KEYS = ("display_name", "members", "lead", "channel")
SERVICE_KEYS = ("display_name", "owner", "categories")
SLA_KEYS = ("respond", "resolve", "warn_at")
PROBLEM_KEYS = ("recurring_incidents", "recurring_window")
PLATFORMS = ("slack", "discord")
WORKS_INCIDENTS = ("agent", "admin")  # the roles that may be given incidents
YES_NO = "got a yes/no value"
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

__all__ = [
    "ConfigError",
    "DeskConfig",
    "example_config_path",
    "load_config",
    "load_config_text",
    "parse_duration",
]


@dataclass(frozen=True)
class DeskConfig:
    """A validated configuration: the domain's policy plus what only the bot needs."""

    source: str
    policy: DeskPolicy
    desk_name: str
    role_mapping: dict[str, dict[str, str]]
    directory: DirectorySettings = DirectorySettings()
    # Things that work but are probably not meant (hours of a schedule nobody covers).
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        p = self.policy
        return (
            f"{self.source}: OK — {len(p.people)} people, {len(p.teams)} teams, "
            f"{len(p.services)} services, {len(p.channels)} channels, SLA for {len(p.sla)} "
            f"priorities, {len(p.catalog)} catalogue items, "
            f"{len(p.access.resources)} access resources"
        )


def example_config_path() -> FsPath:
    """The example company shipped with deskbot, used when no config file exists."""
    return FsPath(str(resources.files("bot").joinpath("example/deskbot.yaml")))


def load_config(path: FsPath) -> DeskConfig:
    """Read and validate a config file; raise ConfigError naming every problem."""
    try:
        text = FsPath(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read the configuration: {exc}"]) from None
    return load_config_text(text, str(path))


def load_config_text(text: str, filename: str = "deskbot.yaml") -> DeskConfig:
    """Validate configuration text; all problems are reported at once, not the first only."""
    doc = load(text, filename)
    if not isinstance(doc.data, dict):
        raise ConfigError([f"{filename}:1: the configuration must be a mapping of sections"])
    checker = _Checker(doc)
    config = checker.build()
    if doc.problems:
        # In the order of the file, as someone fixing them reads it.
        raise ConfigError(sorted(doc.problems, key=lambda p: _line_number(p, filename)))
    return config


def _line_number(problem: str, filename: str) -> int:
    """The line a "file:line: message" problem names (0 when it names none)."""
    line = problem[len(filename) + 1 :].partition(":")[0]
    return int(line) if line.isdigit() else 0


class _Checker:
    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.roles_reported: set[str] = set()  # people whose roles already have a problem
        self.warnings: list[str] = []

    def problem(self, path: tuple, message: str) -> None:
        self.doc.problem(path, message)

    def warning(self, path: tuple, message: str) -> None:
        """Something valid but probably not meant; `config check` prints it with its line."""
        self.warnings.append(f"{self.doc.filename}:{self.doc.line_of(path)}: {message}")

    def section(self, name: str, kind: type = dict) -> Any:
        value = self.data.get(name)
        if value is None:
            return kind()
        if not isinstance(value, kind):
            self.problem((name,), f"'{name}' must be a {'mapping' if kind is dict else 'list'}")
            return kind()
        return value

    def build(self) -> DeskConfig:
        self.unknown_keys(self.data, (), SECTIONS, "", what="section")
        desk = self.section("desk")
        self.unknown_keys(desk, ("desk",), DESK_KEYS, " in desk")
        channels = self.channels()
        people = self.people()
        teams = self.teams(people, channels)
        services = self.services(teams)
        for clash in sorted(set(people) & set(teams)):
            # "/incident assign INC-1 NAME" must mean one thing.
            self.problem(("teams", clash), f"'{clash}' is both a person and a team; rename one")
        routing = self.section("routing")
        triage = self.ref(routing, ("routing", "triage"), channels, "channel", required=True)
        escalation = self.ref(routing, ("routing", "escalation"), channels, "channel")
        triage_team = self.ref(routing, ("routing", "triage_team"), teams, "team")
        security = self.ref(routing, ("routing", "security"), channels, "channel")
        self.unknown_keys(routing, ("routing",), ROUTING_KEYS, " in routing")
        default_role = desk.get("default_role", "employee")
        if default_role not in ROLES:
            self.problem(
                ("desk", "default_role"),
                f"unknown role '{default_role}' (one of {', '.join(ROLES)})",
            )
            default_role = "employee"
        auto_close = self.duration(desk, ("desk", "auto_close_after"), "3d")
        recurring, window = self.problems()
        self.managers(people)
        directory = check_directory(self, people)
        access = check_access(self, people, teams, security)
        major = check_major(self, people, channels)
        oncall = check_oncall(self, people, teams, services, channels)
        # The built-in directory has every group access management gives.
        groups = {g: () for g in sorted(access_groups(access))} | dict(directory.groups)
        policy = DeskPolicy(
            people=people,
            teams=teams,
            services=services,
            sla=self.sla(),
            channels=channels,
            triage_channel=triage or "service-desk",
            escalation_channel=escalation,
            security_channel=security,
            triage_team=triage_team,
            matrix=self.matrix(),
            default_role=default_role,
            auto_close_after=auto_close or timedelta(days=3),
            recurring_incidents=recurring,
            recurring_window=window,
            catalog=check_catalog(self, people, teams),
            password_policy=directory.password_policy,
            directory_groups=groups,
            access=access,
            major=major,
            events=check_events(self, services),
            oncall=oncall,
            metrics=check_metrics(self, channels, services),
        )
        return DeskConfig(
            source=self.doc.filename,
            policy=policy,
            desk_name=str(desk.get("name", "deskbot")),
            role_mapping=self.role_mapping(),
            directory=directory,
            warnings=tuple(sorted(self.warnings, key=lambda w: _line_number(w, self.doc.filename))),
        )

    def managers(self, people: dict[str, PersonProfile]) -> None:
        """Each `manager:` must name a person, not the person themselves."""
        for name, profile in people.items():
            if profile.manager is None:
                continue
            path = ("people", name, "manager")
            if profile.manager == name:
                self.problem(path, f"{name} cannot be their own manager")
            elif profile.manager not in people:
                hint = _did_you_mean(profile.manager, people)
                self.problem(
                    path, f"people.{name}.manager: unknown person '{profile.manager}'{hint}"
                )

    def unknown_keys(
        self, spec: dict, path: tuple, known: tuple, where: str, what: str = "key"
    ) -> None:
        """One problem per key not in `known`, with the key most likely meant."""
        for key in spec:
            if key not in known:
                hint = _did_you_mean(str(key), known) or f" (known {what}s: {', '.join(known)})"
                self.problem(path + (key,), f"unknown {what} '{key}'{where}{hint}")

    def name_ok(self, path: tuple, name: str, what: str) -> bool:
        if not NAME.match(str(name)):
            self.problem(
                path, f"{what} name '{name}' must be lowercase letters, digits, '.', '_' or '-'"
            )
            return False
        return True

    def channels(self) -> dict[str, Channel]:
        result = {}
        for name, spec in self.section("channels").items():
            path = ("channels", name)
            if not self.name_ok(path, name, "channel"):
                continue
            spec = spec or {}
            if not isinstance(spec, dict):
                self.problem(
                    path, f"channel '{name}' must map platforms to channel ids, e.g. slack: C0123"
                )
                continue
            self.unknown_keys(spec, path, PLATFORMS, f" for channel '{name}'", what="platform")
            result[name] = Channel(name, {k: str(v) for k, v in spec.items() if k in PLATFORMS})
        return result

    def people(self) -> dict[str, PersonProfile]:
        result: dict[str, PersonProfile] = {}
        seen: dict[tuple[str, str], str] = {}
        for name, spec in self.section("people").items():
            path = ("people", name)
            if not self.name_ok(path, name, "person"):
                continue
            spec = spec or {}
            if not isinstance(spec, dict):
                self.problem(
                    path, f"person '{name}' must be a mapping (display_name, email, roles…)"
                )
                continue
            self.unknown_keys(spec, path, PERSON_KEYS, f" for person '{name}'")
            roles = spec.get("roles", ["employee"])
            roles = [roles] if isinstance(roles, str) else roles
            if roles is None or roles == []:
                # Left out, roles default to employee; written but empty is a slip.
                self.problem(
                    path + ("roles",),
                    f"people.{name}.roles is empty: give {name} at least one role "
                    "(employee, agent or admin), or leave roles out for employee",
                )
                roles = []
            elif not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
                self.problem(path + ("roles",), f"roles of {name} must be a list such as [agent]")
                roles = []
            if not roles or not set(roles) <= set(ROLES):
                self.roles_reported.add(name)
            for role in roles:
                if role not in ROLES:
                    self.problem(
                        path + ("roles",),
                        f"unknown role '{role}' for {name} (one of {', '.join(ROLES)})",
                    )
            for field in ("email", *ACCOUNT_KEYS):
                value = spec.get(field)
                if value is None:
                    continue
                key = (field, str(value).lower())
                if key in seen:
                    self.problem(
                        path + (field,), f"{field} {value} is given to both {seen[key]} and {name}"
                    )
                seen[key] = name
            result[name] = PersonProfile(
                name=name,
                display_name=str(spec.get("display_name") or name),
                email=str(spec["email"]).lower() if spec.get("email") else None,
                roles=tuple(r for r in roles if r in ROLES) or ("employee",),
                accounts={
                    platform: str(spec[key])
                    for key, platform in ACCOUNT_KEYS.items()
                    if spec.get(key)
                },
                manager=str(spec["manager"]) if spec.get("manager") else None,
                recovery_email=str(spec["recovery_email"]) if spec.get("recovery_email") else None,
            )
        return result

    def teams(self, people: dict, channels: dict) -> dict[str, Team]:
        result = {}
        for name, spec in self.section("teams").items():
            path = ("teams", name)
            if not self.name_ok(path, name, "team"):
                continue
            if not isinstance(spec, dict):
                self.problem(path, f"team '{name}' must be a mapping (members, lead, channel)")
                continue
            self.unknown_keys(spec, path, TEAM_KEYS, f" for team '{name}'")
            members = spec.get("members") or []
            if not isinstance(members, list):
                self.problem(
                    path + ("members",), f"members of team '{name}' must be a list of people"
                )
                members = []
            for i, member in enumerate(members):
                if not isinstance(member, str):
                    self.problem(
                        path + ("members", i), f"a member of team '{name}' must be a person's name"
                    )
                elif member not in people:
                    self.problem(
                        path + ("members", i),
                        f"team '{name}' has unknown member '{member}'{_did_you_mean(str(member), people)}",
                    )
                else:
                    self.works_incidents(
                        path + ("members", i), people[member], f"take {member} off the team"
                    )
            lead = self.ref(spec, path + ("lead",), people, "person")
            if lead is not None:
                self.works_incidents(path + ("lead",), people[lead], "choose another lead")
            channel = self.ref(spec, path + ("channel",), channels, "channel")
            result[name] = Team(
                name,
                tuple(m for m in members if isinstance(m, str)),
                lead,
                channel,
                str(spec.get("display_name") or name),
            )
        return result

    def services(self, teams: dict) -> dict[str, Service]:
        result = {}
        for name, spec in self.section("services").items():
            path = ("services", name)
            if not self.name_ok(path, name, "service"):
                continue
            if not isinstance(spec, dict):
                self.problem(path, f"service '{name}' must be a mapping (owner, categories)")
                continue
            self.unknown_keys(spec, path, SERVICE_KEYS, f" for service '{name}'")
            owner = self.ref(spec, path + ("owner",), teams, "team", required=True)
            categories = spec.get("categories") or []
            if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
                self.problem(
                    path + ("categories",), f"categories of '{name}' must be a list of names"
                )
                categories = []
            result[name] = Service(
                name,
                owner or "",
                tuple(str(c) for c in categories),
                str(spec.get("display_name") or name),
            )
        return result

    def sla(self) -> dict[str, SlaTarget]:
        section = self.section("sla")
        result = {}
        for key in section:
            if key not in PRIORITIES:
                self.problem(("sla", key), f"unknown priority '{key}' in sla (P1–P5)")
        for priority in PRIORITIES:
            spec = section.get(priority)
            path = ("sla", priority)
            if not isinstance(spec, dict):
                self.problem(
                    ("sla",) if spec is None else path,
                    f"missing SLA for priority {priority} (respond, resolve)",
                )
                continue
            self.unknown_keys(spec, path, SLA_KEYS, f" in sla {priority}")
            respond = self.duration(spec, path + ("respond",), None)
            resolve = self.duration(spec, path + ("resolve",), None)
            warn = spec.get("warn_at", "75%")
            fraction = _fraction(warn)
            if isinstance(warn, bool):
                self.problem(
                    path + ("warn_at",), f"warn_at: expected a percentage such as 75%, {YES_NO}"
                )
            elif fraction is None:
                self.problem(
                    path + ("warn_at",), f"bad warn_at {warn!r}: use a percentage such as 75%"
                )
            if respond and resolve and respond > resolve:
                self.problem(path, f"{priority}: time to respond is longer than time to resolve")
            if respond and resolve and fraction is not None:
                result[priority] = SlaTarget(respond, resolve, fraction)
        return result

    def problems(self) -> tuple[int, timedelta]:
        """When recurring incidents make a suggested problem: how many, within how long."""
        section = self.section("problems")
        self.unknown_keys(section, ("problems",), PROBLEM_KEYS, " in problems")
        count = section.get("recurring_incidents", 3)
        if isinstance(count, bool) or not isinstance(count, int) or not 2 <= count <= 1000:
            self.problem(
                ("problems", "recurring_incidents"),
                f"recurring_incidents must be a whole number from 2 to 1000, not '{count}'",
            )
            count = 3
        window = self.duration(section, ("problems", "recurring_window"), "24h")
        return count, window or timedelta(hours=24)

    def duration(self, spec: dict, path: tuple, default: str | None) -> timedelta | None:
        raw = spec.get(path[-1], default)
        if raw is None:
            self.problem(path[:-1], f"missing '{path[-1]}' in {path[-2]}")
            return None
        value = parse_duration(raw)
        if isinstance(raw, bool):  # YAML reads yes, no, on, off, true and false as booleans
            self.problem(path, f"{path[-1]}: expected a duration such as 3d or 12h, {YES_NO}")
        elif value is None:
            self.problem(
                path,
                f'bad duration "{raw}": use a number and s, m, h, d or w, e.g. 30m, 4h, 2d '
                "(at most a year)",
            )
        return value

    def matrix(self) -> dict[str, dict[str, str]]:
        section = self.data.get("priority_matrix")
        if section is None:
            return DEFAULT_MATRIX
        result: dict[str, dict[str, str]] = {}
        if isinstance(section, dict):
            self.unknown_keys(
                section, ("priority_matrix",), LEVELS, " in priority_matrix", what="impact"
            )
        for impact in LEVELS:
            row = section.get(impact) if isinstance(section, dict) else None
            if not isinstance(row, dict):
                self.problem(
                    ("priority_matrix",), f"priority_matrix needs a row for impact '{impact}'"
                )
                continue
            self.unknown_keys(
                row, ("priority_matrix", impact), LEVELS, f" in priority_matrix {impact}", "urgency"
            )
            result[impact] = {}
            for urgency in LEVELS:
                value = row.get(urgency)
                if value not in PRIORITIES:
                    self.problem(
                        ("priority_matrix", impact, urgency)
                        if urgency in row
                        else ("priority_matrix", impact),
                        f"priority_matrix {impact}/{urgency} must be one of P1–P5, not {value!r}",
                    )
                result[impact][urgency] = value if value in PRIORITIES else "P3"
        return result

    def role_mapping(self) -> dict[str, dict[str, str]]:
        result: dict[str, dict[str, str]] = {}
        section = self.section("role_mapping")
        self.unknown_keys(section, ("role_mapping",), ("discord",), " in role_mapping", "platform")
        for platform, mapping in section.items():
            if platform != "discord":
                continue
            if not isinstance(mapping, dict):
                self.problem(
                    ("role_mapping", platform),
                    "role_mapping maps Discord role ids to deskbot roles: discord: {ROLE_ID: agent}",
                )
                continue
            for role_id, role in mapping.items():
                path = ("role_mapping", platform, role_id)
                # A role name can be created in any server the bot is in; an id cannot.
                if not str(role_id).isdigit():
                    self.problem(
                        path,
                        f"'{role_id}' is not a Discord role id: map roles by id (Server "
                        "Settings → Roles → Copy Role ID), since anyone can name a role",
                    )
                elif role not in ROLES:
                    self.problem(path, f"unknown role '{role}' (one of {', '.join(ROLES)})")
            result[platform] = {str(k): v for k, v in mapping.items() if v in ROLES}
        return result

    def works_incidents(self, path: tuple, person: PersonProfile, otherwise: str) -> None:
        """A team's members and lead are given its incidents, so each must be an agent."""
        if person.name in self.roles_reported:
            return  # one mistake, one message: the roles themselves are already reported
        if not set(person.roles) & set(WORKS_INCIDENTS):
            where = ".".join(str(p) for p in path if not isinstance(p, int))
            self.problem(
                path,
                f"{where}: '{person.name}' is not an agent (roles: {', '.join(person.roles)}); "
                f"give {person.name} the agent role or {otherwise}",
            )

    def ref(
        self, spec: dict, path: tuple, known: dict, what: str, required: bool = False
    ) -> str | None:
        value = spec.get(path[-1]) if isinstance(spec, dict) else None
        if value is None:
            if required:
                self.problem(
                    path[:-1] or path,
                    f"missing '{path[-1]}' ({what})" + (f" in {path[-2]}" if len(path) > 1 else ""),
                )
            return None
        if str(value) not in known:
            where = ".".join(str(p) for p in path)
            self.problem(
                path, f"{where}: unknown {what} '{value}'{_did_you_mean(str(value), known)}"
            )
            return None
        return str(value)


def _fraction(value: Any) -> float | None:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            value = float(value.strip()[:-1]) / 100
        except ValueError:
            return None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1:
        return float(value)
    return None


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" — did you mean '{close[0]}'?" if close else ""
