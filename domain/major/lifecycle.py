"""Declaring a major incident, finding the one a command means, resolving it and
archiving its war room."""

from __future__ import annotations

from sqlalchemy import select

from domain import paging, timers
from domain.context import SYSTEM, Actor, DeskContext
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.incidents import lifecycle as incidents
from domain.incidents.records import IncidentRecord
from domain.incidents.states import INCIDENT
from domain.keys import parse_number
from domain.major.records import MajorIncident, MajorRole, MajorUpdate
from domain.major.room import (
    PIN,
    ROOM,
    STATUS_CARD,
    refresh_card,
    room_name,
    say_in_room,
    tell_stakeholders,
)
from domain.major.states import MAJOR
from domain.notifications import notify_channel, notify_person, notify_room, open_room
from domain.people import person_exists

CADENCE = "major_cadence"
ARCHIVE = "major_archive"
# Set while `declare` opens the incident itself, so the automatic declaration of P1
# incidents (an ON_OPEN hook) does not declare it a second time.
DECLARING = "major_declaring"


def declare(
    ctx: DeskContext,
    actor: Actor,
    *,
    title: str,
    service: str | None = None,
    commander: str | None = None,
) -> MajorIncident:
    """Open an incident for `title` and run it as a major incident (`/major declare`)."""
    INCIDENT.require_permission("major", actor)
    _check_commander(ctx, commander)
    if not title.strip():
        raise InvalidInput('Say what is wrong: /major declare "VPN down for everyone".')
    ctx.cache[DECLARING] = True
    try:
        incident = incidents.open_incident(
            ctx, actor, title=title, service=service, impact="high", urgency="high"
        )
    finally:
        ctx.cache.pop(DECLARING, None)
    return start(ctx, actor, incident, commander=commander or actor.name)


def declare_incident(
    ctx: DeskContext, actor: Actor, key: str, *, commander: str | None = None
) -> MajorIncident:
    """Run an existing incident as a major incident (`/incident major INC-7`, the card's button)."""
    INCIDENT.require_permission("major", actor)
    _check_commander(ctx, commander)
    incident = incidents.get_incident(ctx, key, for_update=True)
    already = ctx.session.get(MajorIncident, incident.id)
    if already is not None:
        raise InvalidInput(
            f"{incident.key} is already a major incident; its war room is #{already.room_name}."
        )
    INCIDENT.require_state("major", incident.state, incident.key)
    return start(ctx, actor, incident, commander=commander or actor.name)


def declare_automatically(ctx: DeskContext, actor: Actor, incident: IncidentRecord) -> str | None:
    """On a new incident: declare it major if its priority is one the config names."""
    if ctx.cache.get(DECLARING) or incident.priority not in ctx.policy.major.auto_declare:
        return None
    # Its card is not posted yet: the card shows the declaration; no change to announce.
    major = start(ctx, SYSTEM, incident, commander=None, announce=False)
    return (
        f"{incident.key} is {incident.priority}, so it was declared a major incident: "
        f"war room #{major.room_name}."
    )


