"""Status updates on a cadence: posted to the war room and the stakeholders, kept for the
review; a commander who goes quiet is reminded, then the communications lead and the
escalation channel are told."""

from __future__ import annotations

from domain.clock import format_duration
from domain.context import SYSTEM, Actor, DeskContext
from domain.errors import InvalidInput, PermissionDenied
from domain.major.lifecycle import holder, incident_of, require_live, roles_now, schedule_cadence
from domain.major.records import MajorIncident, MajorUpdate
from domain.major.room import refresh_card, say_in_room, tell_stakeholders
from domain.major.states import STATUSES
from domain.notifications import notify_channel, notify_person
from domain.text import check_text

WRITERS = ("commander", "communications", "scribe")  # who may post updates


def post_update(
    ctx: DeskContext,
    actor: Actor,
    major: MajorIncident,
    text: str,
    *,
    status: str | None = None,
    impact: str | None = None,
    public: bool = False,
) -> MajorUpdate:
    """Post a status update. "Mitigated" is the first update with status monitoring."""
    require_live(major, "update")
    writers = {r.person for r in roles_now(ctx, major) if r.role in WRITERS}
    if actor.name not in writers and not actor.is_admin:
        raise PermissionDenied(
            f"Only the commander, the communications lead or the scribe of {major.key} "
            "can post its updates."
        )
    text = check_text(text, "The update")
    if not text:
        raise InvalidInput('Say what the status is: /major update "failover done, watching".')
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"The status is one of {', '.join(STATUSES)}.")
    if status == "resolved":
        raise InvalidInput(f"Resolve it with /major resolve {major.key} and what fixed it.")
    now = ctx.clock.now()
    major.status = status or major.status
    if impact is not None:
        major.impact = check_text(impact, "The impact")
    update = MajorUpdate(
        major_id=major.id,
        at=now,
        author=actor.name,
        text=text,
        status=major.status,
        impact=major.impact,
        public=public,
    )
    ctx.session.add(update)
    major.first_update_at = major.first_update_at or now
    if major.status == "monitoring" and major.mitigated_at is None:
        major.mitigated_at = now
    major.last_update_at, major.cadence_level = now, 0
    schedule_cadence(ctx, major)
    incident = incident_of(ctx, major)
    said = dict(by=actor.name, text=text, status=major.status, impact=major.impact, public=public)
    say_in_room(
        ctx, major, incident, actor, "major_update", f"Update ({major.status}): {text}", **said
    )
    tell_stakeholders(ctx, major, **said)
    refresh_card(ctx, major)
    return update


def cadence_due(ctx: DeskContext, major: MajorIncident) -> None:
    """No update for an interval: remind the commander; after two, tell the comms lead
    and the escalation channel."""
    if major.state != "running":
        return
    interval = ctx.policy.major.cadence_for(major.priority)
    major.cadence_level += 1
    commander = holder(ctx, major, "commander")
    incident = incident_of(ctx, major)
    quiet = format_duration(interval * major.cadence_level)
    if major.cadence_level == 1:
        say_in_room(
            ctx,
            major,
            incident,
            SYSTEM,
            "major_cadence_reminder",
            f"No update for {quiet}: @{commander or 'commander'}, post one with /major update",
            commander=commander,
            quiet=quiet,
        )
        schedule_cadence(ctx, major)
        return
    lead = holder(ctx, major, "communications")
    line = f"No update for {quiet} (commander @{commander or 'nobody'})"
    incident_line = f"{line}; the communications lead and the escalation channel were told"
    say_in_room(
        ctx,
        major,
        incident,
        SYSTEM,
        "major_cadence_overdue",
        incident_line,
        commander=commander,
        quiet=quiet,
    )
    if lead:
        notify_person(
            ctx, lead, "major_cadence_overdue", subject=major, commander=commander, quiet=quiet
        )
    if ctx.policy.escalation_channel:
        notify_channel(
            ctx,
            ctx.policy.escalation_channel,
            "major_cadence_overdue",
            subject=major,
            commander=commander,
            quiet=quiet,
        )
