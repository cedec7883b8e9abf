"""/desk report (and its alias /desk stats): the desk's numbers for a period, as plain text
in the reply — every figure, for screen readers and the console — and as a chart by DM.

The figures and who may see which come from the domain (`domain.metrics.build_report`);
this module only reads the options, asks for the report and words the answer. The chart
is not drawn here: the DM carries the report, and its delivery renders the image.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from bot.commands import desk  # noqa: F401  (declares /desk, which this adds to)
from bot.commands.spec import TABLE, Call, Flag, Reply
from bot.templates import render
from domain.clock import MAX_DURATION, parse_duration
from domain.errors import InvalidInput
from domain.metrics import build_report
from domain.notifications import notify_person

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
LENGTH_MAX = 40  # characters of a --since length (30d, 12w, 1w 2d 3h)
FLAGS = (
    Flag("team", "one team's incidents (agents: their own teams; default: all you may see)", "T"),
    Flag("service", "one service's incidents, e.g. vpn", "S"),
    Flag(
        "since",
        "the start: a length back from the end (30d, 12w) or a day (2026-11-01, from 00:00 UTC)",
        "30d|DATE",
    ),
    Flag(
        "until",
        "the last day of the period (2026-11-30: up to its end in UTC); default now",
        "DATE",
    ),
    Flag("all", "all time instead of a period (with --until: everything up to that day)"),
)
SUMMARY = (
    "The desk's numbers (default: the last 30 days): MTTA, MTTR, SLA, backlog, CSAT; a chart by DM"
)


def report(call: Call) -> Reply:
    """Build the report the asker may see and reply with it; the chart follows by DM."""
    since, until, all_time = _period(call, _usage_of(call))
    found = build_report(
        call.ctx,
        call.actor,
        team=call.option("team"),
        service=call.option("service"),
        since=since,
        until=until,
        all_time=all_time,
    )
    data = found.as_dict()
    text = render("metrics/report", report=data)
    if not _has_incidents(data):
        return Reply(text)  # an empty chart says nothing the sentence does not
    # The asker's own platform only: the chart belongs where they asked for it.
    sent = notify_person(
        call.ctx,
        call.actor.name,
        "report_chart",
        platform=call.identity.platform,
        report=data,
        chart=data,
    )
    after = (
        "The chart is on its way by DM."
        if sent
        else "I cannot reach you by DM here, so the chart stays with the numbers above."
    )
    return Reply(f"{text}\n{after}")


# One handler under two names: `stats` is what service owners tend to type.
TABLE.subcommand("desk", "report", SUMMARY, flags=FLAGS)(report)
TABLE.subcommand("desk", "stats", "The same as /desk report", flags=FLAGS)(report)


def _period(call: Call, usage: str) -> tuple[datetime | None, datetime | None, bool]:
    """(since, until, all time) from the options; None leaves the domain's default (the
    30 days up to now). Days are whole days in UTC: the desk has no zone of its own."""
    now = call.ctx.clock.now()
    since_text, until_text = call.option("since"), call.option("until")
    all_time = call.switch("all")
    if all_time and since_text:
        raise _usage(usage, "--all and --since contradict each other: give one of them.")
    until = None
    if until_text:
        # The day named is included: --until 2026-11-30 runs to the end of 30 November.
        until = min(_day(until_text, "--until", usage) + timedelta(days=1), now)
    if not since_text:
        return None, until, all_time
    if DATE.fullmatch(since_text.strip()):
        since = _day(since_text, "--since", usage)
    else:
        # A length is a few characters; a longer one is refused before it is read (a number
        # of thousands of digits makes int() raise rather than answer).
        length = parse_duration(since_text) if len(since_text) <= LENGTH_MAX else None
        if length is None:
            raise _usage(
                usage,
                f"--since takes a length back from the period's end (30d, 12w; at most "
                f"{MAX_DURATION // 86400}d) or a day (YYYY-MM-DD); '{since_text[:40]}' is neither.",
            )
        since = (until or now) - length
    end = until or now
    if since >= end:
        # Say where the end came from: the day typed, or now (no --until, or a day ahead).
        note = f" (the end of {until_text.strip()})" if until_text and end < now else " (now)"
        raise _usage(
            usage,
            f"The period starts at {since:%Y-%m-%d %H:%M} UTC but ends at "
            f"{end:%Y-%m-%d %H:%M} UTC{note}: put --since before --until.",
        )
    return since, until, all_time


def _day(text: str, option: str, usage: str) -> datetime:
    """A YYYY-MM-DD day as its first instant in UTC."""
    text = text.strip()
    try:
        if not DATE.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise _usage(
            usage,
            f"{option} takes a day written YYYY-MM-DD (e.g. 2026-11-01); '{text[:40]}' is not one.",
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _usage_of(call: Call) -> str:
    """How the subcommand typed (report or stats) is written, from its definition."""
    name = call.invocation.subcommand
    return TABLE.commands["desk"].subcommands[name].usage("desk")


def _usage(usage: str, problem: str) -> InvalidInput:
    """Bad options: the problem, then how to write the command (nothing is stored)."""
    return InvalidInput(f"{problem}\nUsage: {usage}")


def _has_incidents(data: dict) -> bool:
    """Whether the period has any incident to draw (the chart shows incidents only)."""
    weeks = data.get("weeks") or []
    return bool(
        data["opened"] or data["resolved"] or any(w["opened"] or w["resolved"] for w in weeks)
    )
