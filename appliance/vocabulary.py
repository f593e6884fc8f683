"""Words every floor of the appliance shares, defined once at the bottom so no floor has to
reach up for them: the session goals and the signal-quality line.
"""

from __future__ import annotations

# The goals a session can aim for; the sequencer's arcs give each its shape.
GOALS = ("relax", "sleep", "wake", "recovery", "focus")

# Signal quality (0..1) at or above which a window is trusted: it may set the baseline, move
# the model's course, earn a reward, trip the safety guard and be drawn in reports.
USABLE_QUALITY = 0.5
