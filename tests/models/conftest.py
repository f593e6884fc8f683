"""The replay tests feed the same synthetic pulse and skin conductance as the signal tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "appliance" / "signals"))
