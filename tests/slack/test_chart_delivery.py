"""A report's chart on Slack: the DM's text is posted as usual, then the PNG is uploaded
(files_upload_v2) into the DM conversation the text went to, with its alt text. A chart that cannot be drawn, or an upload Slack refuses, never costs the text, and
never posts it twice."""

from __future__ import annotations

import logging

from bot import late_files
from bot.charts import chart_alt_text
from tests.bot.report_fixture import PNG, queue_chart, report
from tests.fakes.slack_api import UPLOAD_METHOD

GRACE = "U0GRACE"


def texts_to(slack, channel: str) -> list[str]:
    return [c.args["text"] for c in slack.calls("chat.postMessage") if c.args["channel"] == channel]


async def test_the_chart_is_uploaded_into_the_dm_after_its_text_with_alt_text(slack_desk, slack):
    queue_chart(slack_desk.runtime, "grace")
    await slack_desk.idle()
    [row] = slack_desk.outbox()
    assert (row.kind, row.status) == ("report_chart", "sent")

    [post] = [c for c in slack.calls("chat.postMessage") if c.args["channel"] == GRACE]
    assert post.args["text"].startswith("Chart of the desk report for team network")
    dm = post.response["channel"]  # Slack answers with the DM's own id
    assert dm.startswith("D")

    [completed] = slack.calls("files.completeUploadExternal")
    assert completed.ok and completed.args["channel_id"] == dm
    [listed] = completed.response["files"]
    file = slack.file(listed["id"])
    assert file["name"] == f"desk-report-{row.id}.png"
    assert file["data"].startswith(PNG) and file["mimetype"] == "image/png"
    assert file["alt_txt"] == chart_alt_text(report())
    assert file["title"] == "Desk report: team network, 5 Jan – 1 Feb 2026"
    # The file is shared in the conversation the text went to, after it.
    [share] = file["shares"]["public"][dm]
    assert float(share["ts"]) > float(post.response["ts"])
    assert slack.message(dm, share["ts"])["files"] == [{"id": file["id"], "name": file["name"]}]


async def test_a_chart_that_cannot_be_drawn_still_lets_the_text_go(
    slack_desk, slack, monkeypatch, caplog
):
    def broken(_report):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(late_files, "render_report_chart", broken)
    with caplog.at_level(logging.WARNING, logger="bot.late_files"):
        queue_chart(slack_desk.runtime, "grace")
        await slack_desk.idle()
    [row] = slack_desk.outbox()
    assert row.status == "sent"
    assert len(texts_to(slack, GRACE)) == 1
    assert slack.calls("files.getUploadURLExternal") == []
    assert "could not draw its chart; sending the text without it" in caplog.text


async def test_an_upload_slack_refuses_leaves_the_text_sent_once(slack_desk, slack, caplog):
    slack.refuse("files.completeUploadExternal", "not_in_channel")
    with caplog.at_level(logging.WARNING, logger="adapters.slack.sender"):
        queue_chart(slack_desk.runtime, "grace")
        await slack_desk.idle()
    [row] = slack_desk.outbox()
    assert (row.status, row.attempts) == ("sent", 1)
    assert len(texts_to(slack, GRACE)) == 1  # not re-posted to retry the file
    [upload] = slack.calls(UPLOAD_METHOD)
    assert upload.status == 200  # the bytes went; Slack would not share them
    assert f"outbox {row.id}: the text went but not its file" in caplog.text
    assert "not_in_channel" in caplog.text
