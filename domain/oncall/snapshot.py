"""How a page looks to templates and cards."""

from __future__ import annotations

from typing import Any

from domain.oncall.records import Page


def page_data(page: Page) -> dict[str, Any]:
    """A page's fields as plain data, frozen at the moment of a notification."""
    return {
        "id": page.id,
        "key": page.key,
        "team": page.team,
        "about": page.about_key,
        "about_type": page.about_type,
        "title": page.title,
        "reason": page.reason,
        "paged": page.paged_people,
        "acknowledged_by": page.acknowledged_by,
        "acknowledged_at": page.acknowledged_at,
        "opened_at": page.opened_at,
        "ended_at": page.ended_at,
        "end_reason": page.end_reason,
        "step": page.step,
        "round": page.round,
    }
