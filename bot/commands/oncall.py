"""/oncall: who is on call, the schedule ahead, overrides and swaps, pages (acknowledge,
escalate) and the calendar feed. Definitions, help and handlers together."""

from __future__ import annotations

from datetime import timedelta

from bot.commands.spec import TABLE, Arg, Call, Flag, Reply
from bot.identity import resolve_person_name
from bot.templates import render
from domain import oncall
from domain.errors import InvalidInput
from domain.notifications import notify_person, snapshot

TEAM = Arg("team", help="The team, e.g. network")
PAGE_KEY = Arg("page", help="The page, e.g. PAGE-3")
SCHEDULE = Flag("schedule", "which of the team's schedules (default: its first)", "NAME")
MAX_DAYS = 90

TABLE.command("oncall", "On-call: who is on call, schedules, overrides, pages")
sub = TABLE.subcommand


@sub(
    "oncall",
    "who",
    "Who is on call now, and who is next",
    Arg("team", required=False, help="One team (default: every team with on-call)"),
)
def who(call: Call) -> Reply:
    teams = (
        [oncall.team_oncall(call.ctx, call.arg("team"))]
        if call.arg("team")
        else list(call.ctx.policy.oncall.teams.values())
    )
    rows = [
        {
            "team": team.team,
            "zone": team.zone,
            "schedules": [_now(call, s) for s in team.schedules.values()],
        }
        for team in teams
    ]
    return Reply(render("oncall/who", teams=rows))


@sub(
    "oncall",
    "schedule",
    "The schedule ahead as a table (shifts in the team's time zone)",
    TEAM,
    flags=(Flag("days", f"how many days ahead (default 14, at most {MAX_DAYS})", "N"), SCHEDULE),
)
def schedule(call: Call) -> Reply:
    team = oncall.team_oncall(call.ctx, call.arg("team"))
    chosen = oncall.schedule_of(call.ctx, team, call.option("schedule"))
    days = _days(call.option("days"))
    now = call.ctx.clock.now()
    shifts = oncall.timeline(call.ctx, chosen, now, now + timedelta(days=days))
    return Reply(
        render(
            "oncall/schedule_table",
            team=team.team,
            schedule=chosen.name,
            zone=chosen.zone,
            days=days,
            shifts=[_shift(s) for s in shifts],
            others=[n for n in team.schedules if n != chosen.name],
        )
    )


@sub(
    "oncall",
    "override",
    "Someone covers a team's on-call for a while (agents of the team, admins)",
    TEAM,
    Arg("person", help="Who covers, e.g. @erin"),
    Arg("reason", required=False, rest=True, help="Why (optional)"),
    flags=(
        Flag("from", "when it starts: now, 18:00, fri 18:00, 2026-12-24 18:00", "WHEN"),
        Flag("to", "when it ends: +4h, mon 09:00, 2026-12-27 09:00", "WHEN"),
        SCHEDULE,
    ),
)
def override(call: Call) -> Reply:
    team = oncall.team_oncall(call.ctx, call.arg("team"))
    chosen = oncall.schedule_of(call.ctx, team, call.option("schedule"))
    start_text, end_text, reason = _times(call)
    if not end_text:
        raise InvalidInput(
            f"Say until when: /oncall override {team.team} @who --from now --to +4h "
            "(times in the schedule's zone, or with an offset)."
        )
    now = call.ctx.clock.now()
    start = oncall.parse_when(start_text, chosen.zone, now)
    end = oncall.parse_when(end_text, chosen.zone, now, base=start)
    person = resolve_person_name(call.ctx, call.identity.platform, call.arg("person"))
    found = oncall.add_override(
        call.ctx,
        call.actor,
        team.team,
        person,
        start,
        end,
        schedule=chosen.name,
        reason=reason,
    )
    return Reply(
        render("oncall/override_made", override=_override(found), zone=chosen.zone), private=False
    )


@sub(
    "oncall",
    "swap",
    "Swap your next shift with someone's next shift",
    TEAM,
    Arg("person", help="Who you swap with, e.g. @erin"),
    flags=(SCHEDULE,),
)
def swap(call: Call) -> Reply:
    team = oncall.team_oncall(call.ctx, call.arg("team"))
    chosen = oncall.schedule_of(call.ctx, team, call.option("schedule"))
    person = resolve_person_name(call.ctx, call.identity.platform, call.arg("person"))
    first, second = oncall.swap(call.ctx, call.actor, team.team, person, schedule=chosen.name)
    return Reply(
        render(
            "oncall/swapped",
            first=_override(first),
            second=_override(second),
            zone=chosen.zone,
        ),
        private=False,
    )


