"""The service catalogue and the directory in deskbot.yaml: `catalog:` items (form fields,
approval, fulfilment, SLA) and `directory:` (built-in or LDAP), checked with file and line
like every other section (bot/config.py calls these with its checker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from domain.approval_rules import ApprovalRule
from domain.catalog import (
    DIRECTORY_ACTIONS,
    FIELD_TYPES,
    PLACEHOLDER,
    CatalogItem,
    FormField,
    Fulfilment,
)
from domain.directory import PasswordPolicy
from domain.policy import ROLES

if TYPE_CHECKING:
    from bot.config import _Checker

ITEM_KEYS = (
    "title",
    "description",
    "fields",
    "approval",
    "fulfilment",
    "sla",
    "roles",
    "teams",
    "keywords",
)
FIELD_KEYS = ("type", "label", "help", "required", "choices", "min", "max", "max_length", "default")
APPROVAL_KEYS = ("approvers", "group", "required", "lead", "remind_after", "escalate_after")
FULFILMENT_KEYS = ("team", "sla", "directory", "group", "member")
DIRECTORY_KINDS = ("builtin", "ldap")
DIRECTORY_KEYS = (
    "kind",
    "groups",
    "password_policy",
    "url",
    "base_dn",
    "bind_dn",
    "people",
    "groups_base",
    "timeout",
    "manager_attribute",
    "recovery_attribute",
    "policy_dn",
)
POLICY_KEYS = ("min_length", "min_classes")
FIELD_NAME_MAX = 40


@dataclass(frozen=True)
class DirectorySettings:
    """Which directory runs and how to reach it (LDAP's password: DESKBOT_LDAP_PASSWORD)."""

    kind: str = "builtin"
    url: str = ""
    base_dn: str = ""
    bind_dn: str = ""
    people: str = "ou=people"  # where people are, under base_dn
    groups_base: str = "ou=groups"  # where groups are, under base_dn
    timeout: timedelta = timedelta(seconds=5)
    manager_attribute: str = "manager"
    recovery_attribute: str = "otherMailbox"  # RFC 1274's other mailbox: the private one
    policy_dn: str = ""  # an LDAP ppolicy entry whose pwdMinLength the page also enforces
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)


def check_catalog(checker: _Checker, people: dict, teams: dict) -> dict[str, CatalogItem]:
    """The `catalog:` section: item id → item, in the file's order."""
    result: dict[str, CatalogItem] = {}
    for item_id, spec in checker.section("catalog").items():
        path = ("catalog", item_id)
        if not checker.name_ok(path, item_id, "catalogue item"):
            continue
        if not isinstance(spec, dict):
            checker.problem(path, f"catalogue item '{item_id}' must be a mapping (title, fields…)")
            continue
        checker.unknown_keys(spec, path, ITEM_KEYS, f" in catalogue item '{item_id}'")
        title = spec.get("title")
        if not isinstance(title, str) or not title.strip():
            checker.problem(path, f"catalogue item '{item_id}' needs a title")
            title = item_id
        fields = _fields(checker, path + ("fields",), spec.get("fields"), people)
        names = {f.name for f in fields}
        result[item_id] = CatalogItem(
            id=item_id,
            title=title.strip()[:200],
            description=str(spec.get("description") or "").strip(),
            fields=fields,
            approval=_approval(checker, path + ("approval",), spec.get("approval"), people, teams),
            fulfilment=_fulfilment(checker, path + ("fulfilment",), spec, teams, names),
            sla=checker.duration(spec, path + ("sla",), "5d") or timedelta(days=5),
            roles=_names(checker, path + ("roles",), spec.get("roles"), ROLES, "role"),
            teams=_names(checker, path + ("teams",), spec.get("teams"), teams, "team"),
            keywords=tuple(
                str(k).lower() for k in _list(checker, path + ("keywords",), spec.get("keywords"))
            ),
        )
    return result


