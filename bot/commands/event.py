"""/event: monitoring events — list and show them, acknowledge one (and its incident),
silence a key, put a service in maintenance. Definitions, help and handlers together."""

from __future__ import annotations

from bot.commands.access import duration_of
from bot.commands.spec import TABLE, Arg, Call, Flag, Reply
from bot.templates import render
from domain import events
from domain.clock import format_duration
from domain.notifications import snapshot

KEY = Arg("key", help="The event, e.g. EVT-7, or the source's key (an Alertmanager fingerprint)")
FOR = Flag("for", "how long, e.g. 30m, 2h or 1d (at most 30 days)", "DURATION")
END = Flag("end", "end it now instead")

TABLE.command("event", "Monitoring events: list, show, acknowledge, silence, maintenance")
sub = TABLE.subcommand


@sub(
    "event",
    "list",
    "Events firing now (agents), newest first",
    Arg("service", required=False, help="Only this service's events"),
    flags=(Flag("all", "include resolved events"),),
)
def list_(call: Call) -> Reply:
    found = events.list_events(
        call.ctx, call.actor, everything=call.switch("all"), service=call.arg("service") or None
    )
    shown = [snapshot(e) for e in found.events]
    return Reply(
        render("events/event_list", events=shown, total=found.total, everything=call.switch("all"))
    )


@sub("event", "show", "One event: its source, labels, counts and incident", KEY)
def show(call: Call) -> Reply:
    event = events.show_event(call.ctx, call.actor, call.arg("key"))
    data = snapshot(event)
    return Reply(render("events/event_detail", event=data), subject_type="event", subject=data)


@sub("event", "ack", "Acknowledge an event: you are on it (its incident too)", KEY)
def ack(call: Call) -> Reply:
    event = events.acknowledge(call.ctx, call.actor, call.arg("key"))
    data = snapshot(event)
    incident = f" {data['incident']} is acknowledged too." if data["incident"] else ""
    return Reply(f"You acknowledged {event.key}.{incident}", subject_type="event", subject=data)


@sub(
    "event",
    "silence",
    "Keep one event key quiet for a while (stored, never raised)",
    KEY,
    Arg("reason", required=False, rest=True, help="Why (shown in /event maintenance)"),
    flags=(FOR, END),
)
def silence(call: Call) -> Reply:
    if call.switch("end"):
        count = events.end_silence(call.ctx, call.actor, call.arg("key"))
        return Reply(f"Lifted {count} silence(s) on {call.arg('key')[:80]}.")
    found = events.silence(
        call.ctx, call.actor, call.arg("key"), duration_of(call), call.arg("reason")
    )
    return Reply(
        f"Silenced {found.dedup_key[:80]} for {format_duration(found.until - found.since)}, "
        f"until {found.until:%Y-%m-%d %H:%M} UTC. Its events are stored, not raised."
    )


@sub(
    "event",
    "maintenance",
    "Put a service in maintenance (its events are stored, not raised); alone: what is quiet now",
    Arg("service", required=False, help="The service, e.g. vpn"),
    Arg("reason", required=False, rest=True, help="Why (people asking see this)"),
    flags=(FOR, END),
)
def maintenance(call: Call) -> Reply:
    service = call.arg("service")
    if not service:
        windows, silences = events.quiet_now(call.ctx, call.actor)
        return Reply(render("events/quiet_now", windows=windows, silences=silences))
    if call.switch("end"):
        count = events.end_maintenance(call.ctx, call.actor, service)
        return Reply(f"Ended {count} maintenance window(s) of {service[:40]}.")
    window = events.start_maintenance(
        call.ctx, call.actor, service, duration_of(call), call.arg("reason")
    )
    return Reply(
        f"{window.service} is in maintenance until {window.until:%Y-%m-%d %H:%M} UTC "
        f"({format_duration(window.until - window.since)}). Its events are stored, not raised."
    )
