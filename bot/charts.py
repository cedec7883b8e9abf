"""The report's chart: a PNG drawn from a report's numbers (`Report.as_dict()`), and its alt text.

Two panels side by side: incidents opened and resolved per week (bars) with the week's
median time to resolve (a line on its own axis), and the share of SLA targets met per
priority (respond and resolve, with "met/total" written on each bar). A panel with nothing
to show says so instead of drawing empty axes.

matplotlib is imported inside the function: most processes never draw a chart, and its
import costs far more than a process start should. The figure is a `Figure` of its own
with an Agg canvas (never pyplot), so charts drawn in threads side by side share no state.
The colours are the Okabe-Ito palette, told apart with colour blindness, and the bars are
hatched too, so a greyscale print still reads.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any

# Okabe-Ito: distinguishable with every common colour-vision deficiency.
OPENED = "#E69F00"  # orange
RESOLVED = "#0072B2"  # blue
MTTR = "#000000"  # black line over the bars
RESPOND = "#56B4E9"  # sky blue
RESOLVE = "#009E73"  # bluish green
NO_DATA = "#555555"
MAX_ALT = 1000  # Slack's alt_txt and Discord's description (1024) both fit
WIDTH, HEIGHT, DPI = 11.0, 4.4, 100  # 1100 × 440 pixels: readable in a chat window
MARGINS = {"left": 0.055, "right": 0.985, "bottom": 0.17, "top": 0.85, "wspace": 0.3}
HEADROOM = 1.3  # above the tallest bar, room for the legend


def render_report_chart(report: dict[str, Any]) -> bytes:
    """The report's chart as PNG bytes (weekly flow, and SLA met by priority)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    FigureCanvasAgg(figure)
    # Fixed margins: a layout engine measures every label by drawing the figure twice.
    weekly, sla = figure.subplots(1, 2, width_ratios=(3, 2), gridspec_kw=MARGINS)
    figure.suptitle(chart_title(report), fontsize=13, fontweight="bold")
    _weeks_panel(weekly, report.get("weeks") or [])
    _sla_panel(sla, report.get("sla") or [])
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def chart_title(report: dict[str, Any]) -> str:
    """ "Desk report: team network, 5 Jan – 4 Feb 2026" (the scope and its window)."""
    scope = report.get("scope") or {}
    label = scope.get("label") or "the whole desk"
    return f"Desk report: {label}, {_window(scope)}"


def chart_alt_text(report: dict[str, Any]) -> str:
    """What the chart shows, in words, every number in it (for screen readers), cut to fit."""
    parts = [f"Chart of the {chart_title(report)}."]
    weeks = report.get("weeks") or []
    if weeks:
        described = []
        for week in weeks:
            text = (
                f"week of {_day(week.get('start'))}: {_int(week.get('opened'))} opened, "
                f"{_int(week.get('resolved'))} resolved"
            )
            if week.get("mttr_median_s") is not None:
                text += f", median time to resolve {_duration(week['mttr_median_s'])}"
            described.append(text)
        parts.append("Incidents per week: " + "; ".join(described) + ".")
    else:
        parts.append("No incidents opened or resolved in this period.")
    rows = [row for row in report.get("sla") or [] if _totals(row)]
    if rows:
        described = []
        for row in rows:
            targets = []
            for target in ("respond", "resolve"):
                met, total = _int(row.get(f"{target}_met")), _int(row.get(f"{target}_total"))
                if total:
                    targets.append(f"{target} {met} of {total} met ({_percent(met, total)})")
            described.append(f"{row.get('priority', '?')} " + ", ".join(targets))
        parts.append("SLA targets met: " + "; ".join(described) + ".")
    else:
        parts.append("No SLA targets fell due in this period.")
    text = " ".join(parts)
    return text if len(text) <= MAX_ALT else text[: MAX_ALT - 1].rstrip() + "…"


# ------------------------------------------------------------------ panels