def _fields(checker: _Checker, path: tuple, spec: Any, people: dict) -> tuple[FormField, ...]:
    if spec is None:
        return ()
    if not isinstance(spec, dict):
        checker.problem(path, "fields must map each field's name to its type and rules")
        return ()
    result = []
    for name, rules in spec.items():
        where = path + (name,)
        if not isinstance(name, str) or not name.isidentifier() or not name.islower():
            checker.problem(where, f"field name '{name}' must be lowercase letters, digits and _")
            continue
        if len(name) > FIELD_NAME_MAX or name == "requester":
            checker.problem(where, f"field name '{name}' is reserved or too long")
            continue
        rules = {"type": rules} if isinstance(rules, str) else rules or {}
        if not isinstance(rules, dict):
            checker.problem(where, f"field '{name}' must be a type (text) or a mapping of rules")
            continue
        checker.unknown_keys(rules, where, FIELD_KEYS, f" in field '{name}'")
        kind = rules.get("type", "text")
        if kind not in FIELD_TYPES:
            checker.problem(
                where + ("type",), f"unknown field type '{kind}' (one of {', '.join(FIELD_TYPES)})"
            )
            continue
        choices = tuple(str(c) for c in _list(checker, where + ("choices",), rules.get("choices")))
        if kind == "choice" and not choices:
            checker.problem(where, f"field '{name}' is a choice: give its choices")
        low = _number(checker, where + ("min",), rules.get("min"))
        high = _number(checker, where + ("max",), rules.get("max"))
        if low is not None and high is not None and low > high:
            checker.problem(where, f"field '{name}': min is greater than max")
        required = rules.get("required", True)
        if not isinstance(required, bool):
            checker.problem(
                where + ("required",), f"required must be true or false, not {required!r}"
            )
            required = True
        max_length = rules.get("max_length", 0)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0:
            checker.problem(where + ("max_length",), "max_length must be a whole number")
            max_length = 0
        field_ = FormField(
            name=name,
            type=kind,
            label=str(rules.get("label") or ""),
            help=str(rules.get("help") or ""),
            required=required,
            choices=choices,
            minimum=low,
            maximum=high,
            max_length=max_length,
        )
        default = rules.get("default")
        if default is not None:
            try:
                # The default must pass the field's own rule (any date is checked as today).
                field_.check(str(default), date.min, lambda n: n in people)
            except ValueError as exc:
                checker.problem(where + ("default",), f"default does not fit: {exc}")
                default = None
        result.append(
            FormField(**{**field_.__dict__, "default": None if default is None else str(default)})
        )
    return tuple(result)


def _approval(checker: _Checker, path: tuple, spec: Any, people: dict, teams: dict) -> ApprovalRule:
    if spec is None or spec == "none":
        return ApprovalRule("none")
    if spec == "manager":
        return ApprovalRule("manager")
    if not isinstance(spec, dict):
        checker.problem(
            path,
            "approval must be none, manager, {approvers: [names], required: N} or "
            "{group: TEAM, required: N}",
        )
        return ApprovalRule("none")
    checker.unknown_keys(spec, path, APPROVAL_KEYS, " in approval")
    required = spec.get("required", 1)
    if isinstance(required, bool) or not isinstance(required, int) or required < 1:
        checker.problem(
            path + ("required",), f"required must be a whole number of at least 1, not {required!r}"
        )
        required = 1
    remind = checker.duration(spec, path + ("remind_after",), "1d") or timedelta(days=1)
    escalate = checker.duration(spec, path + ("escalate_after",), "2d") or timedelta(days=2)
    if escalate < remind:
        checker.problem(path, "escalate_after must not come before remind_after")
    lead = checker.ref(spec, path + ("lead",), people, "person")
    if "group" in spec:
        if "approvers" in spec:
            checker.problem(path, "give approvers or a group, not both")
        group = checker.ref(spec, path + ("group",), teams, "team")
        if group is not None:
            team = teams[group]
            size = len({*team.members, *((team.lead,) if team.lead else ())})
            if required > size:
                checker.problem(
                    path + ("required",),
                    f"team {group} has only {size} people to approve, not {required}",
                )
        return ApprovalRule(
            "group",
            group=group,
            required=required,
            lead=lead,
            remind_after=remind,
            escalate_after=escalate,
        )
    approvers = []
    for i, name in enumerate(_list(checker, path + ("approvers",), spec.get("approvers"))):
        if str(name) not in people:
            checker.problem(path + ("approvers", i), f"unknown approver '{name}'")
        else:
            approvers.append(str(name))
    if not approvers:
        checker.problem(path, "approval needs approvers: [names] or group: TEAM")
    elif required > len(approvers):
        checker.problem(
            path + ("required",),
            f"required is {required} but only {len(approvers)} approvers are named",
        )
    return ApprovalRule(
        "named",
        approvers=tuple(approvers),
        required=required,
        lead=lead,
        remind_after=remind,
        escalate_after=escalate,
    )


