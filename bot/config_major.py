"""The `major:` section of deskbot.yaml: war rooms, their people, cadence and archive."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from domain.major_settings import DEFAULT_CADENCE, MajorSettings

if TYPE_CHECKING:
    from bot.config import _Checker

MAJOR_KEYS = (
    "channel",
    "stakeholders",
    "rooms_in",
    "responders",
    "auto_declare",
    "cadence",
    "archive_after",
    "private",
    "room_prefix",
)
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


def check_major(checker: _Checker, people: dict, channels: dict) -> MajorSettings:
    """The `major:` section, checked with file and line like the rest."""
    section = checker.section("major")
    checker.unknown_keys(section, ("major",), MAJOR_KEYS, " in major")
    refs = {
        key: checker.ref(section, ("major", key), channels, "channel")
        for key in ("channel", "stakeholders", "rooms_in")
    }
    responders = []
    for i, name in enumerate(_list(checker, section, "responders")):
        if str(name) not in people:
            checker.problem(("major", "responders", i), f"unknown person '{name}' in responders")
        else:
            responders.append(str(name))
    auto = []
    for i, priority in enumerate(_list(checker, section, "auto_declare")):
        if str(priority) not in PRIORITIES:
            checker.problem(("major", "auto_declare", i), f"unknown priority '{priority}' (P1–P5)")
        else:
            auto.append(str(priority))
    cadence = dict(DEFAULT_CADENCE)
    raw = section.get("cadence") or {}
    if not isinstance(raw, dict):
        checker.problem(("major", "cadence"), "cadence maps priorities to durations (P1: 30m)")
        raw = {}
    for priority in raw:
        if str(priority) not in PRIORITIES:
            checker.problem(("major", "cadence", priority), f"unknown priority '{priority}'")
            continue
        found = checker.duration(raw, ("major", "cadence", priority), None)
        if found is not None:
            cadence[str(priority)] = found
    archive = checker.duration(section, ("major", "archive_after"), "1d")
    private = section.get("private", False)
    if not isinstance(private, bool):
        checker.problem(("major", "private"), f"private must be true or false, not {private!r}")
        private = False
    prefix = str(section.get("room_prefix", "inc"))
    if not prefix.isascii() or not prefix.replace("-", "").isalnum() or prefix != prefix.lower():
        checker.problem(
            ("major", "room_prefix"), "room_prefix: lowercase letters, digits and hyphens only"
        )
        prefix = "inc"
    return MajorSettings(
        channel=refs["channel"],
        stakeholders=refs["stakeholders"],
        rooms_in=refs["rooms_in"],
        responders=tuple(responders),
        auto_declare=tuple(auto),
        cadence=cadence,
        archive_after=archive or timedelta(days=1),
        private=private,
        room_prefix=prefix[:20],
    )


def _list(checker: _Checker, section: dict, key: str) -> list:
    raw = section.get(key) or []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        checker.problem(("major", key), f"{key} must be a list")
        return []
    return raw