def start(
    ctx: DeskContext,
    actor: Actor,
    incident: IncidentRecord,
    *,
    commander: str | None,
    announce: bool = True,
) -> MajorIncident:
    """Make `incident` a major incident: its record, roles, war room, card and cadence."""
    settings = ctx.policy.major
    now = ctx.clock.now()
    major = MajorIncident(
        id=incident.id,
        title=incident.title,
        priority=incident.priority,
        service=incident.service,
        team=incident.assignment_group,
        state="running",
        status="investigating",
        impact="",
        room_name=room_name(settings.room_prefix, incident.id, incident.title),
        declared_by=actor.name,
        opened_at=incident.opened_at,
        declared_at=now,
        cadence_level=0,
    )
    ctx.session.add(major)
    if commander:
        ctx.session.add(
            MajorRole(
                major_id=incident.id,
                role="commander",
                person=commander,
                since=now,
                given_by=actor.name,
            )
        )
    ctx.session.flush()
    who = f"; commander @{commander}" if commander else "; nobody is in command yet"
    line = f"Declared a major incident by @{actor.name}{who}"
    incidents.record_event(ctx, incident, actor, "major", line)
    if announce:
        incidents.announce_change(ctx, incident, f"declared a major incident by @{actor.name}")
    open_room(
        ctx,
        "major_room_opened",
        subject=major,
        name=major.room_name,
        topic=_topic(major, incident),
        purpose=f"War room of {incident.key}: {incident.title}",
        members=_members(ctx, major, actor, commander),
        within=settings.rooms_in,
        beside=settings.channel,
        private=settings.private,
        declared_by=actor.name,
    )
    notify_room(ctx, ROOM, "major_status", subject=major, creates_ref=STATUS_CARD, room_op=PIN)
    for channel in _declaration_channels(ctx, major):
        notify_channel(
            ctx, channel, "major_declared", subject=major, needs_room=True, by=actor.name
        )
    if actor is not SYSTEM:
        notify_person(ctx, actor.name, "major_room_ready", subject=major, needs_room=True)
    if commander and commander != actor.name:
        notify_person(
            ctx, commander, "major_room_ready", subject=major, needs_room=True, commanding=True
        )
    schedule_cadence(ctx, major)
    paging.page(ctx, incident.assignment_group, incident, "Declared a major incident")
    return major


def _check_commander(ctx: DeskContext, commander: str | None) -> None:
    if commander is not None and not person_exists(ctx, commander):
        raise NotFound(f"There is nobody called @{commander} to be the commander.")


def _topic(major: MajorIncident, incident: IncidentRecord) -> str:
    return f"{incident.key} [{incident.priority}] {incident.title} — status: {major.status}"


def _members(
    ctx: DeskContext, major: MajorIncident, actor: Actor, commander: str | None
) -> list[str]:
    """Who is invited: the declarer, the commander, the owning team and the responders."""
    settings, policy = ctx.policy.major, ctx.policy
    wanted: list[str] = [actor.name] if actor is not SYSTEM else []
    wanted += [commander] if commander else []
    team = policy.teams.get(major.team or "")
    if team is not None:
        wanted += ([team.lead] if team.lead else []) + list(team.members)
    wanted += list(settings.responders)
    return [name for name in dict.fromkeys(wanted) if person_exists(ctx, name)]


def _declaration_channels(ctx: DeskContext, major: MajorIncident) -> list[str]:
    channels = [ctx.policy.major.channel, ctx.policy.team_channel(major.team)]
    return [c for c in dict.fromkeys(channels) if c]


def schedule_cadence(ctx: DeskContext, major: MajorIncident) -> None:
    """The next time the commander must have posted an update by."""
    last = major.last_update_at or major.declared_at
    interval = ctx.policy.major.cadence_for(major.priority)
    timers.cancel(ctx, major, [CADENCE])
    timers.schedule(ctx, major, CADENCE, last + interval * (major.cadence_level + 1))


def find(
    ctx: DeskContext, actor: Actor, key: str | None, *, for_update: bool = True
) -> MajorIncident:
    """The major incident a command means: `key`, else the one the person has a role in,
    else the only one in progress."""
    if key:
        number = parse_number(key, "INC", "incident")
        if for_update:
            # The incident first, then the major incident: the order incident management's
            # use cases (and their hooks into this process) take them in.
            ctx.session.scalar(
                select(IncidentRecord.id).where(IncidentRecord.id == number).with_for_update()
            )
        query = select(MajorIncident).where(MajorIncident.id == number)
        found = ctx.session.scalar(query.with_for_update() if for_update else query)
        if found is None:
            raise NotFound(f"INC-{number} is not a major incident.")
        return found
    active = select(MajorIncident.id).where(MajorIncident.state == "running")
    held = select(MajorIncident.id).join(MajorRole, MajorRole.major_id == MajorIncident.id)
    mine = held.where(MajorRole.person == actor.name, MajorRole.until.is_(None))
    ids = sorted(set(ctx.session.scalars(mine.where(MajorIncident.state == "running"))))
    ids = ids or list(ctx.session.scalars(active.limit(6)))
    if not ids:
        # Nothing in progress: the last one the person had a role in (for its review).
        last = ctx.session.scalar(
            held.where(MajorRole.person == actor.name).order_by(MajorIncident.id.desc()).limit(1)
        )
        if last is None:
            raise NotFound("No major incident is in progress; name one, e.g. INC-42.")
        ids = [last]
    if len(ids) > 1:
        listed = ", ".join(f"INC-{i}" for i in ids[:5])
        raise InvalidInput(f"Say which major incident: one of {listed} (e.g. INC-{ids[0]}).")
    return find(ctx, actor, str(ids[0]), for_update=for_update)


