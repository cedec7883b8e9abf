"""Message templates: one Jinja2 file per notification kind and platform flavour.

Layout: bot/templates/<flavour>/<kind>.j2 — "text" for the console and plain fallbacks;
adapters add their own flavours (Slack blocks, Discord embeds) beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound

from domain.clock import format_duration
from domain.incidents import STATE_LABELS


def _remaining(delta: timedelta) -> str:
    if delta.total_seconds() < 0:
        return f"breached {format_duration(-delta)} ago"
    return f"{format_duration(delta)} left"


def _hhmm(value: datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M")


def _at_mention(name: str | None) -> str:
    return f"@{name}" if name else "nobody"


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
    mention=_at_mention,
)


def render(
    kind: str, flavour: str = "text", *, mention: Callable[[str], str] | None = None, **context: Any
) -> str:
    """Render the template for `kind` in `flavour`; `mention` formats a person for the platform."""
    template = _env.get_template(f"{flavour}/{kind}.j2")
    if mention is not None:
        template = _with_mention(template, mention)
    return template.render(**context).strip()


def has_template(kind: str, flavour: str) -> bool:
    """Whether a flavour has its own template for this kind (else callers fall back to text)."""
    try:
        _env.get_template(f"{flavour}/{kind}.j2")
        return True
    except TemplateNotFound:
        return False


def _with_mention(template, mention):
    env = _env.overlay()
    # An overlay shares its parent's filters dict: replace it, or every later render mentions this way.
    env.filters = {**_env.filters, "mention": lambda name: mention(name) if name else "nobody"}
    return env.get_template(template.name)
