"""Which header pins the sound card and the buses take, so the button and LED stay off them.

An I2S sound card needs GPIO18-21 for itself (bit clock, frame clock, data in, data out), and
several boards take a few more pins for mute, reset, buttons or a display. Sources: the
Raspberry Pi audio boards' hardware notes (GPIO22 DigiAMP+ mute; 23/24/27 Codec Zero), the
kernel overlays (hifiberry-amp100: mute GPIO4, reset GPIO17), HiFiBerry's MiniAmp notes (mute
GPIO16, shutdown GPIO26) and Pimoroni's Pirate Audio pinout (buttons 5/6/16/24, amplifier
enable 25, display on SPI0 with backlight 13).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

I2S_PINS: Mapping[int, str] = MappingProxyType(
    {18: "I2S bit clock", 19: "I2S frame clock", 20: "I2S data in", 21: "I2S data out"}
)
I2C1_PINS: Mapping[int, str] = MappingProxyType({2: "I2C bus 1 SDA", 3: "I2C bus 1 SCL"})
# Every HAT reads its ID EEPROM on these at boot; nothing else may drive them.
HAT_EEPROM_PINS: Mapping[int, str] = MappingProxyType(
    {0: "HAT EEPROM ID_SD", 1: "HAT EEPROM ID_SC"}
)


def _board(**extra: str) -> Mapping[int, str]:
    pins = dict(I2S_PINS)
    pins.update({int(k.removeprefix("gpio")): v for k, v in extra.items()})
    return MappingProxyType(pins)


# audio.hat → the pins that board claims (besides I2C, which it shares with the sensors).
AUDIO_HAT_PINS: Mapping[str, Mapping[int, str]] = MappingProxyType(
    {
        "none": MappingProxyType({}),  # headphone jack, HDMI or a USB sound card
        "i2s": _board(),  # any other I2S DAC: HiFiBerry DAC+/DAC+ Light, Pimoroni pHAT DAC…
        "hifiberry-amp100": _board(gpio4="HiFiBerry Amp100 mute", gpio17="HiFiBerry Amp100 reset"),
        "hifiberry-miniamp": _board(
            gpio16="HiFiBerry MiniAmp mute", gpio26="HiFiBerry MiniAmp shutdown"
        ),
        "rpi-dac": _board(),  # Raspberry Pi DAC+ / DAC Pro (formerly IQaudio)
        "rpi-digiamp": _board(gpio22="DigiAMP+ mute"),
        "rpi-codec-zero": _board(
            gpio23="Codec Zero LED", gpio24="Codec Zero LED", gpio27="Codec Zero button"
        ),
        "pirate-audio": _board(
            gpio5="Pirate Audio button A",
            gpio6="Pirate Audio button B",
            gpio7="Pirate Audio display (SPI CE1)",
            gpio9="Pirate Audio display data/command",
            gpio10="Pirate Audio display (SPI MOSI)",
            gpio11="Pirate Audio display (SPI clock)",
            gpio13="Pirate Audio display backlight",
            gpio16="Pirate Audio button X",
            gpio24="Pirate Audio button Y",
            gpio25="Pirate Audio amplifier enable",
        ),
        # No sound card: the Pi's PWM audio moved to the header (dtoverlay=audremap).
        "audremap-12-13": MappingProxyType({12: "PWM audio right", 13: "PWM audio left"}),
        "audremap-18-19": MappingProxyType({18: "PWM audio right", 19: "PWM audio left"}),
    }
)
AUDIO_HATS = tuple(AUDIO_HAT_PINS)
# BCM numbers on the 40-pin header, plain GPIOs first (then SPI, UART and PCM/I2S pins).
HEADER_GPIOS = (4, 5, 6, 12, 13, 16, 17, 22, 23, 24, 25, 26, 27, 7, 8, 9, 10, 11, 14, 15, 18, 19)
HEADER_GPIOS += (20, 21, 0, 1, 2, 3)


def claimed_pins(audio_hat: str, i2c_bus: int) -> dict[int, str]:
    """{gpio: what uses it} for the configured sound card and buses."""
    claimed = dict(HAT_EEPROM_PINS)
    if i2c_bus == 1:
        claimed.update(I2C1_PINS)
    claimed.update(AUDIO_HAT_PINS[audio_hat])
    return claimed


def free_pins(audio_hat: str, i2c_bus: int, taken: set[int]) -> list[int]:
    """Header GPIOs no part of this configuration uses, for the suggestion in an error."""
    claimed = claimed_pins(audio_hat, i2c_bus)
    return [p for p in HEADER_GPIOS if p not in claimed and p not in taken]
