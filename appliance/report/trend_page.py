"""A listener's trend on one page (PNG and PDF) that a clinician reads at a glance.

At the top, in words: how the sessions calm the listener and whether that is changing (with
its uncertainty), the music the device has learned they prefer, alerts and the clinician's
assessments. Below, the figures behind the words: each session's arousal at the start and the
end, the calming of each session with its trend, and the assessments over time. Black and
white throughout (filled and open markers, line styles, hatching), large type, A4 portrait.

Drawn with matplotlib's Agg canvas directly (no pyplot, no display, no global figure state).
"""

from __future__ import annotations

import io
import logging
import textwrap
from datetime import datetime, tzinfo
from pathlib import Path

import matplotlib
import matplotlib.dates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.figure import Figure

from appliance.fsutil import atomic_write_bytes, ensure_private_dir
from appliance.report.trend import Trend, listener_trend
from appliance.store.db import Store

# Embedding the fonts in the PDF logs every glyph subset at INFO: noise on a technician's console.
logging.getLogger("fontTools").setLevel(logging.WARNING)

A4_PORTRAIT_IN = (8.27, 11.69)
DPI = 150  # 1240 × 1754 px: prints sharp on A4
FONTS = {
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 11.5,
    "ytick.labelsize": 12,
    "legend.fontsize": 11.5,
    "pdf.fonttype": 42,  # text stays text in the PDF (searchable, sharp when printed)
}
SHOWN_SESSIONS = 30  # the figures show the latest sessions; the words cover all of them
WRAP = 78  # characters a line of the words block holds at its size on A4
LINE_FRACTION = 0.0205  # the height of one line of the words block, as a share of the page
MARKERS = ("o", "s", "^", "D")  # one per assessment scale


def write_listener_report(
    store: Store,
    listener_id: str,
    dest: Path,
    *,
    tz: tzinfo | None = None,
    now: datetime | None = None,
) -> list[Path]:
    """Write `<id>-trend.png` and `<id>-trend.pdf` into `dest` (created 0700; files 0600,
    each replaced atomically). Times are shown in `tz` (default: the machine's zone).
    Returns the paths written."""
    trend = listener_trend(store, listener_id, tz=tz)
    when = (now or datetime.now(tz)).astimezone(tz)
    dest = ensure_private_dir(Path(dest))
    written = []
    with matplotlib.rc_context(FONTS):
        figure = trend_figure(trend, when)
        for suffix, canvas in (("png", FigureCanvasAgg), ("pdf", FigureCanvasPdf)):
            canvas(figure)
            buffer = io.BytesIO()
            figure.savefig(buffer, format=suffix, dpi=DPI)
            written.append(
                atomic_write_bytes(dest / f"{listener_id}-trend.{suffix}", buffer.getvalue())
            )
    return written


def trend_figure(trend: Trend, when: datetime) -> Figure:
    figure = Figure(figsize=A4_PORTRAIT_IN)
    lines = _words(figure, trend, when)
    # The figures take the page below the words, however many lines those took.
    top = max(0.45, 0.885 - LINE_FRACTION * lines - 0.04)
    grid = figure.add_gridspec(
        3,
        1,
        height_ratios=[1.15, 1.2, 0.85],
        top=top,
        bottom=0.045,
        left=0.12,
        right=0.97,
        hspace=0.5,
    )
    shown = trend.sessions[-SHOWN_SESSIONS:]
    _arousal(figure.add_subplot(grid[0]), shown)
    _calming(figure.add_subplot(grid[1]), trend, shown)
    _assessments(figure.add_subplot(grid[2]), trend)
    return figure


def _words(figure: Figure, trend: Trend, when: datetime) -> int:
    """The words block at the top of the page; returns how many lines it took."""
    sessions = trend.sessions
    span = "no sessions"
    if sessions:
        first, last = sessions[0].started, sessions[-1].started
        span = f"{len(sessions)} sessions, {first:%-d %b %Y} to {last:%-d %b %Y}"
    figure.text(0.04, 0.985, f"Listener {trend.listener_id}", fontsize=21, weight="bold", va="top")
    figure.text(
        0.04, 0.948, f"{span} · printed {when:%-d %b %Y %H:%M} ({when:%Z})", fontsize=12, va="top"
    )
    lines = [
        trend.average_words(),
        trend.trend_words(),
        *trend.preference,
        trend.alert_words(),
        trend.assessment_words(),
    ]
    if trend.comparison is not None:
        said = trend.comparison.lines()
        lines.append("Comparison with the fixed U-sequence: " + " ".join(said[1:] or said))
    text = "\n".join(
        textwrap.fill(line, WRAP, initial_indent="• ", subsequent_indent="  ") for line in lines
    )
    figure.text(0.04, 0.915, text, fontsize=13, va="top", linespacing=1.3)
    return text.count("\n") + 1


