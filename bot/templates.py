"""Message templates: one Jinja2 file per notification kind and platform flavour.

Layout: bot/templates/<flavour>/<kind>.j2 — "text" for the console and plain fallbacks;
adapters add their own flavours (Slack blocks, Discord embeds) beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, pass_context

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
)


def render(
    kind: str, flavour: str = "text", *, mention: Callable[[str], str] | None = None, **context: Any
) -> str:
    """Render the template for `kind` in `flavour`; `mention` formats a person for the platform."""
    template = _env.get_template(f"{flavour}/{kind}.j2")
    return template.render(**context, _mention=mention).strip()


def has_template(kind: str, flavour: str) -> bool:
    """Whether a flavour has its own template for this kind (else callers fall back to text)."""
    try:
        _env.get_template(f"{flavour}/{kind}.j2")
        return True
    except TemplateNotFound:
        return False
