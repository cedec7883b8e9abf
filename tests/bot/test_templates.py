"""Templates per process: every notification kind can be rendered, and what cannot be
rendered fails at once instead of being retried as if the platform were down."""

from __future__ import annotations

import asyncio
import io
import json
import logging

from sqlalchemy import select

from adapters.console import ConsoleSender
from bot.outbox import OutboxDelivery
from bot.templates import RenderError, has_template, render, template_path
from domain.notifications import KINDS
from domain.records import OutboxMessage


def test_every_notification_kind_has_at_least_its_text_template():
    assert KINDS, "no process registered any notification kind"
    missing = [kind for kind in KINDS if not has_template(kind, "text")]
    assert missing == []


def test_templates_live_under_their_process():
    assert template_path("incident_opened", "slack") == "slack/incident/incident_opened.j2"
    assert template_path("sla_warning", "text") == "text/incident/sla_warning.j2"


def test_an_unknown_kind_cannot_be_rendered():
    try:
        render("no_such_kind")
    except RenderError as exc:
        assert "unknown notification kind 'no_such_kind'" in str(exc)
    else:
        raise AssertionError("an unknown kind rendered")


def _outbox(desk) -> OutboxDelivery:
    return OutboxDelivery(
        database=desk.runtime.database,
        policy=desk.runtime.policy,
        clock=desk.clock,
        platform="console",
        sender=ConsoleSender(io.StringIO()),
    )


def _add_row(desk, kind: str, context: dict) -> int:
    now = desk.clock.now()
    with desk.runtime.database.transaction() as session:
        row = OutboxMessage(
            created_at=now,
            platform="console",
            kind=kind,
            destination_kind="channel",
            destination="service-desk",
            context=json.dumps(context),
            status="pending",
            attempts=0,
            next_attempt_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def _row(desk, row_id: int) -> OutboxMessage:
    with desk.runtime.database.transaction() as session:
        return session.scalar(select(OutboxMessage).where(OutboxMessage.id == row_id))


def test_an_unknown_kind_fails_its_outbox_row_at_once_with_the_reason_logged(desk, caplog):
    row_id = _add_row(desk, "kind_from_an_older_release", {})
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        assert asyncio.run(_outbox(desk).deliver_once()) == 1  # dealt with, not attempted
    row = _row(desk, row_id)
    assert (row.status, row.attempts) == ("failed", 0)
    assert row.last_error == "unknown notification kind kind_from_an_older_release"
    assert "unknown notification kind" in caplog.text


def test_a_template_that_cannot_render_its_context_fails_at_once(desk, caplog):
    row_id = _add_row(desk, "incident_note", {"by": "bob"})  # no incident, no note
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        assert asyncio.run(_outbox(desk).deliver_once()) == 1
    row = _row(desk, row_id)
    assert (row.status, row.attempts) == ("failed", 1)  # not pending, waiting for a retry
    assert row.last_error.startswith("RenderError: text/incident/incident_note.j2")
    assert "failed for good" in caplog.text


def test_a_failed_row_does_not_hold_back_the_next_one_for_its_channel(desk):
    _add_row(desk, "kind_from_an_older_release", {})
    desk.say("alice", '/incident new "Printer on fire"')
    assert any("INC-1" in line for line in desk.posts())
