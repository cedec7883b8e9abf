"""The `access:` section of deskbot.yaml: resources people are given time-bound access to."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from domain.access_resources import AccessSettings, BreakGlass, Resource

if TYPE_CHECKING:
    from bot.config import _Checker

ACCESS_KEYS = ("resources", "reconcile_every", "repair")
RESOURCE_KEYS = (
    "description",
    "roles",
    "owners",
    "approvals",
    "max_duration",
    "default_duration",
    "reason_required",
    "managed",
    "self_renew",
    "review_every",
    "break_glass",
)
BREAK_GLASS_KEYS = ("teams", "roles", "max_duration")
MANAGED = ("shared", "exclusive")


def check_access(
    checker: _Checker, people: dict, teams: dict, security_channel: str | None
) -> AccessSettings:
    """The `access:` section, checked with file and line like the rest."""
    section = checker.section("access")
    checker.unknown_keys(section, ("access",), ACCESS_KEYS, " in access")
    every = checker.duration(section, ("access", "reconcile_every"), "1h") or timedelta(hours=1)
    repair = _yes_no(checker, ("access", "repair"), section, False)
    raw = section.get("resources") or {}
    if not isinstance(raw, dict):
        checker.problem(("access", "resources"), "resources must map each name to its settings")
        raw = {}
    resources: dict[str, Resource] = {}
    for name, spec in raw.items():
        path = ("access", "resources", name)
        if not checker.name_ok(path, name, "resource"):
            continue
        if not isinstance(spec, dict):
            checker.problem(path, f"resource '{name}' must be a mapping (roles, owners…)")
            continue
        found = _resource(checker, path, str(name), spec, people, teams)
        if found is not None:
            resources[found.name] = found
    if resources and not security_channel:
        checker.problem(
            ("routing",),
            "access resources need a security channel (routing: security: CHANNEL): "
            "break-glass access and every grant are announced there",
        )
    return AccessSettings(resources=resources, reconcile_every=every, repair=repair)


def _resource(
    checker: _Checker, path: tuple, name: str, spec: dict, people: dict, teams: dict
) -> Resource | None:
    checker.unknown_keys(spec, path, RESOURCE_KEYS, f" in resource '{name}'")
    roles = _roles(checker, path + ("roles",), spec.get("roles"))
    owners = []
    raw_owners = spec.get("owners")
    if isinstance(raw_owners, str):
        raw_owners = [raw_owners]
    if not isinstance(raw_owners, list) or not raw_owners:
        checker.problem(path, f"resource '{name}' needs owners (a list of people who approve)")
        raw_owners = []
    for i, owner in enumerate(raw_owners):
        if str(owner) not in people:
            checker.problem(path + ("owners", i), f"unknown person '{owner}' in owners")
        else:
            owners.append(str(owner))
    approvals = spec.get("approvals", 1)
    if isinstance(approvals, bool) or not isinstance(approvals, int) or approvals < 1:
        checker.problem(path + ("approvals",), "approvals must be a whole number of at least 1")
        approvals = 1
    if owners and approvals > len(owners):
        checker.problem(
            path + ("approvals",),
            f"approvals is {approvals} but '{name}' has only {len(owners)} owners",
        )
    longest = checker.duration(spec, path + ("max_duration",), "7d") or timedelta(days=7)
    default = checker.duration(spec, path + ("default_duration",), "8h") or timedelta(hours=8)
    if default > longest:
        checker.problem(
            path + ("default_duration",), "default_duration is longer than max_duration"
        )
        default = longest
    managed = spec.get("managed", "shared")
    if managed not in MANAGED:
        checker.problem(
            path + ("managed",), f"managed must be shared or exclusive, not {managed!r}"
        )
        managed = "shared"
    review = spec.get("review_every")
    review_every = checker.duration(spec, path + ("review_every",), None) if review else None
    if not roles or not owners:
        return None
    return Resource(
        name=name,
        description=str(spec.get("description") or "").strip(),
        roles=roles,
        owners=tuple(owners),
        approvals=approvals,
        max_duration=longest,
        default_duration=default,
        reason_required=_yes_no(checker, path + ("reason_required",), spec, True),
        exclusive=managed == "exclusive",
        self_renew=_yes_no(checker, path + ("self_renew",), spec, False),
        review_every=review_every,
        break_glass=_break_glass(
            checker, path + ("break_glass",), spec.get("break_glass"), roles, teams
        ),
    )


def _roles(checker: _Checker, path: tuple, spec: Any) -> dict[str, str]:
    if not isinstance(spec, dict) or not spec:
        checker.problem(path, "roles must map each role to its directory group, e.g. read: db-read")
        return {}
    roles = {}
    for role, group in spec.items():
        if not checker.name_ok(path + (role,), str(role), "role"):
            continue
        if not isinstance(group, str) or not group.strip():
            checker.problem(path + (role,), f"role '{role}' needs a directory group name")
            continue
        roles[str(role)] = group.strip()
    return roles


def _break_glass(
    checker: _Checker, path: tuple, spec: Any, roles: dict, teams: dict
) -> BreakGlass | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        checker.problem(path, "break_glass must be a mapping (teams, roles, max_duration)")
        return None
    checker.unknown_keys(spec, path, BREAK_GLASS_KEYS, " in break_glass")
    chosen_teams = []
    for i, team in enumerate(_list(spec.get("teams"))):
        if str(team) not in teams:
            checker.problem(path + ("teams", i), f"unknown team '{team}'")
        else:
            chosen_teams.append(str(team))
    chosen_roles = []
    if not _list(spec.get("roles")):
        # Never every role by default: an admin role without approval must be written down.
        checker.problem(path, "break_glass needs the roles it gives (roles: [read])")
    for i, role in enumerate(_list(spec.get("roles"))):
        if str(role) not in roles:
            checker.problem(path + ("roles", i), f"unknown role '{role}' of this resource")
        else:
            chosen_roles.append(str(role))
    if not chosen_teams:
        checker.problem(path, "break_glass needs the teams who may use it")
    longest = checker.duration(spec, path + ("max_duration",), "1h") or timedelta(hours=1)
    return BreakGlass(tuple(chosen_teams), tuple(chosen_roles), longest)


def _list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _yes_no(checker: _Checker, path: tuple, spec: dict, default: bool) -> bool:
    value = spec.get(path[-1], default)
    if not isinstance(value, bool):
        checker.problem(path, f"{path[-1]} must be true or false, not {value!r}")
        return default
    return value


def access_groups(settings: AccessSettings) -> set[str]:
    """Every directory group a resource's role names."""
    return {g for r in settings.resources.values() for g in r.roles.values()}
