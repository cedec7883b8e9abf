"""On-call: who is on call (rotations as code, overrides from chat), pages that step
through a team's escalation policy until someone acknowledges, and hand-overs that tell
the incoming person what they inherit.

Importing the package registers the process with the kernel: it answers `paging.page`
for every process, and follows incident management through its hooks (a page stops when
the incident is responded to, resolved or cancelled; acknowledging a page is the
incident's first response).
"""

from sqlalchemy import select, update

from domain import notifications, paging, people, timers
from domain.context import Actor, DeskContext
from domain.incidents import lifecycle as incident_lifecycle
from domain.incidents.records import IncidentRecord
from domain.oncall import handover, pages, timer_handlers
from domain.oncall.handover import inheritance, start_rotations
from domain.oncall.overrides import add_override, cancel_override, list_overrides, swap
from domain.oncall.pages import acknowledge, escalate, get_page, start_page
from domain.oncall.queries import active_pages
from domain.oncall.records import OncallOverride, OncallRotation, Page
from domain.oncall.rota import OnCallNow, on_call, schedule_of, team_oncall, timeline
from domain.oncall.snapshot import page_data
from domain.oncall.states import KINDS, PAGE
from domain.oncall.when import is_clock, parse_when, wants_clock

PRELOADED = "oncall_preloaded_incidents"  # ctx.cache: incidents read for a batch of steps


def _incident_timeline(ctx: DeskContext, incident, actor: Actor, kind: str, text: str) -> None:
    incident_lifecycle.record_event(ctx, incident, actor, kind, text)


def _load_incident(ctx: DeskContext, subject_id: str):
    preloaded = ctx.cache.get(PRELOADED, {})
    if subject_id in preloaded:
        return preloaded[subject_id]
    return ctx.session.get(IncidentRecord, int(subject_id)) if subject_id.isdigit() else None


def _preload_incidents(ctx: DeskContext, ids: list[str]) -> None:
    numbers = [int(i) for i in ids if i.isdigit()]
    found = ctx.session.scalars(select(IncidentRecord).where(IncidentRecord.id.in_(numbers)))
    # Held here: the session keeps only weak references to what it loaded.
    ctx.cache.setdefault(PRELOADED, {}).update({str(i.id): i for i in found})


def _answer_incident(ctx: DeskContext, actor: Actor, page: Page) -> bool:
    """Acknowledging a page about an incident is the incident's first response."""
    if page.about_type != "incident":
        return False
    incident = _load_incident(ctx, page.about_id)
    if incident is None:
        return False
    return incident_lifecycle.acknowledge_incident(
        ctx, actor, incident, f"by @{actor.name}, answering {page.key}"
    )


def _responded(ctx: DeskContext, incident: IncidentRecord) -> None:
    if incident.state == "resolved":
        why = f"{incident.key} was resolved"
    elif incident.assignee:
        why = f"{incident.assignee} took {incident.key}"
    else:
        why = f"{incident.key} was acknowledged"
    pages.stop(ctx, incident, why)


def _resolved(ctx: DeskContext, actor: Actor, incident: IncidentRecord) -> None:
    pages.stop(ctx, incident, f"{incident.key} was resolved", actor)


def _cancelled(ctx: DeskContext, actor: Actor, incident: IncidentRecord) -> None:
    pages.stop(ctx, incident, f"{incident.key} was cancelled", actor)


def rename_person(ctx: DeskContext, old: str, new: str) -> None:
    """Overrides follow a person's new name (pages keep who they reached, as history)."""
    for column in (OncallOverride.person, OncallOverride.by):
        ctx.session.execute(
            update(OncallOverride)
            .where(column == old)
            .values({column.key: new})
            .execution_options(synchronize_session=False)
        )


PROCESS = "oncall"
notifications.register_kinds(PROCESS, KINDS)
notifications.register_subject(notifications.SubjectType("page", PAGE, page_data, "PAGE"))
timers.register_loader("page", timer_handlers.load_pages)
timers.register_loader("oncall_rotation", handover.load_rotations)
timers.ON_START.append(start_rotations)
paging.PAGERS.append(start_page)
pages.TIMELINES["incident"] = _incident_timeline
pages.LOADERS["incident"] = _load_incident
pages.PRELOADERS["incident"] = _preload_incidents
pages.ON_ACKNOWLEDGE.append(_answer_incident)
incident_lifecycle.ON_FIRST_RESPONSE.append(_responded)
incident_lifecycle.ON_CLAIM.append(_responded)
incident_lifecycle.ON_RESOLVE.append(_resolved)
incident_lifecycle.ON_CANCEL.append(_cancelled)
people.RENAMERS.append(rename_person)

__all__ = [
    "KINDS",
    "PAGE",
    "OnCallNow",
    "OncallOverride",
    "OncallRotation",
    "Page",
    "acknowledge",
    "active_pages",
    "add_override",
    "cancel_override",
    "escalate",
    "get_page",
    "inheritance",
    "is_clock",
    "list_overrides",
    "on_call",
    "page_data",
    "parse_when",
    "schedule_of",
    "start_page",
    "start_rotations",
    "swap",
    "team_oncall",
    "timeline",
    "wants_clock",
]