def _weeks_panel(axes, weeks: list[dict[str, Any]]) -> None:
    axes.set_title("Incidents per week", fontsize=11)
    if not any(_int(week.get("opened")) or _int(week.get("resolved")) for week in weeks):
        _no_data(axes, "No incidents opened or resolved\nin this period")
        return
    positions = range(len(weeks))
    opened = [_int(week.get("opened")) for week in weeks]
    resolved = [_int(week.get("resolved")) for week in weeks]
    width = 0.4
    axes.bar(
        [x - width / 2 for x in positions],
        opened,
        width,
        label="Opened",
        color=OPENED,
        hatch="//",
        edgecolor="white",
        linewidth=0,
    )
    axes.bar(
        [x + width / 2 for x in positions],
        resolved,
        width,
        label="Resolved",
        color=RESOLVED,
    )
    axes.set_xticks(list(positions), [_short_day(week.get("start")) for week in weeks])
    if len(weeks) > 8:
        axes.tick_params(axis="x", labelrotation=45)
    axes.set_xlabel("Week starting (Monday, UTC)")
    axes.set_ylabel("Incidents")
    axes.set_ylim(0, max(max(opened), max(resolved), 1) * HEADROOM)
    axes.yaxis.get_major_locator().set_params(integer=True)
    handles, labels = axes.get_legend_handles_labels()
    medians = [week.get("mttr_median_s") for week in weeks]
    if any(value is not None for value in medians):
        hours = max(value for value in medians if value is not None) / 3600
        unit, scale = ("days", 86400) if hours > 72 else ("hours", 3600)
        line = axes.twinx()
        points = [
            (x, value / scale)
            for x, value in zip(positions, medians, strict=True)
            if value is not None
        ]
        line.plot(
            [x for x, _ in points],
            [y for _, y in points],
            color=MTTR,
            marker="o",
            linewidth=1.8,
            label=f"Median time to resolve ({unit})",
        )
        line.set_ylabel(f"Median time to resolve ({unit})")
        line.set_ylim(0, (max(y for _, y in points) or 1) * HEADROOM)
        more_handles, more_labels = line.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    axes.legend(handles, labels, loc="upper center", ncols=3, fontsize=8, framealpha=0.9)


def _sla_panel(axes, rows: list[dict[str, Any]]) -> None:
    axes.set_title("SLA targets met, by priority", fontsize=11)
    rows = [row for row in rows if _totals(row)]
    if not rows:
        _no_data(axes, "No SLA targets fell due\nin this period")
        return
    width = 0.4
    for offset, target, colour, hatch in (
        (-width / 2, "respond", RESPOND, ""),
        (width / 2, "resolve", RESOLVE, ".."),
    ):
        for x, row in enumerate(rows):
            met, total = _int(row.get(f"{target}_met")), _int(row.get(f"{target}_total"))
            if not total:
                axes.text(x + offset, 2, "n/a", ha="center", va="bottom", fontsize=8)
                continue
            share = 100 * met / total
            axes.bar(
                x + offset,
                share,
                width,
                color=colour,
                hatch=hatch,
                edgecolor="white",
                linewidth=0,
                label=f"{target.capitalize()} target met",
            )
            axes.text(
                x + offset, share + 1.5, f"{met}/{total}", ha="center", va="bottom", fontsize=8
            )
    axes.set_xticks(range(len(rows)), [str(row.get("priority", "?")) for row in rows])
    axes.set_xlabel("Priority")
    axes.set_ylabel("Targets met (%)")
    axes.set_xlim(-0.6, len(rows) - 0.4)  # text ("n/a") does not widen the axes itself
    axes.set_ylim(0, 100 * HEADROOM)
    axes.set_yticks([0, 25, 50, 75, 100])
    handles, labels = axes.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))  # one legend entry per target
    axes.legend(
        unique.values(), unique.keys(), loc="upper center", ncols=2, fontsize=8, framealpha=0.9
    )


def _no_data(axes, text: str) -> None:
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_color("#cccccc")
    axes.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        fontsize=11,
        color=NO_DATA,
        transform=axes.transAxes,
    )


# ------------------------------------------------------------------ words


def _totals(row: dict[str, Any]) -> bool:
    return bool(_int(row.get("respond_total")) or _int(row.get("resolve_total")))


def _window(scope: dict[str, Any]) -> str:
    if scope.get("all_time"):
        return "all time"
    since, until = _as_date(scope.get("since")), _as_date(scope.get("until"))
    if until is not None and _at_midnight(scope.get("until")):
        until -= timedelta(days=1)  # the end is exclusive: --until 2026-11-30 ends at 1 Dec 00:00
    if since is None or until is None:
        return "the period asked for"
    if since.year == until.year:
        return f"{since.day} {since:%b} – {until.day} {until:%b %Y}"
    return f"{since.day} {since:%b %Y} – {until.day} {until:%b %Y}"


def _at_midnight(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return False
    return isinstance(value, datetime) and value.time() == time(0, 0)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            return None
    return None


def _day(value: Any) -> str:
    day = _as_date(value)
    return f"{day.day} {day:%b %Y}" if day else str(value)


def _short_day(value: Any) -> str:
    day = _as_date(value)
    return f"{day.day} {day:%b}" if day else str(value)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _percent(met: int, total: int) -> str:
    return f"{round(100 * met / total)}%"


def _duration(seconds: float) -> str:
    """3 h 20 min, 2 d 4 h, 45 min: a median as a person says it."""
    minutes = round(float(seconds) / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
