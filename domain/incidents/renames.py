"""Desk names stored on incidents, carried along when a person is renamed."""

from __future__ import annotations

from sqlalchemy import update

from domain.context import DeskContext
from domain.incidents.records import IncidentRecord, TimelineEntry


def rename_person(ctx: DeskContext, old: str, new: str) -> None:
    """Incidents a person reported or holds, and their timeline entries, follow the new name."""
    for column in (IncidentRecord.reporter, IncidentRecord.assignee):
        ctx.session.execute(
            update(IncidentRecord)
            .where(column == old)
            .values({column.key: new})
            .execution_options(synchronize_session=False)
        )
    ctx.session.execute(
        update(TimelineEntry)
        .where(TimelineEntry.actor == old)
        .values(actor=new)
        .execution_options(synchronize_session=False)
    )
