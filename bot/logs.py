"""deskbot's log output: plain lines for a terminal, or one JSON object per line
(LOG_FORMAT=json) for a log collector; either way with secrets redacted.

Every record passes a redaction filter before it is written: the tokens of reset and
dashboard sign-in links, `token=` query values, bearer credentials, Slack and Discord
tokens, the password in a URL. A log line is read by more people than the desk's data is,
and kept longer: a secret in it is a secret leaked.

Structured fields ride on records as `extra=` (`log.info("…", extra={"outcome": "sent"})`);
the JSON form carries them as keys beside ts, level, logger and msg. While an HTTP request
is served, `REQUEST_ID` holds its id, and every record logged meanwhile carries it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"

# The id of the HTTP request being served (set by the request middleware), if any.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "deskbot_request_id", default=None
)

# (pattern, replacement): each keeps what says where the secret was, drops the secret.
_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A reset or dashboard sign-in link: the path's last segment is the credential (a
    # route template's "{token}" is no credential, and says which route it was).
    (re.compile(r"(/(?:reset|dashboard/sign-in)/)(?!\{)[^/\s?#\"'<>]+"), rf"\1{REDACTED}"),
    # A token in a query string or a form: ?token=…, &access_token=…, secret=…
    (
        re.compile(r"(?i)\b((?:[a-z_]*token|secret|password|passwd|credentials)=)[^&\s\"'#<>]+"),
        rf"\1{REDACTED}",
    ),
    # Bearer credentials anywhere; other schemes (Basic, Discord's "Bot …") in a header.
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*"), rf"\1{REDACTED}"),
    (
        re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?[a-z]+\s+)[^\s\"',}]+"),
        rf"\1{REDACTED}",
    ),
    # Slack tokens: bot/user/app/config tokens (xoxb-, xoxp-, xoxa-, xoxe-, xapp-…).
    (re.compile(r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9\-.]+"), REDACTED),
    # Slack webhook and response URLs carry their own credential in the path.
    (re.compile(r"https://hooks\.slack\.com/\S+"), f"https://hooks.slack.com/{REDACTED}"),
    # Discord webhook and interaction tokens, also in the path.
    (re.compile(r"(/webhooks/\d+/)[A-Za-z0-9\-_.]+"), rf"\1{REDACTED}"),
    # A Discord bot token: base64 of the bot's id, a timestamp, an HMAC, dot-separated.
    (re.compile(r"\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"), REDACTED),
    # The password in a URL: scheme://user:password@host.
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s/]+@"), rf"\1{REDACTED}@"),
)

# Attributes every LogRecord has: what is not among them came in through `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    """`text` with every secret deskbot knows the shape of replaced by [redacted]."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a record was logged with (`extra=`), in the order given."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class RedactSecrets(logging.Filter):
    """Rewrites each record's message and string fields with secrets redacted; adds the
    request id of the HTTP request being served, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: log what there is rather than nothing
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        for key, value in extras(record).items():
            if isinstance(value, str):
                setattr(record, key, redact(value))
        if getattr(record, "request_id", None) is None:
            request_id = REQUEST_ID.get()
            if request_id is not None:
                record.request_id = request_id
        return True


class RedactingFormatter(logging.Formatter):
    """The text format, with tracebacks redacted too (they quote URLs and arguments)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: ts, level, logger, msg, then the extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key, value in extras(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc"] = redact(record.exc_text)
        # default=str: an extra that is not JSON (a datetime, a Path) is still written.
        return json.dumps(entry, default=str, ensure_ascii=False)


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes, not when it was set up (a
    test runner swaps it per test and closes the old one)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure_logging(verbose: bool, fmt: str = "text", stream: TextIO | None = None) -> None:
    """Send every log record to `stream` (stderr) in `fmt`: "text" or "json".

    Text shows warnings and worse unless `verbose`; JSON (for a collector) shows info too:
    the one line per HTTP request, command and delivery are what it is for. An unknown
    format is treated as text here; `Settings.from_env` reports it.
    """
    handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.deskbot = True  # type: ignore[attr-defined]  (ours to replace on a second call)
    json_format = fmt.strip().lower() == "json"
    handler.setFormatter(JsonFormatter() if json_format else RedactingFormatter(TEXT_FORMAT))
    # On the handler, not a logger: a logger's filters skip records its children propagate.
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    # Only our own earlier handler goes: others (a test runner's capture) stay.
    for old in list(root.handlers):
        if getattr(old, "deskbot", False):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose or json_format else logging.WARNING)
    # Alembic announces each of its plugins at info on every start: noise, not events.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def command_name(argv: list[str] | None, text: str | None) -> str:
    """`incident claim` for a command's words: the command and subcommand only, never the
    free text after them (a title, a reason), and `unknown` for what is not a command."""
    from bot.commands import COMMANDS  # the command table imports most of the bot

    words = list(argv) if argv is not None else (text or "").split(maxsplit=2)[:2]
    name = words[0].lstrip("/").lower() if words else ""
    command = COMMANDS.get(name)
    if command is None:
        return "unknown"
    sub = words[1].lower() if len(words) > 1 else ""
    return f"{name} {sub}" if sub in command.subcommands else name