@sub(
    "oncall",
    "cancel-override",
    "Cancel an override: the rota applies again",
    Arg("override", help="The override, e.g. OVR-3"),
)
def cancel_override(call: Call) -> Reply:
    found = oncall.cancel_override(call.ctx, call.actor, call.arg("override"))
    return Reply(f"Cancelled {found.key}: {found.team} {found.schedule} follows the rota again.")


@sub(
    "oncall",
    "overrides",
    "A team's overrides now and ahead",
    TEAM,
)
def overrides(call: Call) -> Reply:
    team = oncall.team_oncall(call.ctx, call.arg("team"))
    found = oncall.list_overrides(call.ctx, team.team)
    return Reply(
        render(
            "oncall/override_list",
            team=team.team,
            zone=team.zone,
            overrides=[_override(o) for o in found],
        )
    )


@sub("oncall", "ack", "Acknowledge a page: you are on it", PAGE_KEY)
def ack(call: Call) -> Reply:
    page = oncall.acknowledge(call.ctx, call.actor, call.arg("page"))
    data = snapshot(page)
    return Reply(
        f"You acknowledged {page.key}: {page.about_key} is yours to look at. "
        "Nobody else will be paged about it.",
        subject_type="page",
        subject=data,
    )


@sub("oncall", "escalate", "Escalate a page now: its next step, without waiting", PAGE_KEY)
def escalate(call: Call) -> Reply:
    page = oncall.escalate(call.ctx, call.actor, call.arg("page"))
    data = snapshot(page)
    done = (
        f"no step was left, so it ended: {page.end_reason}"
        if page.state == "ended"
        else f"the next step of {page.team}'s policy has run"
    )
    return Reply(
        f"Escalated {page.key} ({page.about_key}): {done}.",
        subject_type="page",
        subject=data,
    )


@sub(
    "oncall",
    "pages",
    "Pages still waiting for someone to acknowledge",
    Arg("team", required=False, help="One team (default: all)"),
)
def pages(call: Call) -> Reply:
    team = oncall.team_oncall(call.ctx, call.arg("team")).team if call.arg("team") else None
    found = oncall.active_pages(call.ctx, call.actor, team)
    return Reply(render("oncall/page_list", pages=[snapshot(p) for p in found], team=team))


@sub(
    "oncall",
    "feed",
    "Your calendar's address for a team's on-call (sent by DM: it holds a secret)",
    TEAM,
)
def feed(call: Call) -> Reply:
    team = oncall.team_oncall(call.ctx, call.arg("team"))
    # The address carries a token: it is made as the DM is delivered, never stored.
    notify_person(call.ctx, call.actor.name, "oncall_feed", team=team.team)
    return Reply(
        f"I sent you the calendar address for {team.team}'s on-call by DM. "
        "Anyone with it can read the schedule: keep it to yourself."
    )


def _times(call: Call) -> tuple[str, str | None, str]:
    """--from and --to as typed, and the reason. `--from fri 18:00` without quotes reaches
    the grammar as --from "fri" with "18:00" starting the reason: the clock goes back to
    the day it follows, --from's first, then --to's."""
    words = call.arg("reason").split()
    values = {"from": call.option("from"), "to": call.option("to")}
    for name in ("from", "to"):
        value = values[name]
        if value and oncall.wants_clock(value) and words and oncall.is_clock(words[0]):
            values[name] = f"{value} {words.pop(0)}"
    return values["from"] or "now", values["to"], " ".join(words)


def _days(text: str | None) -> int:
    if text is None:
        return 14
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise InvalidInput(f"--days takes a number of days from 1 to {MAX_DAYS}.")
    return int(text)


def _now(call: Call, chosen) -> dict:
    found = oncall.on_call(call.ctx, chosen)
    return {
        "name": chosen.name,
        "now": _shift(found.now),
        "next": _shift(found.next) if found.next else None,
        "zone": chosen.zone,
    }


def _shift(shift) -> dict:
    return {
        "person": shift.person,
        "start": shift.start,
        "end": shift.end,
        "layer": shift.layer,
        "override": f"OVR-{shift.override}" if shift.override else None,
    }


def _override(found) -> dict:
    return {
        "key": found.key,
        "team": found.team,
        "schedule": found.schedule,
        "person": found.person,
        "starts_at": found.starts_at,
        "ends_at": found.ends_at,
        "reason": found.reason,
        "by": found.by,
    }
