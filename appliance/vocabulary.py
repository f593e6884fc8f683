"""Words every floor of the appliance shares, defined once at the bottom so no floor has to
reach up for them: the session goals, the signal-quality line, the default soundfont and
what a listener id may be.
"""

from __future__ import annotations

import re
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

# A listener is known on the device only by a pseudonymous id. It names a folder of their
# music and a row of the store, so both check it here, with fullmatch: `$` would let a
# trailing newline through into a directory name.
LISTENER_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def check_listener_id(listener_id: object) -> str:
    """The id itself, or ValueError saying what a listener id may be."""
    if not isinstance(listener_id, str) or not LISTENER_ID_PATTERN.fullmatch(listener_id):
        raise ValueError(
            f"listener id {listener_id!r} is not a pseudonymous id: use 1-64 letters, digits, "
            "'.', '_' or '-', starting with a letter or digit (e.g. 'L-0042'), never a name"
        )
    return listener_id


# The languages the spoken prompts are written in (appliance/service/prompt_texts.py), each
# with its espeak-ng voice: the config check offers exactly these.
PROMPT_VOICES = {"en": "en", "de": "de", "fr": "fr-fr", "es": "es", "nl": "nl"}
