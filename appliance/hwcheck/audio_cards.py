"""Which sound card the speaker is on, and how to make `audio.device: default` play there.

ALSA lists its cards in /proc/asound/cards; each is one of the Pi's headphone jack (Pi 4 only:
a Pi 5 and a Zero 2 W have none), HDMI (`vc4-hdmi`), a USB DAC or an I2S DAC on the header.
PortAudio opens ALSA's `default` PCM, or an enumerated `hw:` device. HDMI's `hw:` device takes
only IEC958 subframes, so PortAudio fails there with "Sample format not supported"; its
`sysdefault:CARD=vc4hdmi0` PCM converts. Every card is therefore reached the same way: point
ALSA's default at the card's `sysdefault` in /etc/asound.conf and keep `audio.device: default`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from appliance.hwcheck.probes import FAIL, OK, CheckResult

CARDS = Path("/proc/asound/cards")
ASOUND_CONF = Path("/etc/asound.conf")
MODEL = Path("/proc/device-tree/model")
NAME = "Audio device"
KINDS = ("I2S DAC", "USB DAC", "headphone jack", "HDMI")  # the speaker is likeliest on the first
_CARD_LINE = re.compile(r"^\s*(\d+)\s+\[(\S+)\s*\]:\s+(\S+)\s+-\s+(.*)$")
_DEFAULT_CARD = re.compile(r"(?:CARD=|defaults\.pcm\.card\s+|card\s+)\"?(\w+)")


@dataclass(frozen=True)
class Card:
    index: int
    id: str  # CARD= name: Headphones, vc4hdmi0, Device, sndrpihifiberry…
    driver: str
    name: str

    @property
    def kind(self) -> str:
        if self.driver.startswith("bcm2835_headpho") or self.id == "Headphones":
            return "headphone jack"
        if self.driver.startswith("vc4-hdmi") or self.id.startswith("vc4hdmi"):
            return "HDMI"
        if self.driver == "USB-Audio":
            return "USB DAC"
        return "I2S DAC"

    @property
    def pcm(self) -> str:
        return f"sysdefault:CARD={self.id}"


def parse_cards(text: str) -> list[Card]:
    """The cards of /proc/asound/cards (each takes two lines; the second is a long name)."""
    cards = []
    for line in text.splitlines():
        m = _CARD_LINE.match(line)
        if m:
            cards.append(Card(int(m.group(1)), m.group(2), m.group(3), m.group(4).strip()))
    return cards


def default_card(cards: list[Card], asound_conf: str | None) -> Card | None:
    """The card ALSA's `default` plays on: /etc/asound.conf's, else card 0."""
    wanted = None
    if asound_conf:
        for line in asound_conf.splitlines():
            if line.strip().startswith("#"):
                continue
            m = _DEFAULT_CARD.search(line)
            if m:
                wanted = m.group(1)
                break
    for card in cards:
        if wanted is None and card.index == 0:
            return card
        if wanted is not None and (card.id == wanted or str(card.index) == wanted):
            return card
    return None


def asound_conf_for(card: Card) -> str:
    return (
        f'pcm.!default {{ type plug; slave.pcm "{card.pcm}" }}  '
        f"ctl.!default {{ type hw; card {card.id} }}"
    )


def check_cards(
    cards_text: str | None,
    *,
    device: str,
    audio_hat: str,
    asound_conf: str | None = None,
    model: str = "",
) -> CheckResult:
    """Which card the speaker should be on, and whether `audio.device` reaches it."""
    cards = parse_cards(cards_text or "")
    if not cards:
        jackless = "Pi 5" in model or "Zero 2" in model
        note = "this Pi has no headphone jack: " if jackless else ""
        return CheckResult(
            NAME,
            FAIL,
            "ALSA lists no sound card (/proc/asound/cards)",
            f"{note}use HDMI (a screen or an HDMI audio extractor), a USB DAC or an I2S DAC; "
            "dtparam=audio=on in /boot/firmware/config.txt enables the jack and HDMI audio",
        )
    listing = ", ".join(f"{c.index} {c.id} ({c.kind})" for c in cards)
    i2s = [c for c in cards if c.kind == "I2S DAC"]
    if audio_hat not in ("none", "audremap-12-13", "audremap-18-19") and not i2s:
        return CheckResult(
            NAME,
            FAIL,
            f"audio.hat is {audio_hat} but no I2S card is loaded; cards: {listing}",
            "add the board's dtoverlay (e.g. dtoverlay=hifiberry-dacplus) to "
            "/boot/firmware/config.txt and reboot; `aplay -l` must list it",
        )
    if i2s and audio_hat == "none":
        return CheckResult(
            NAME,
            FAIL,
            f"an I2S card ({i2s[0].id}) is loaded but audio.hat is none; cards: {listing}",
            "set audio.hat (e.g. i2s) so the config check keeps the button and LED off its "
            "pins (GPIO18-21)",
        )
    target = min(cards, key=lambda c: (KINDS.index(c.kind), c.index))
    if device.strip().lower().startswith("hw:"):
        return CheckResult(
            NAME,
            FAIL,
            f"audio.device {device} is a raw hw: device; cards: {listing}",
            "set audio.device: default and route it in /etc/asound.conf: "
            + asound_conf_for(target)
            + " (HDMI's hw: device takes only IEC958 data: 'Sample format not supported')",
        )
    if device != "default":
        return CheckResult(
            NAME, OK, f"audio.device {device!r} (a PortAudio name); cards: {listing}"
        )
    current = default_card(cards, asound_conf)
    if current is None or current.index != target.index:
        plays = f"card {current.index} {current.id} ({current.kind})" if current else "no card"
        return CheckResult(
            NAME,
            FAIL,
            f"default plays on {plays}, the speaker is likely on the {target.kind} "
            f"{target.id}; cards: {listing}",
            f"put in /etc/asound.conf: {asound_conf_for(target)}, keep audio.device: default",
        )
    return CheckResult(
        NAME, OK, f"default plays on {target.id} ({target.kind}) via {target.pcm}; cards: {listing}"
    )


def read_and_check(device: str, audio_hat: str, root: Path = Path("/")) -> CheckResult:
    """check_cards on this machine's files (under `root`, for tests)."""

    def text(path: Path) -> str | None:
        try:
            return (root / path.relative_to("/")).read_text(errors="replace")
        except OSError:
            return None

    return check_cards(
        text(CARDS),
        device=device,
        audio_hat=audio_hat,
        asound_conf=text(ASOUND_CONF),
        model=(text(MODEL) or "").rstrip("\x00"),
    )
