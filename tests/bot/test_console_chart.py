"""A report's chart on the console: the DM prints as usual, the PNG is written under
`reports/` (in the working directory, one file per message) and its path printed beneath
the text; a chart that cannot be drawn still lets the text go."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

from sqlalchemy import select

from adapters.console import ConsoleSender
from adapters.console.sender import CONTINUED
from bot import late_files
from bot.outbox import OutboxDelivery
from domain.records import OutboxMessage
from tests.bot.report_fixture import PNG, queue_chart


def chart_lines(post: str) -> list[str]:
    return [line for line in post.splitlines() if line.startswith(f"{CONTINUED}chart: ")]


def sent(desk) -> list[tuple[str, str]]:
    with desk.runtime.database.transaction() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.kind, row.status) for row in rows]


def test_the_chart_is_written_under_reports_and_its_path_printed_beneath_the_dm(desk):
    queue_chart(desk.runtime, "bob")
    queue_chart(desk.runtime, "bob")  # a second report: a file of its own
    first, second = desk.advance(seconds=0)
    assert first.startswith("[DM @bob] Chart of the desk report for team network")
    paths = []
    for post in (first, second):
        [line] = chart_lines(post)
        paths.append(Path(line.removeprefix(f"{CONTINUED}chart: ")))
    reports = desk.files_dir / "reports"  # the test's own directory stands for the cwd
    assert [path.parent for path in paths] == [reports.resolve()] * 2
    assert paths[0] != paths[1]
    for path in paths:
        assert path.read_bytes().startswith(PNG)
    assert sent(desk) == [("report_chart", "sent")] * 2


def test_without_a_directory_of_its_own_the_chart_goes_to_reports_in_the_working_directory(
    desk, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    outbox = OutboxDelivery(
        database=desk.runtime.database,
        policy=desk.runtime.policy,
        clock=desk.clock,
        platform="console",
        sender=ConsoleSender(out),
    )
    queue_chart(desk.runtime, "bob")
    [row_id] = [row.id for row in _rows(desk)]
    assert asyncio.run(outbox.deliver_once()) == 1
    name = f"desk-report-{row_id}.png"
    assert out.getvalue().endswith(f"\n{CONTINUED}chart: reports/{name}\n")
    assert (tmp_path / "reports" / name).read_bytes().startswith(PNG)


def test_a_chart_that_cannot_be_drawn_still_lets_the_text_go(desk, monkeypatch, caplog):
    def broken(_report):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(late_files, "render_report_chart", broken)
    queue_chart(desk.runtime, "bob")
    with caplog.at_level(logging.WARNING, logger="bot.late_files"):
        [post] = desk.advance(seconds=0)
    assert post.startswith("[DM @bob] Chart of the desk report for team network")
    assert chart_lines(post) == []
    assert not (desk.files_dir / "reports").exists()
    assert "could not draw its chart; sending the text without it" in caplog.text
    assert sent(desk) == [("report_chart", "sent")]


def _rows(desk) -> list[OutboxMessage]:
    with desk.runtime.database.transaction() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
