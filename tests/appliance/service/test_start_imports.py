"""What the service process loads: nothing heavy before READY, and no SciPy at all, not in the
warm-up and not in a whole session, so a Pi Zero 2 W's 512 MB keeps its margin (importing any
part of scipy.signal or scipy.stats alone adds about 75 MB of resident memory; the session's
filters, peaks, resampling and tail probability are numpy, `appliance/numeric/`). matplotlib
loads only to draw a report. Checked in fresh interpreters, where nothing else has imported them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.appliance.service.service_harness import process_config

PROJECT = Path(__file__).resolve().parents[3]
HEAVY = ("matplotlib", "scipy", "ai_edge_litert")

PROBE = """
import json, sys
from pathlib import Path
from appliance import cli
from appliance.config import load_config
from appliance.service.run import make_service
from appliance.service.sdnotify import Notifier

cli._parser(cli._commands())  # every sub-command's module, as `attune run` loads them
config = load_config(Path(sys.argv[1]))
service = make_service(config, notifier=Notifier({{}}), power_off=lambda: True)
heavy = {heavy}
before = [name for name in heavy if name in sys.modules]
service.appliance.warm_up()
after = [name for name in heavy if name in sys.modules]
service.close()
service.appliance.close()
print(json.dumps({{"before": before, "after": after}}))
"""

# A whole session, as the button starts it: spoken prompts (espeak-ng's 22.05 kHz resampled to
# the output's 16 kHz), calibration, the filters and peak detectors of both sensors, the
# sequencer's learning at the end and the summary.
SESSION_PROBE = """
import json, sys
from pathlib import Path
from tests.appliance.service import service_harness

service_harness.CONFIG = service_harness.CONFIG.replace(
    "prompts:\\n  enabled: false", "prompts:\\n  enabled: true"
)
h = service_harness.Harness(Path(sys.argv[1]))
h.service.start()
h.service.appliance.warm_up()
h.run(1.1)
h.tap()
h.until(lambda: h.service.running is not None, "a session")
h.until(lambda: h.service.running is None, "the session to end")
h.run(1.1)
h.close()
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy}))))
"""


def _probe(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script.format(heavy=json.dumps(HEAVY)), *args],
        cwd=PROJECT,
        env={"PYTHONPATH": str(PROJECT), "PATH": "/usr/local/bin:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_start_path_and_warm_up_import_no_heavy_library(tmp_path: Path) -> None:
    config = tmp_path / "attune.yaml"
    config.write_text(process_config(tmp_path / "state"))
    seen = json.loads(_probe(PROBE, str(config)))
    assert seen == {"before": [], "after": []}


def test_a_whole_session_runs_without_scipy(tmp_path: Path) -> None:
    loaded = json.loads(_probe(SESSION_PROBE, str(tmp_path)))
    assert loaded == []
    # Not vacuous: the session ran to its end and was summarised.
    with sqlite3.connect(tmp_path / "state" / "attune.db") as db:
        rows = db.execute("SELECT status, summary FROM sessions").fetchall()
    assert len(rows) == 1
    status, summary = rows[0]
    assert status == "completed", status
    assert json.loads(summary)["arousal_entry"] is not None
