"""Words every floor of the appliance shares, defined once at the bottom so no floor has to
reach up for them: the session goals, the signal-quality line and the default soundfont.
"""

from __future__ import annotations

from pathlib import Path

# The goals a session can aim for; the sequencer's arcs give each its shape.
GOALS = ("relax", "sleep", "wake", "recovery", "focus")

# Signal quality (0..1) at or above which a window is trusted: it may set the baseline, move
# the model's course, earn a reward, trip the safety guard and be drawn in reports.
USABLE_QUALITY = 0.5

# The General MIDI soundfont generated music is rendered with, and the Debian package that
# installs it: the config check and the renderer both name it when it is missing.
SOUNDFONT_PACKAGE = "fluidr3mono-gm-soundfont"
DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf3/FluidR3Mono_GM.sf3")
