"""The on-call calendar feed's secret: one key for every team's feed token, and the
address a person subscribes to."""

from __future__ import annotations

import hashlib
import hmac
import os

from bot.oncall_feed import feed_token

KEY_ENV = "DESKBOT_ONCALL_FEED_KEY"


def feed_key(
    audit_key: bytes | None, env: dict[str, str] | None = None, name: str = KEY_ENV
) -> bytes:
    """The key behind feed tokens: the variable `name` (oncall.feed_key_env,
    DESKBOT_ONCALL_FEED_KEY by default) if set — change it to revoke every address given
    out — else derived from the audit key, which every replica shares."""
    value = (env if env is not None else os.environ).get(name, "")
    if value:
        return value.encode("utf-8")
    if not audit_key:
        raise ValueError(f"no key for on-call feeds: set {name} or DESKBOT_AUDIT_KEY")
    return hmac.new(audit_key, b"deskbot oncall feed", hashlib.sha256).digest()


def feed_url(public_url: str, key: bytes, team: str) -> str:
    """Where a calendar client fetches `team`'s on-call."""
    return f"{public_url.rstrip('/')}/api/v1/oncall/{team}.ics?token={feed_token(key, team)}"
