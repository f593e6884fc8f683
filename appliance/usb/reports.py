"""What goes into `Attune/reports/<listener>/` on a stick: a small seam of report writers.

A writer is `writer(store, listener_id, folder) -> list[Path]`: it writes the listener's files
into `folder` (a private staging folder on the device) and returns them; the sync then copies
what it wrote onto the stick. Writers only ever see a listener who consents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from appliance.fsutil import ensure_private_dir
from appliance.store.db import Store

ReportWriter = Callable[[Store, str, Path], list[Path]]


def session_exports(store: Store, listener_id: str, folder: Path) -> list[Path]:
    """Each finished, consented session of the listener: its CSV files and report PNG, in a
    folder per session (the CSV names carry no session id)."""
    from appliance.report.session_png import render_session_png
    from appliance.store.export import export_session_csv

    paths: list[Path] = []
    for row in store.sessions(listener_id):
        if row.status == "running" or not row.consent:
            continue
        here = ensure_private_dir(Path(folder) / f"session-{row.id}")
        paths += export_session_csv(store, row.id, here)
        paths.append(render_session_png(store, row.id, here / f"session-{row.id}.png"))
    return paths


DEFAULT_WRITERS: Sequence[ReportWriter] = (session_exports,)