def list_majors(ctx: DeskContext, *, include_ended: bool = False) -> list[MajorIncident]:
    """Major incidents in progress (or every one, with `include_ended`), newest first."""
    query = select(MajorIncident).order_by(MajorIncident.id.desc()).limit(50)
    if not include_ended:
        query = query.where(MajorIncident.state == "running")
    return list(ctx.session.scalars(query))


def incident_of(
    ctx: DeskContext, major: MajorIncident, *, for_update: bool = True
) -> IncidentRecord:
    """The major incident's incident (locked, unless only read: the caller holds the lock
    already whenever it changes anything — `find`, the timer loader, incident hooks)."""
    return incidents.get_incident(ctx, major.id, for_update=for_update)


def require_insider(ctx: DeskContext, actor: Actor, major: MajorIncident) -> None:
    """A major incident's record (timeline, updates, review) is for service-desk agents, the
    people who held a role in it, and the incident's reporter: as the incident's is."""
    if actor.is_agent:
        return
    held = ctx.session.scalar(
        select(MajorRole.id).where(MajorRole.major_id == major.id, MajorRole.person == actor.name)
    )
    if held is not None or incident_of(ctx, major, for_update=False).reporter == actor.name:
        return
    raise PermissionDenied(
        f"Only service-desk agents and the people working on {major.key} can see its record."
    )


def require_crew(ctx: DeskContext, actor: Actor, major: MajorIncident, what: str) -> None:
    """What only agents and the people holding a role now may do (write the review…)."""
    if actor.is_agent or any(r.person == actor.name for r in roles_now(ctx, major)):
        return
    raise PermissionDenied(
        f"Only service-desk agents and the people working on {major.key} can {what}."
    )


def require_live(major: MajorIncident, action: str) -> None:
    """Refuse what a resolved or archived major incident no longer takes."""
    MAJOR.require_state(action, major.state, major.key)


def resolve(
    ctx: DeskContext,
    actor: Actor,
    major: MajorIncident,
    resolution: str,
    *,
    public: bool = False,
) -> None:
    """Resolve the incident (its usual rules; the commander may too), which ends the major
    incident through `after_resolve`: the final update, the archive scheduled."""
    require_live(major, "resolve")
    commander = is_commander(ctx, major, actor.name)
    if not (actor.is_agent or commander):
        MAJOR.require_permission("resolve", actor, major)
    ctx.cache[PUBLIC_RESOLUTION] = public
    incidents.resolve_incident(ctx, actor, major.key, resolution, authorised=commander)


PUBLIC_RESOLUTION = "major_public_resolution"  # /major resolve --public, for after_resolve


def after_resolve(ctx: DeskContext, actor: Actor, incident: IncidentRecord) -> None:
    """The incident was resolved (by /major resolve or any other way): wrap up."""
    _wrap_up(ctx, actor, incident, incident.resolution or "", "resolved")


def after_cancel(ctx: DeskContext, actor: Actor, incident: IncidentRecord) -> None:
    """The incident was cancelled: the major incident ends with it."""
    _wrap_up(ctx, actor, incident, "The incident was cancelled", "cancelled")


