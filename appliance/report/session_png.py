"""One session on one page, for a clinician: heart rate, skin conductance, arousal and the
music's tempo against session minutes, with the arc's phases and any alerts.

Drawn with matplotlib's Agg canvas directly (no pyplot, no display, no global figure state).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from appliance.affect.estimate import CALM_BELOW, STRESSED_ABOVE
from appliance.clock import local_text
from appliance.fsutil import atomic_write_bytes, ensure_private_dir
from appliance.report import series
from appliance.report.outcomes import SessionOutcome, session_outcome
from appliance.report.words import headline
from appliance.store.db import Store
from appliance.store.rows import SessionRow

FIGURE_SIZE_IN = (14.0, 11.0)
DPI = 100  # 1400 × 1100 px: sharp on a screen, fits an A4 page
FONTS = {
    "font.size": 14,
    "axes.labelsize": 15,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
}
COLOURS = {
    "hr": "#b03a2e",
    "scl": "#1f618d",
    "scr": "#5dade2",
    "arousal": "#6c3483",
    "tempo": "#1e8449",
    "alert": "#e74c3c",
    "event": "#505050",
    "boundary": "#9a9a9a",
    "calm": "#27ae60",
    "stressed": "#e74c3c",
}
PHASE_COLOURS = {
    "calibration": "#d5d8dc",
    "iso": "#aed6f1",
    "descend": "#85c1e9",
    "trough": "#a9dfbf",
    "plateau": "#a9dfbf",
    "rise": "#f9e79f",
    "fade": "#d7bde2",
}
OTHER_PHASE_COLOUR = "#e5e8e8"
STATUS_COLOURS = {
    "completed": "#1e8449",
    "alert": "#c0392b",
    "interrupted": "#b9770e",
    "failed": "#c0392b",
}
FADED_ALPHA = 0.25
NO_PHYSIOLOGY = "No physiology recorded"
TRUSTED_WINDOWS = "good quality"  # line labels, so the figure can be inspected
ALL_WINDOWS = "all windows"
MIN_LABEL_SPACING = 0.04  # of the session's length: closer event labels would overlap


def render_session_png(store: Store, session_id: int, path: Path, tz: tzinfo = UTC) -> Path:
    """Draw the session report and replace `path` with it atomically. Returns `path`. Times
    are shown in `tz` (device.timezone)."""
    with matplotlib.rc_context(FONTS):
        figure = session_figure(store, session_id, tz)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    path = Path(path)
    ensure_private_dir(path.parent)
    return atomic_write_bytes(path, buffer.getvalue())


def session_figure(store: Store, session_id: int, tz: tzinfo = UTC) -> Figure:
    """The report as a matplotlib Figure (for PNG, PDF or an HTML page)."""
    with matplotlib.rc_context(FONTS):
        return _draw(
            store.session(session_id),
            session_outcome(store, session_id),
            store.physiology(session_id),
            store.decisions(session_id),
            store.events(session_id),
            tz,
        )


def _draw(
    session: SessionRow,
    outcome: SessionOutcome,
    physiology: Sequence[dict[str, Any]],
    decisions: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    tz: tzinfo,
) -> Figure:
    figure = Figure(figsize=FIGURE_SIZE_IN, dpi=DPI)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(
        5, 1, height_ratios=(0.3, 1, 1, 1, 0.8), hspace=0.14,
        left=0.1, right=0.91, top=0.845, bottom=0.11,
    )  # fmt: skip
    ribbon = figure.add_subplot(grid[0])
    hr_ax, eda_ax, arousal_ax, tempo_ax = (
        figure.add_subplot(grid[i], sharex=ribbon) for i in range(1, 5)
    )

    segs = series.segments(decisions)
    t_s = series.column(physiology, "t_s")
    end_s = max([session.duration_s or 0.0, *(s.end_s for s in segs), *t_s.tolist(), 60.0])

    entry = (session.summary or {}).get("arousal_entry")
    summary = headline(outcome, entry)  # an anonymous session keeps this, not its windows
    who_what, when = _title(session, end_s, tz)
    figure.text(0.1, 0.962, who_what, fontsize=19, weight="bold")
    figure.text(0.97, 0.962, session.status.upper(), fontsize=19, weight="bold", ha="right",
                color=STATUS_COLOURS.get(session.status, "black"))  # fmt: skip
    figure.text(0.1, 0.929, when, fontsize=15)
    figure.text(0.1, 0.896, summary, fontsize=15)
    figure.text(
        0.1, 0.012,
        "Faded line: poor signal quality, not reliable.   Grey vertical lines: music segment "
        "changes.   Red vertical lines: alerts.\n" + series.span_note(),
        fontsize=12, color="dimgray",
    )  # fmt: skip

    _draw_phases(ribbon, series.phase_spans(segs), end_s)
    _draw_channel(hr_ax, physiology, "hr_bpm", "ppg_quality", COLOURS["hr"], "heart rate")
    hr_ax.set_ylabel("Heart rate\n(bpm)")
    _draw_channel(eda_ax, physiology, "scl_us", "eda_quality", COLOURS["scl"], "skin conductance")
    eda_ax.set_ylabel("Skin cond.\nlevel (µS)")
    _draw_scr(eda_ax, physiology)
    _draw_arousal(arousal_ax, physiology)
    _draw_tempo(tempo_ax, segs)
    tempo_ax.set_xlabel("Session time (minutes)")
    tempo_ax.set_xlim(0, end_s / 60)

    data_axes = (hr_ax, eda_ax, arousal_ax, tempo_ax)
    for ax in data_axes:
        ax.grid(axis="y", color="#eeeeee")
        ax.spines[["top", "right"]].set_visible(False)
        for seg in segs[1:]:
            ax.axvline(seg.start_s / 60, color=COLOURS["boundary"], lw=1, zorder=0)
    for ax in (ribbon, hr_ax, eda_ax, arousal_ax):
        ax.tick_params(labelbottom=False)
    _draw_events(ribbon, data_axes, events, segs)
    return figure


def _title(session: SessionRow, end_s: float, tz: tzinfo) -> tuple[str, str]:
    """('Listener L-0042  ·  goal: relax', '01 May 2024 11:00 BST  ·  20 of 20 min')."""
    who = f"Listener {session.listener_id}" if session.listener_id else "Anonymous listener"
    started = local_text(session.started_wall, tz, "%d %b %Y %H:%M %Z")
    minutes = (session.duration_s if session.duration_s is not None else end_s) / 60
    planned = session.planned_s / 60
    return (
        f"{who}  ·  goal: {session.goal}",
        f"{started}  ·  {minutes:.0f} of {planned:.0f} min planned",
    )


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=16,
            color="dimgray", style="italic", zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 6})  # fmt: skip
    ax.set_yticks([])


def _draw_channel(
    ax: Axes, physiology: Sequence[dict[str, Any]], name: str, quality: str, colour: str, what: str
) -> None:
    """Good windows as a solid line, poor ones faded, long silences as gaps."""
    if not physiology:
        _no_data(ax, NO_PHYSIOLOGY)
        return
    t, y, q = series.with_gaps(
        series.column(physiology, "t_s"),
        series.column(physiology, name),
        series.column(physiology, quality),
    )
    if not np.isfinite(y).any():
        _no_data(ax, f"No {what} recorded (sensor absent or no contact)")
        return
    ax.plot(t / 60, y, color=colour, lw=1.5, alpha=FADED_ALPHA, label=ALL_WINDOWS)
    ax.plot(t / 60, series.trusted(y, q), color=colour, lw=2.8, label=TRUSTED_WINDOWS)
    low, high = np.nanmin(y), np.nanmax(y)
    pad = max(0.1 * (high - low), 0.05 * abs(high), 0.5)
    ax.set_ylim(low - pad, high + pad)


def _draw_scr(ax: Axes, physiology: Sequence[dict[str, Any]]) -> None:
    if not physiology:
        return
    t, scr, q = series.with_gaps(
        series.column(physiology, "t_s"),
        series.column(physiology, "scr_per_min"),
        series.column(physiology, "eda_quality"),
    )
    if not np.isfinite(scr).any():
        return
    twin = ax.twinx()
    twin.plot(t / 60, series.trusted(scr, q), color=COLOURS["scr"], lw=1.6, ls="--")
    twin.set_ylabel("SCRs / min\n(dashed)", color=COLOURS["scr"])
    twin.tick_params(axis="y", colors=COLOURS["scr"])
    twin.set_ylim(0, max(1.0, float(np.nanmax(scr)) * 1.2))
    twin.spines[["top"]].set_visible(False)


def _draw_arousal(ax: Axes, physiology: Sequence[dict[str, Any]]) -> None:
    ax.axhspan(0, CALM_BELOW, color=COLOURS["calm"], alpha=0.12, lw=0)
    ax.axhspan(STRESSED_ABOVE, 1, color=COLOURS["stressed"], alpha=0.12, lw=0)
    ax.text(1.005, CALM_BELOW / 2, "calm", transform=ax.get_yaxis_transform(),
            va="center", color=COLOURS["calm"], fontsize=13)  # fmt: skip
    ax.text(1.005, (1 + STRESSED_ABOVE) / 2, "stressed", transform=ax.get_yaxis_transform(),
            va="center", color=COLOURS["stressed"], fontsize=13)  # fmt: skip
    ax.set_ylim(0, 1)
    ax.set_yticks([0, 0.5, 1])
    ax.set_ylabel("Arousal\n(0–1)")
    if not physiology:
        _no_data(ax, NO_PHYSIOLOGY)
        ax.set_yticks([0, 0.5, 1])
        return
    _draw_channel(ax, physiology, "arousal", "quality", COLOURS["arousal"], "arousal estimate")
    ax.set_ylim(0, 1)


def _draw_tempo(ax: Axes, segs: Sequence[series.Segment]) -> None:
    ax.set_ylabel("Music tempo\n(BPM)")
    if not segs:
        _no_data(ax, "No music decisions recorded")
        return
    edges = [s.start_s / 60 for s in segs] + [segs[-1].end_s / 60]
    tempos = [s.tempo_bpm for s in segs]
    ax.stairs(tempos, edges, color=COLOURS["tempo"], lw=2.8, baseline=None, zorder=3)
    ax.set_ylim(min(tempos) - 8, max(tempos) + 8)


def _draw_phases(ax: Axes, spans: Sequence[series.PhaseSpan], end_s: float) -> None:
    ax.set_yticks([])
    ax.set_ylim(0, 1)
    ax.spines[:].set_visible(False)
    ax.tick_params(bottom=False)
    for span in spans:
        width_min = (span.end_s - span.start_s) / 60
        colour = PHASE_COLOURS.get(span.phase, OTHER_PHASE_COLOUR)
        ax.broken_barh([(span.start_s / 60, width_min)], (0, 1), color=colour, ec="white", lw=1.5)
        if width_min >= 0.06 * end_s / 60:  # a label only where it fits
            ax.text(span.start_s / 60 + width_min / 2, 0.5, span.phase, ha="center",
                    va="center", fontsize=14)  # fmt: skip
    ax.set_ylabel("Phase", rotation=0, ha="right", va="center")


def _draw_events(
    ribbon: Axes,
    data_axes: Sequence[Axes],
    events: Sequence[dict[str, Any]],
    segs: Sequence[series.Segment],
) -> None:
    """Alerts (events of kind 'alert' or raised with a decision) in red, other events grey."""
    marks = [(e["t_s"], str(e["kind"])) for e in events]
    marks += [(s.start_s, "alert") for s in segs if s.alert]
    x_min, x_max = ribbon.get_xlim()
    last_label = -np.inf
    for t_s, kind in sorted(set(marks)):
        is_alert = kind in ("alert", "staff_alert")
        colour = COLOURS["alert"] if is_alert else COLOURS["event"]
        for ax in data_axes:
            ax.axvline(t_s / 60, color=colour, lw=2.2 if is_alert else 1.4,
                       ls="-" if is_alert else (0, (4, 3)), zorder=3)  # fmt: skip
        if (t_s / 60 - last_label) < MIN_LABEL_SPACING * (x_max - x_min):
            continue  # the line is drawn; its label would overwrite the previous one
        last_label = t_s / 60
        ribbon.annotate(
            kind, xy=(t_s / 60, 1.0), xycoords=("data", "axes fraction"),
            xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
            fontsize=13, color=colour, weight="bold" if is_alert else "normal",
        )  # fmt: skip
