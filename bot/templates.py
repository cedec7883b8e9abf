"""Message templates: one Jinja2 file per notification kind and platform flavour.

Layout: bot/templates/<flavour>/<process>/<kind>.j2 — "text" for the console and plain
fallbacks; adapters add their own flavours (Slack blocks, Discord embeds) beside it. The
process of a kind is the one that registered it (domain.notifications.register_kinds).
Templates that are not notifications are named with their process: "incident/incident_list".
Flavour-wide templates start with an underscore ("slack/_offers.j2").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateError, pass_context

import domain.processes  # noqa: F401  (every process registers its kinds)
from domain.clock import format_duration
from domain.incidents import STATE_LABELS
from domain.notifications import process_of


class RenderError(Exception):
    """A message cannot be rendered (unknown kind, missing template, bad context): retrying
    will not help, so the outbox fails it at once."""


def _remaining(delta: timedelta) -> str:
    if delta.total_seconds() < 0:
        return f"breached {format_duration(-delta)} ago"
    return f"{format_duration(delta)} left"


def _hhmm(value: datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M")


def _local(value: datetime | str | None, zone: str, form: str = "%a %d %b %H:%M") -> str:
    """A moment as people in `zone` read it: Mon 07 Dec 09:00 (with the zone's abbreviation)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    here = value.astimezone(ZoneInfo(zone))
    return f"{here.strftime(form)} {here.tzname()}"


@pass_context
def _mention(context, name: str | None) -> str:
    # The platform's way to name a person comes with each render (see `render`).
    if not name:
        return "nobody"
    platform_mention = context.get("_mention")
    return platform_mention(name) if platform_mention else f"@{name}"


_env = Environment(
    loader=PackageLoader("bot", "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
    trim_blocks=False,
    autoescape=False,  # text goes to chat, not to a browser; JSON flavours use |tojson
)
_env.filters.update(
    state=lambda s: STATE_LABELS.get(s, str(s)),
    remaining=_remaining,
    hhmm=_hhmm,
    mention=_mention,
    local=_local,
)


def template_path(kind: str, flavour: str) -> str:
    """Where the template for `kind` in `flavour` lives (RenderError for an unknown kind)."""
    if "/" in kind or kind.startswith("_"):
        return f"{flavour}/{kind}.j2"
    process = process_of(kind)
    if process is None:
        raise RenderError(f"unknown notification kind {kind!r}")
    return f"{flavour}/{process}/{kind}.j2"


def card_template(subject_type: str, role: str = "card") -> str:
    """The template that draws a subject's card: "<process>/<subject_type>_<role>" (the
    process that registered "<subject_type>_opened", e.g. problem/suggestion_card)."""
    process = process_of(f"{subject_type}_opened") or subject_type
    return f"{process}/{subject_type}_{role}"


def render(
    kind: str, flavour: str = "text", *, mention: Callable[[str], str] | None = None, **context: Any
) -> str:
    """Render the template for `kind` in `flavour`; `mention` formats a person for the platform."""
    path = template_path(kind, flavour)
    try:
        return _env.get_template(path).render(**context, _mention=mention).strip()
    except TemplateError as exc:
        raise RenderError(f"{path}: {type(exc).__name__}: {exc}") from exc


def has_template(kind: str, flavour: str) -> bool:
    """Whether a flavour has its own template for this kind (else callers fall back to text)."""
    try:
        path = template_path(kind, flavour)
    except RenderError:
        return False
    return path in _templates()


_known: set[str] | None = None


def _templates() -> set[str]:
    global _known
    if _known is None:
        _known = set(_env.list_templates(extensions=["j2"]))
    return _known
