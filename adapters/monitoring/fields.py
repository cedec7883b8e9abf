"""Reading fields of a parsed body into what a signal holds, naming the field when one is
the wrong shape (a 400 says `alerts[3].labels: not an object`).

Lengths follow what the records keep (`signals.KEY_LENGTH`, `SUMMARY_LENGTH`, and the
event columns), so a long label or summary is cut here rather than refused later.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from adapters.monitoring.body import Refused
from domain.events.signals import KEY_LENGTH, SUMMARY_LENGTH

SEVERITY_LENGTH = 32  # EventRecord.severity
SERVICE_LENGTH = 64  # EventRecord.service
URL_LENGTH = 500  # EventRecord.url


class Problem(Refused):
    """A JSON body of the wrong shape: 400, naming the field."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(400, f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


def obj(value: Any, path: str) -> dict[str, Any]:
    """An object field ({} when absent)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Problem(path, "not an object")
    return value


def text(value: Any, path: str) -> str | None:
    """A text field: a string, or a number or flag written as one; None when absent."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise Problem(path, "not a string")


def label_value(value: Any) -> str:
    """Any JSON value as a label's value: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def labels(value: Any, path: str) -> dict[str, str]:
    """A label set: an object whose values are stringified."""
    found = obj(value, path)
    if all(type(v) is str for v in found.values()):
        return found  # the usual case (Alertmanager): nothing to convert
    return {name: label_value(v) for name, v in found.items()}


def details(value: Any) -> dict[str, Any]:
    """Free-form details: an object as it is, anything else kept under "details"."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    return {"details": value}


def clean(value: str) -> str:
    """Text without NUL characters, which PostgreSQL's text columns refuse."""
    return value.replace("\x00", "") if "\x00" in value else value


def key(value: str) -> str:
    """A dedup key that fits the records: a longer one is cut and ends in a hash of the
    whole, so two long keys with the same beginning stay two events."""
    value = clean(value)
    if len(value) <= KEY_LENGTH:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{value[: KEY_LENGTH - 17]}~{digest}"


def summary(value: str | None) -> str:
    """A summary cut to what the records keep."""
    return clean(value)[:SUMMARY_LENGTH] if value else ""


def severity(value: str | None) -> str | None:
    """A severity as the source says it, lower-cased and cut to the column."""
    if not value:
        return None
    return clean(value).strip().lower()[:SEVERITY_LENGTH] or None


def service(value: str | None) -> str | None:
    """A service an event names itself (checked against the catalogue by processing)."""
    if not value:
        return None
    return clean(value).strip()[:SERVICE_LENGTH] or None


def url(value: str | None) -> str | None:
    """A link, if it fits the records (a cut link would lead nowhere)."""
    if not value or len(value) > URL_LENGTH:
        return None
    return clean(value)


def timestamp(value: Any) -> str | None:
    """An ISO 8601 time as UTC ISO text; None when absent, unreadable or Go's zero time
    (Alertmanager's endsAt of a firing alert): the time of receipt is used instead."""
    if not isinstance(value, str) or not value or value.startswith("0001-"):
        return None
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    except (ValueError, OverflowError):
        return None


def label_hash(found: dict[str, str]) -> str:
    """A stable identity for a label set (an alert sent without a fingerprint)."""
    canonical = json.dumps(sorted(found.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:16]
