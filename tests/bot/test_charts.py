"""The report's chart: a real PNG of the right size with the bars drawn, a readable panel when
there is nothing to draw, alt text that names every number, and files made at delivery only
for a message that carries a chart (a chart that cannot be drawn costs the file, not the text)."""

from __future__ import annotations

import io
import logging
import struct

import numpy as np
from matplotlib.image import imread

from bot import late_files
from bot.charts import (
    OPENED,
    RESOLVE,
    RESOLVED,
    RESPOND,
    chart_alt_text,
    chart_title,
    render_report_chart,
)
from bot.late_files import needs_files, with_files
from bot.outbox import OutboundMessage
from tests.bot.report_fixture import EMPTY, PNG, report


def size(png: bytes) -> tuple[int, int]:
    """(width, height) from the PNG's IHDR chunk, the first after the signature."""
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def pixels_of(png: bytes, colour: str) -> int:
    """How many pixels of the image are `colour` ("#RRGGBB"), give or take antialiasing."""
    image = imread(io.BytesIO(png))[:, :, :3]
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(image - rgb).max(axis=2) < 0.02).sum())


def message(context: dict, **fields) -> OutboundMessage:
    return OutboundMessage(
        id=7,
        platform="console",
        kind="report_chart",
        destination_kind="dm",
        destination="grace",
        address="grace",
        subject_type=None,
        subject_id=None,
        context=context,
        attempts=1,
        **fields,
    )


def test_the_chart_is_a_png_of_its_size_with_both_panels_drawn():
    png = render_report_chart(report())
    assert png.startswith(PNG)
    assert size(png) == (1100, 440)
    assert imread(io.BytesIO(png)).shape == (440, 1100, 4)
    # Opened and resolved bars, respond and resolve bars: each colour is on the picture.
    for colour in (OPENED, RESOLVED, RESPOND, RESOLVE):
        assert pixels_of(png, colour) > 500, colour


def test_a_period_with_nothing_in_it_draws_no_bars_and_says_so():
    png = render_report_chart(EMPTY)
    assert png.startswith(PNG) and size(png) == (1100, 440)
    for colour in (OPENED, RESOLVED, RESPOND, RESOLVE):
        assert pixels_of(png, colour) == 0, colour
    alt = chart_alt_text(EMPTY)
    assert "No SLA targets fell due in this period." in alt
    assert "week of 5 Jan 2026: 0 opened, 0 resolved" in alt


def test_a_report_without_weeks_or_sla_at_all_still_draws():
    bare = {"scope": {"label": "the whole desk", "all_time": True}}
    assert render_report_chart(bare).startswith(PNG)
    assert render_report_chart({}).startswith(PNG)
    assert chart_title(bare) == "Desk report: the whole desk, all time"
    assert chart_alt_text(bare) == (
        "Chart of the Desk report: the whole desk, all time. No incidents opened or resolved "
        "in this period. No SLA targets fell due in this period."
    )


def test_the_title_names_the_scope_and_its_window():
    assert chart_title(report()) == "Desk report: team network, 5 Jan – 1 Feb 2026"
    over_new_year = report()
    over_new_year["scope"]["since"] = "2025-12-01T00:00:00+00:00"
    assert chart_title(over_new_year) == "Desk report: team network, 1 Dec 2025 – 1 Feb 2026"


def test_the_alt_text_names_every_number_on_the_chart():
    alt = chart_alt_text(report())
    assert alt.startswith("Chart of the Desk report: team network, 5 Jan – 1 Feb 2026. ")
    assert "week of 5 Jan 2026: 12 opened, 9 resolved, median time to resolve 3 h;" in alt
    assert "week of 12 Jan 2026: 7 opened, 10 resolved, median time to resolve 1 h 30 min;" in alt
    assert "week of 19 Jan 2026: 0 opened, 0 resolved;" in alt  # no median: nothing resolved
    assert "week of 26 Jan 2026: 11 opened, 10 resolved, median time to resolve 26 h." in alt
    assert "P1 respond 3 of 4 met (75%), resolve 2 of 4 met (50%);" in alt
    # P3 had no resolve target fall due: it is left out rather than called 0 of 0.
    assert "P3 respond 17 of 20 met (85%)." in alt
    assert "0 of 0" not in alt


def test_the_alt_text_fits_what_slack_and_discord_take():
    long = report()
    long["weeks"] = long["weeks"] * 20
    alt = chart_alt_text(long)
    assert len(alt) == 1000 and alt.endswith("…")


def test_a_message_without_a_chart_gets_no_files():
    plain = message({"report": report()})
    assert not needs_files(plain)
    assert not needs_files(message({"chart": "not numbers"}))


def test_a_message_with_a_chart_leaves_with_it_drawn():
    numbers = report()
    drawn = with_files(message({"chart": numbers, "report": numbers}))
    [file] = drawn.files
    assert file.filename == "desk-report-7.png"
    assert file.content.startswith(PNG) and file.is_png
    assert file.alt == chart_alt_text(numbers)
    assert file.title == "Desk report: team network, 5 Jan – 1 Feb 2026"
    assert drawn.context == {"chart": numbers, "report": numbers}  # the numbers stay as they were
    assert not needs_files(drawn)  # drawn once


def test_a_chart_that_cannot_be_drawn_leaves_the_message_as_it_was(monkeypatch, caplog):
    def broken(_report):
        raise ValueError("bad numbers")

    monkeypatch.setattr(late_files, "render_report_chart", broken)
    original = message({"chart": report()})
    with caplog.at_level(logging.WARNING, logger="bot.late_files"):
        assert with_files(original) is original
    assert "outbox 7: could not draw its chart; sending the text without it" in caplog.text
