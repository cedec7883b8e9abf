"""Major incident management: a war room on every platform, roles, status updates on a
cadence, a timeline marked from chat, and a post-incident review written from data.

A major incident is an incident (it keeps its INC number and states) with more around
it. Importing the package registers the process with the kernel and follows incident
management through its ON_OPEN hook (the automatic declaration of P1 incidents).
"""

from sqlalchemy import select, update

from domain import notifications, people, timers
from domain.context import DeskContext
from domain.incidents import lifecycle as incident_lifecycle
from domain.major import lifecycle, timer_handlers
from domain.major.action_items import add_action, close_action, items_of, open_items_of
from domain.major.crew import give_role, join, leave
from domain.major.lifecycle import (
    declare,
    declare_automatically,
    declare_incident,
    find,
    holder,
    list_majors,
    require_insider,
    resolve,
    roles_now,
)
from domain.major.records import MajorAction, MajorIncident, MajorMark, MajorRole, MajorUpdate
from domain.major.review import keep_review, metrics, review_data
from domain.major.snapshot import action_data, major_data
from domain.major.states import ACTION_ITEM, KINDS, MAJOR, ROLES, STATUSES
from domain.major.timeline import Line, add_note, lines, mark_message
from domain.major.updates import post_update
from domain.records import PersonRecord, PlatformAccount

SUBJECT_TYPE = MajorIncident.subject_type


def person_of_account(ctx: DeskContext, platform: str, user_id: str) -> str | None:
    """The desk name of a platform user, if they are a known person."""
    return ctx.session.scalar(
        select(PersonRecord.name)
        .join(PlatformAccount, PlatformAccount.person_id == PersonRecord.id)
        .where(PlatformAccount.platform == platform, PlatformAccount.user_id == user_id)
    )


def rename_person(ctx: DeskContext, old: str, new: str) -> None:
    """Roles, updates, marks and action items follow a person's new name."""
    for model, column in (
        (MajorRole, MajorRole.person),
        (MajorUpdate, MajorUpdate.author),
        (MajorMark, MajorMark.author),
        (MajorAction, MajorAction.owner),
    ):
        ctx.session.execute(
            update(model)
            .where(column == old)
            .values({column.key: new})
            .execution_options(synchronize_session=False)
        )


PROCESS = "major"
notifications.register_kinds(PROCESS, KINDS)
notifications.register_subject(notifications.SubjectType("major", MAJOR, major_data))
notifications.register_subject(
    notifications.SubjectType("major_action", ACTION_ITEM, action_data, "ACT")
)
timers.register_loader("major", timer_handlers.load_majors)
timers.register_loader("major_action", timer_handlers.load_actions)
incident_lifecycle.ON_OPEN.append(declare_automatically)
incident_lifecycle.ON_RESOLVE.append(lifecycle.after_resolve)
incident_lifecycle.ON_CANCEL.append(lifecycle.after_cancel)
incident_lifecycle.ON_CLOSE.append(lifecycle.after_close)
incident_lifecycle.ON_REOPEN.append(lifecycle.after_reopen)
people.RENAMERS.append(rename_person)

__all__ = [
    "ACTION_ITEM",
    "KINDS",
    "MAJOR",
    "ROLES",
    "STATUSES",
    "SUBJECT_TYPE",
    "Line",
    "MajorAction",
    "MajorIncident",
    "MajorMark",
    "MajorRole",
    "MajorUpdate",
    "action_data",
    "add_action",
    "add_note",
    "close_action",
    "declare",
    "declare_incident",
    "find",
    "give_role",
    "holder",
    "items_of",
    "join",
    "keep_review",
    "leave",
    "lines",
    "list_majors",
    "major_data",
    "mark_message",
    "metrics",
    "open_items_of",
    "person_of_account",
    "post_update",
    "require_insider",
    "resolve",
    "review_data",
    "roles_now",
]
