"""What goes into `Attune/reports/<listener>/` on a stick: a small seam of report writers.

A writer is `writer(store, listener_id, folder) -> list[Path]`: it writes the listener's files
into `folder` (a private staging folder on the device) and returns them; the sync then copies
what it wrote onto the stick. Writers only ever see a listener who consents.

The device's writers are the listener's one-page trend report (PNG and PDF) and the session
exports `attune sessions export --listener ID` writes (outcomes CSV and FHIR bundle, each
consented session's physiology and decisions CSV and its report PNG), all with times in the
device's zone. A finished session's report PNG never changes and takes seconds to draw on a
Pi, so it is drawn only when the stick does not hold it yet (`on_stick`); everything else is
written afresh at each plug and copied only where it differs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from appliance.store.db import Store

ReportWriter = Callable[[Store, str, Path], list[Path]]
OnStick = Callable[[str, str], bool]  # (listener id, file name): already on the stick?
SESSION_CSV = re.compile(r"session-(\d+)-physiology\.csv")


def report_writers(
    tz: tzinfo, timezone_name: str, on_stick: OnStick = lambda listener_id, name: False
) -> list[ReportWriter]:
    """The trend report and the session exports, times shown in `tz` (named `timezone_name`)."""

    def trend_report(store: Store, listener_id: str, folder: Path) -> list[Path]:
        from appliance.report.trend_page import write_listener_report

        if not any(row.status != "running" for row in store.sessions(listener_id)):
            return []  # nothing to draw a trend from yet
        return write_listener_report(store, listener_id, folder, tz=tz)

    def session_exports(store: Store, listener_id: str, folder: Path) -> list[Path]:
        from appliance.report.export import REPORT_FILE, NothingToExport, export_sessions
        from appliance.report.session_png import render_session_png

        try:
            written = export_sessions(
                store, folder, listener_id=listener_id, tz=tz, timezone_name=timezone_name
            )
        except NothingToExport:
            return []
        # The sessions whose details were exported (kept with consent) get their report PNG.
        for session_id in sorted(
            int(m.group(1)) for p in written if (m := SESSION_CSV.fullmatch(p.name))
        ):
            name = REPORT_FILE.format(session_id=session_id)
            if not on_stick(listener_id, name):
                written.append(render_session_png(store, session_id, folder / name, tz))
        return written

    return [trend_report, session_exports]
