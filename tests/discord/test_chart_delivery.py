"""A report's chart on Discord: the DM goes out as one post with the PNG attached and its alt
text as the attachment's description; a chart that cannot be drawn still lets the text go."""

from __future__ import annotations

import logging

from bot import late_files
from bot.charts import chart_alt_text
from tests.bot.report_fixture import PNG, queue_chart, report


def posts_with_files(desk, channel_id: str):
    return [c for c in desk.fake.calls("POST", f"/channels/{channel_id}/messages") if c.files]


async def test_the_chart_arrives_attached_to_the_dm_with_its_description(desk):
    queue_chart(desk.runtime, "grace")
    await desk.delivered()
    [row] = desk.outbox()
    assert (row.kind, row.status) == ("report_chart", "sent")

    [dm] = [m for m in desk.dm_messages("grace") if m["attachments"]]
    assert dm["content"].startswith("Chart of the desk report for team network")
    [attached] = dm["attachments"]
    assert attached["filename"] == f"desk-report-{row.id}.png"
    assert attached["description"] == chart_alt_text(report())

    [call] = posts_with_files(desk, dm["channel_id"])  # one post: the text and its file
    [part] = call.files
    assert part["filename"] == f"desk-report-{row.id}.png"
    assert part["data"].startswith(PNG)
    assert call.json["attachments"][0]["description"].startswith(
        "Chart of the Desk report: team network, 5 Jan – 1 Feb 2026. Incidents per week: "
        "week of 5 Jan 2026: 12 opened, 9 resolved"
    )


async def test_a_chart_that_cannot_be_drawn_still_lets_the_dm_go(desk, monkeypatch, caplog):
    def broken(_report):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(late_files, "render_report_chart", broken)
    with caplog.at_level(logging.WARNING, logger="bot.late_files"):
        queue_chart(desk.runtime, "grace")
        await desk.delivered()
    [row] = desk.outbox()
    assert row.status == "sent"
    [dm] = desk.dm_messages("grace")
    assert dm["content"].startswith("Chart of the desk report for team network")
    assert dm["attachments"] == []
    assert posts_with_files(desk, dm["channel_id"]) == []
    assert "could not draw its chart; sending the text without it" in caplog.text


async def test_a_file_the_channel_refuses_still_lets_the_text_go(desk, caplog):
    # No "Attach Files" permission (a digest's channel may lack it): Discord refuses the
    # post with its file (403, 50013); the text must still arrive, on its own.
    desk.fake.deny_bot("attach_files")
    with caplog.at_level(logging.WARNING, logger="adapters.discord.sender"):
        queue_chart(desk.runtime, "grace")
        await desk.delivered()
    [row] = desk.outbox()
    assert (row.kind, row.status) == ("report_chart", "sent")
    [dm] = desk.dm_messages("grace")
    assert dm["content"].startswith("Chart of the desk report for team network")
    assert dm["attachments"] == []
    assert "its file was refused (403, code 50013); posting the text alone" in caplog.text
