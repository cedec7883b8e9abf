"""A major incident as templates see it: its status, roles and room."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from domain.major.records import MajorAction, MajorIncident, MajorRole


def major_data(major: MajorIncident) -> dict[str, Any]:
    """The major incident as plain values (the roles held now, read from its session)."""
    session = object_session(major)
    roles: list[MajorRole] = []
    if session is not None:
        roles = list(
            session.scalars(
                select(MajorRole)
                .where(MajorRole.major_id == major.id, MajorRole.until.is_(None))
                .order_by(MajorRole.id)
            )
        )

    def one(role: str) -> str | None:
        return next((r.person for r in roles if r.role == role), None)

    return {
        "key": major.key,
        "number": major.id,
        "title": major.title,
        "priority": major.priority,
        "service": major.service,
        "team": major.team,
        "status": major.status,
        "impact": major.impact,
        "room_name": major.room_name,
        "declared_by": major.declared_by,
        "declared_at": major.declared_at,
        "last_update_at": major.last_update_at,
        "resolved_at": major.resolved_at,
        "roles": {
            "commander": one("commander"),
            "communications": one("communications"),
            "scribe": one("scribe"),
            "responders": [r.person for r in roles if r.role == "responder"],
        },
    }


def action_data(item: MajorAction) -> dict[str, Any]:
    """An action item as plain values."""
    return {
        "key": item.key,
        "number": item.id,
        "title": item.text,
        "text": item.text,
        "owner": item.owner,
        "due": item.due,
        "incident": f"INC-{item.major_id}",
    }
