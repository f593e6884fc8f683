"""What goes into `Attune/reports/<listener>/` on a stick: a small seam of report writers.

A writer is `writer(store, listener_id, folder) -> list[Path]`: it writes the listener's files
into `folder` (a private staging folder on the device) and returns them; the sync then copies
what it wrote onto the stick. Writers only ever see a listener who consents.

The device's writers are the listener's one-page trend report (PNG and PDF) and the session
exports `attune sessions export --listener ID` writes (outcomes CSV and FHIR bundle, each
consented session's physiology and decisions CSV and its report PNG), all with times in the
device's zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from appliance.store.db import Store

ReportWriter = Callable[[Store, str, Path], list[Path]]


def report_writers(tz: tzinfo, timezone_name: str) -> list[ReportWriter]:
    """The trend report and the session exports, times shown in `tz` (named `timezone_name`)."""

    def trend_report(store: Store, listener_id: str, folder: Path) -> list[Path]:
        from appliance.report.trend_page import write_listener_report

        if not any(row.status != "running" for row in store.sessions(listener_id)):
            return []  # nothing to draw a trend from yet
        return write_listener_report(store, listener_id, folder, tz=tz)

    def session_exports(store: Store, listener_id: str, folder: Path) -> list[Path]:
        from appliance.report.export import NothingToExport, export_sessions

        try:
            return export_sessions(
                store,
                folder,
                listener_id=listener_id,
                tz=tz,
                timezone_name=timezone_name,
                reports=True,
            )
        except NothingToExport:
            return []

    return [trend_report, session_exports]