def _fulfilment(
    checker: _Checker, path: tuple, item: dict, teams: dict, fields: set[str]
) -> Fulfilment:
    spec = item.get("fulfilment")
    if not isinstance(spec, dict):
        checker.problem(
            path if spec is not None else path[:-1],
            "fulfilment must say who does it: {team: NAME, sla: 1d} or "
            "{directory: add_to_group, group: NAME}",
        )
        return Fulfilment()
    checker.unknown_keys(spec, path, FULFILMENT_KEYS, " in fulfilment")
    team = checker.ref(spec, path + ("team",), teams, "team")
    sla = checker.duration(spec, path + ("sla",), None) if "sla" in spec else None
    action = spec.get("directory")
    if action is None:
        if team is None and "team" not in spec:
            checker.problem(path, "fulfilment needs a team (a task) or a directory action")
        return Fulfilment(team=team, sla=sla)
    if action not in DIRECTORY_ACTIONS:
        checker.problem(
            path + ("directory",),
            f"unknown directory action '{action}' (one of {', '.join(DIRECTORY_ACTIONS)})",
        )
        return Fulfilment(team=team, sla=sla)
    group = str(spec.get("group") or "")
    member = str(spec.get("member") or "{requester}")
    if action == "reset_password":
        if item.get("fields") or item.get("approval") not in (None, "none"):
            checker.problem(path, "reset_password asks for nothing and needs no approval")
        return Fulfilment(team=team, sla=sla, directory=action)
    if not group:
        checker.problem(path, f"{action} needs the group: group: NAME or group: '{{field}}'")
    for key, value in (("group", group), ("member", member)):
        found = PLACEHOLDER.match(value)
        if found and found.group(1) not in fields | {"requester"}:
            checker.problem(path + (key,), f"{value} names no field of this item")
    return Fulfilment(team=team, sla=sla, directory=action, group=group, member=member)


def check_directory(checker: _Checker, people: dict) -> DirectorySettings:
    """The `directory:` section (default: the built-in directory with no groups)."""
    spec = checker.section("directory")
    path = ("directory",)
    checker.unknown_keys(spec, path, DIRECTORY_KEYS, " in directory")
    kind = spec.get("kind", "builtin")
    if kind not in DIRECTORY_KINDS:
        checker.problem(path + ("kind",), f"unknown directory kind '{kind}' (builtin or ldap)")
        kind = "builtin"
    groups: dict[str, tuple[str, ...]] = {}
    raw_groups = spec.get("groups") or {}
    if not isinstance(raw_groups, dict):
        checker.problem(path + ("groups",), "groups must map each group to its members")
        raw_groups = {}
    for name, members in raw_groups.items():
        where = path + ("groups", name)
        if not checker.name_ok(where, name, "group"):
            continue
        found = []
        for i, member in enumerate(_list(checker, where, members)):
            if str(member) not in people:
                checker.problem(where + (i,), f"group '{name}' has unknown member '{member}'")
            else:
                found.append(str(member))
        groups[name] = tuple(found)
    policy = spec.get("password_policy") or {}
    if not isinstance(policy, dict):
        checker.problem(path + ("password_policy",), "password_policy must be a mapping")
        policy = {}
    checker.unknown_keys(policy, path + ("password_policy",), POLICY_KEYS, " in password_policy")
    length = _whole(checker, path + ("password_policy", "min_length"), policy, 12, 8, 128)
    classes = _whole(checker, path + ("password_policy", "min_classes"), policy, 3, 1, 4)
    settings = DirectorySettings(
        kind=kind,
        groups=groups,
        password_policy=PasswordPolicy(min_length=length, min_classes=classes),
    )
    if kind != "ldap":
        return settings
    for key in ("url", "base_dn"):
        if not spec.get(key):
            checker.problem(path, f"an ldap directory needs {key}")
    url = str(spec.get("url") or "")
    if url and not url.startswith(("ldap://", "ldaps://")):
        checker.problem(
            path + ("url",), f"url must start with ldap:// or ldaps://, not {url[:40]!r}"
        )
    timeout = checker.duration(spec, path + ("timeout",), "5s") or timedelta(seconds=5)
    return DirectorySettings(
        kind=kind,
        url=url,
        base_dn=str(spec.get("base_dn") or ""),
        bind_dn=str(spec.get("bind_dn") or ""),
        people=str(spec.get("people") or "ou=people"),
        groups_base=str(spec.get("groups_base") or "ou=groups"),
        timeout=timeout,
        manager_attribute=str(spec.get("manager_attribute") or "manager"),
        recovery_attribute=str(spec.get("recovery_attribute") or "otherMailbox"),
        policy_dn=str(spec.get("policy_dn") or ""),
        groups=groups,
        password_policy=settings.password_policy,
    )


def _whole(checker: _Checker, path: tuple, spec: dict, default: int, low: int, high: int) -> int:
    value = spec.get(path[-1], default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        checker.problem(path, f"{path[-1]} must be a whole number from {low} to {high}")
        return default
    return value


def _list(checker: _Checker, path: tuple, value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        checker.problem(path, f"{path[-1]} must be a list")
        return []
    return value


def _names(checker: _Checker, path: tuple, value: Any, known, what: str) -> tuple[str, ...]:
    result = []
    for i, name in enumerate(_list(checker, path, value)):
        if str(name) not in known:
            checker.problem(path + (i,), f"unknown {what} '{name}'")
        else:
            result.append(str(name))
    return tuple(result)


def _number(checker: _Checker, path: tuple, value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        return Decimal(str(value))
    except InvalidOperation:
        checker.problem(path, f"{path[-1]} must be a number, not {value!r}")
        return None
