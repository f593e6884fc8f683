"""The one-button, one-LED user interface, over gpiozero devices built by drivers.gpio."""

from appliance.ui.gestures import ButtonGestures, DistressButton, GestureRecognizer
from appliance.ui.led import PATTERNS, LedPatterns

__all__ = ["PATTERNS", "ButtonGestures", "DistressButton", "GestureRecognizer", "LedPatterns"]
