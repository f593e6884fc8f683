"""The service's start path leaves the heavy libraries for later: matplotlib only to draw a
report, SciPy's signal and statistics parts and the model runtime for the warm-up after READY.
Checked in a fresh interpreter, where nothing else has imported them yet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.appliance.service.service_harness import process_config

PROJECT = Path(__file__).resolve().parents[3]
HEAVY = ("matplotlib", "scipy.signal", "scipy.stats", "scipy.special", "ai_edge_litert")

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


def test_start_path_imports_no_heavy_library_until_the_warm_up(tmp_path: Path) -> None:
    config = tmp_path / "attune.yaml"
    config.write_text(process_config(tmp_path / "state"))
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=json.dumps(HEAVY)), str(config)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == []
    # The warm-up loads what a session needs (matplotlib stays out: only reports draw).
    assert "scipy.signal" in seen["after"] and "scipy.stats" in seen["after"]
    assert "matplotlib" not in seen["after"]