def after_close(ctx: DeskContext, incident: IncidentRecord) -> None:
    """Closed without a resolution first (a workaround that fixed it): wrap up too."""
    _wrap_up(ctx, SYSTEM, incident, incident.resolution or "Closed as fixed", "resolved")


def after_reopen(ctx: DeskContext, actor: Actor, incident: IncidentRecord) -> None:
    """The fix did not hold: the major incident runs again, its room kept."""
    major = _locked(ctx, incident)
    if major is None or major.state != "resolved":
        return  # an archived room stays archived: the incident goes on without it
    major.state, major.status, major.resolved_at = "running", "investigating", None
    major.cadence_level = 0
    major.last_update_at = ctx.clock.now()
    timers.cancel(ctx, major, [ARCHIVE])
    schedule_cadence(ctx, major)
    say_in_room(
        ctx,
        major,
        incident,
        actor,
        "major_note",
        f"Reopened by @{actor.name}: the fix did not hold; back to investigating",
        on_timeline=False,  # reopening the incident put it there
    )
    refresh_card(ctx, major)


def _locked(ctx: DeskContext, incident: IncidentRecord) -> MajorIncident | None:
    return ctx.session.scalar(
        select(MajorIncident).where(MajorIncident.id == incident.id).with_for_update()
    )


def _wrap_up(ctx: DeskContext, actor: Actor, incident: IncidentRecord, text: str, how: str) -> None:
    major = _locked(ctx, incident)
    if major is None or major.state != "running":
        return
    public = bool(ctx.cache.pop(PUBLIC_RESOLUTION, False))
    now = ctx.clock.now()
    major.state, major.status, major.resolved_at = "resolved", "resolved", now
    major.mitigated_at = major.mitigated_at or now
    major.last_update_at = now
    major.first_update_at = major.first_update_at or now
    ctx.session.add(
        MajorUpdate(
            major_id=major.id,
            at=now,
            author=actor.name,
            text=text,
            status="resolved",
            impact=major.impact,
            public=public,
        )
    )
    timers.cancel(ctx, major, [CADENCE])
    archive_at = now + ctx.policy.major.archive_after
    timers.schedule(ctx, major, ARCHIVE, archive_at)
    say_in_room(
        ctx,
        major,
        incident,
        actor,
        "major_resolved",
        f"{how.capitalize()} by @{actor.name}: {text}",
        by=actor.name,
        resolution=text,
        how=how,
        archive_at=archive_at,
        on_timeline=False,  # resolving or cancelling the incident put it there
    )
    tell_stakeholders(ctx, major, by=actor.name, text=text, status=how, public=public)
    refresh_card(ctx, major)


def archive(ctx: DeskContext, major: MajorIncident) -> None:
    """The room's time is up: its last post, then it is archived (or made read-only)."""
    if major.state != "resolved":
        return
    major.state, major.archived_at = "archived", ctx.clock.now()
    incident = incident_of(ctx, major)
    say_in_room(
        ctx,
        major,
        incident,
        SYSTEM,
        "major_room_archived",
        "The war room is archived; its timeline and review stay with the incident.",
        room_op={"op": "archive"},
    )


def roles_now(ctx: DeskContext, major: MajorIncident) -> list[MajorRole]:
    """The roles held now, oldest first."""
    return list(
        ctx.session.scalars(
            select(MajorRole)
            .where(MajorRole.major_id == major.id, MajorRole.until.is_(None))
            .order_by(MajorRole.id)
        )
    )


def holder(ctx: DeskContext, major: MajorIncident, role: str) -> str | None:
    """Who holds a single role now."""
    return next((r.person for r in roles_now(ctx, major) if r.role == role), None)


def is_commander(ctx: DeskContext, major: MajorIncident, person: str) -> bool:
    """Whether `person` is in command of `major` now."""
    return holder(ctx, major, "commander") == person
