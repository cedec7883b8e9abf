"""The on-call timers: a page's next escalation step (hand-overs are in handover.py)."""

from __future__ import annotations

from typing import Any

from domain import timers
from domain.context import DeskContext
from domain.oncall.pages import STEP, preload_subjects, run_step
from domain.oncall.records import Page
from domain.records import Timer


def load_pages(ctx: DeskContext, ids: list[str]) -> dict:
    """The pages of a batch of timers, locked; busy ones are left for a later pass."""
    return timers.lock_subjects(ctx, Page, ids)


@timers.batch_handler(STEP)
def fire_steps(ctx: DeskContext, due: list[tuple[Timer, Any]]) -> None:
    """Nobody acknowledged in time: each page's next step. A storm of pages (an outage
    opening hundreds of incidents) steps together: their subjects are read in one query
    and their changes written together, not one round trip after another."""
    paging = [page for _, page in due if page.state == "paging"]  # others were answered
    preload_subjects(ctx, paging)
    for page in paging:
        run_step(ctx, page)