def _session_axis(ax: Axes, shown) -> np.ndarray:
    x = np.arange(1, len(shown) + 1)
    step = max(1, len(shown) // 12)
    ax.set_xticks(x[::step])
    ax.set_xticklabels([f"{s.started.day} {s.started:%b}" for s in shown][::step])
    ax.set_xlim(0.4, max(len(shown), 1) + 0.6)
    ax.grid(axis="y", color="0.85", linewidth=0.8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return x


def _arousal(ax: Axes, shown) -> None:
    x = _session_axis(ax, shown)
    ax.set_title("Each session: estimated arousal at the start and at the end", loc="left")
    for xi, s in zip(x, shown, strict=True):
        if s.arousal_pre is not None and s.arousal_post is not None:
            ax.annotate(
                "",
                xy=(xi, s.arousal_post),
                xytext=(xi, s.arousal_pre),
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.6},
            )
    pre = [np.nan if s.arousal_pre is None else s.arousal_pre for s in shown]
    post = [np.nan if s.arousal_post is None else s.arousal_post for s in shown]
    ax.plot(x, pre, "o", mfc="white", mec="black", ms=9, mew=1.6, ls="none", label="start")
    ax.plot(x, post, "o", color="black", ms=9, ls="none", label="end")
    alerted = [xi for xi, s in zip(x, shown, strict=True) if s.alerts]
    if alerted:
        ax.plot(
            alerted,
            [1.04] * len(alerted),
            "v",
            color="black",
            ms=11,
            ls="none",
            label="staff alert",
            clip_on=False,
        )
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("arousal (0 calm – 1 aroused)")
    ax.legend(loc="lower left", ncols=3, frameon=False)


def _calming(ax: Axes, trend: Trend, shown) -> None:
    x = _session_axis(ax, shown)
    ax.set_title("Calming in each session (higher: calmer by the end) and its trend", loc="left")
    calming = np.array([np.nan if s.calming is None else s.calming for s in shown])
    ax.bar(
        x,
        np.nan_to_num(calming),
        color="0.75",
        edgecolor="black",
        hatch="//",
        width=0.6,
        label="calming",
    )
    ax.axhline(0.0, color="black", linewidth=1.0)
    offset = len(trend.sessions) - len(shown)  # the slope counts sessions from the first
    s = trend.slope
    measured = [(i, c) for i, c in enumerate(calming) if np.isfinite(c)]
    if np.isfinite(s.value) and measured:
        xs = np.array([i + 1 for i, _ in measured], dtype=float)
        ys = np.array([c for _, c in measured])
        pivot_x = float(np.median(xs))
        pivot_y = float(np.median(ys - s.value * (xs + offset))) + s.value * (pivot_x + offset)
        line_x = np.linspace(x[0], x[-1], 50)
        lines = [pivot_y + b * (line_x - pivot_x) for b in (s.low, s.high)]
        ax.fill_between(
            line_x,
            np.minimum(*lines),
            np.maximum(*lines),
            color="0.85",
            zorder=0,
            label="where the trend may lie (95%)",
        )
        ax.plot(
            line_x,
            pivot_y + s.value * (line_x - pivot_x),
            "-",
            color="black",
            linewidth=2.4,
            label="trend",
        )
    ax.margins(y=0.3)
    ax.set_ylabel("fall in arousal")
    ax.legend(loc="upper left", ncols=3, frameon=False, fontsize=11)


def _assessments(ax: Axes, trend: Trend) -> None:
    ax.set_title("Clinician assessments", loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not trend.assessments:
        ax.set_axis_off()
        ax.text(
            0.0,
            0.6,
            "None recorded. Record one with:\n"
            f"attune listeners assess {trend.listener_id} --scale GAD-7 --score N",
            transform=ax.transAxes,
            fontsize=12.5,
            va="top",
        )
        return
    scales = list(dict.fromkeys(a.scale.key for a in trend.assessments))
    for n, key in enumerate(scales):
        mine = [a for a in trend.assessments if a.scale.key == key]
        scale = mine[0].scale
        ax.plot(
            [datetime(a.on.year, a.on.month, a.on.day) for a in mine],
            [(a.score - scale.low) / (scale.high - scale.low) * 100 for a in mine],
            marker=MARKERS[n % len(MARKERS)],
            color="black",
            mfc="white" if n % 2 else "black",
            ms=9,
            linestyle=("-", "--", ":", "-.")[n % 4],
            label=f"{scale.title} ({scale.low}-{scale.high}; higher: {scale.what})",
        )
        for a in mine:
            ax.annotate(
                str(a.score),
                (
                    (datetime(a.on.year, a.on.month, a.on.day)),
                    (a.score - scale.low) / (scale.high - scale.low) * 100,
                ),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
                fontsize=11,
            )
    ax.set_ylim(-5, 150)  # room above the points for the legend
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_ylabel("% of the scale")
    ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%-d %b"))
    ax.grid(axis="y", color="0.85", linewidth=0.8)
    ax.legend(loc="upper left", frameon=False, fontsize=11)
