"""One typed option per configuration key, and the checks that span several keys.

defaults.yaml holds every key's default; this module holds what each key may be. A test keeps
the two key sets identical.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from appliance.config.pins import AUDIO_HATS
from appliance.config.validators import (
    BleAddressList,
    Bool,
    FilePath,
    Float,
    I2cAddress,
    Int,
    OneOf,
    Text,
    TimeZone,
)
from appliance.config.yamlwrite import HexInt
from appliance.vocabulary import GOALS, PROMPT_VOICES
from drivers import ads1115, max30102

# The sensors' register settings are the drivers' datasheet tables: the configuration offers
# exactly what the drivers can set.
MAX30102_SAMPLE_RATES_SPS = tuple(max30102.SAMPLE_RATE_CODES)
MAX30102_PULSE_WIDTHS_US = tuple(max30102.PULSE_WIDTH_CODES)
MAX30102_ADC_RANGES_NA = tuple(max30102.ADC_RANGE_CODES)
# SpO2 mode (red and IR both pulse within one sample period): the highest sample rate the
# datasheet allows for each pulse width. 3200 sps exists only in single-LED HR mode.
MAX30102_SPO2_MAX_SAMPLE_RATE_SPS = max30102.SPO2_MAX_SAMPLE_RATE
ADS1115_FULL_SCALES_V = tuple(ads1115.FULL_SCALE_CODES)
ADS1115_DATA_RATES_SPS = tuple(ads1115.DATA_RATE_CODES)
AUDIO_SAMPLE_RATES_HZ = (16000, 22050, 32000, 44100, 48000)


@dataclass(frozen=True)
class Option:
    """A key's validator and how `config show` writes its value back as YAML."""

    validate: Callable[[Any], Any]
    to_yaml: Callable[[Any], Any] = lambda value: value


def _path_to_yaml(value: Any) -> str:
    return str(value)


def _tuple_to_yaml(value: Any) -> list[Any]:
    return list(value)


def _address_to_yaml(value: Any) -> HexInt:
    return HexInt(value)


_BOOL = Option(Bool())
_ADDRESS = Option(I2cAddress(), _address_to_yaml)
_ABSOLUTE_PATH = Option(FilePath(absolute=True), _path_to_yaml)

SCHEMA: Mapping[str, Option] = {
    "device.state_dir": _ABSOLUTE_PATH,
    "device.log_level": Option(OneOf(("debug", "info", "warning", "error"))),
    "device.timezone": Option(TimeZone()),
    "hardware.emulated": _BOOL,
    "hardware.i2c_bus": Option(Int(0, 31)),
    "hardware.ppg.enabled": _BOOL,
    "hardware.ppg.type": Option(OneOf(("max30102",))),
    "hardware.ppg.address": _ADDRESS,
    "hardware.ppg.sample_rate": Option(OneOf(MAX30102_SAMPLE_RATES_SPS)),
    "hardware.ppg.pulse_width_us": Option(OneOf(MAX30102_PULSE_WIDTHS_US)),
    "hardware.ppg.adc_range_na": Option(OneOf(MAX30102_ADC_RANGES_NA)),
    "hardware.ppg.led_current_ma": Option(Float(0.0, max30102.LED_MAX_MA)),  # 0x00..0xFF
    "hardware.ppg.swap_red_ir": _BOOL,
    "hardware.gsr.enabled": _BOOL,
    "hardware.gsr.type": Option(OneOf(("ads1115",))),
    "hardware.gsr.address": Option(
        I2cAddress(ads1115.ADDRESSES[0], ads1115.ADDRESSES[-1]), _address_to_yaml
    ),
    "hardware.gsr.channel": Option(Int(ads1115.CHANNELS[0], ads1115.CHANNELS[-1])),
    "hardware.gsr.full_scale_v": Option(OneOf(ADS1115_FULL_SCALES_V)),
    "hardware.gsr.data_rate": Option(OneOf(ADS1115_DATA_RATES_SPS)),
    "hardware.gsr.poll_hz": Option(Int(1, max(ADS1115_DATA_RATES_SPS))),
    "hardware.gsr.supply_v": Option(Float(*ads1115.SUPPLY_RANGE_V)),
    "hardware.gsr.supply_channel": Option(OneOf(("none", *ads1115.CHANNELS))),
    "hardware.gsr.grove_k_ohm": Option(Float(1.0, 10_000.0)),
    "hardware.ble_hr.enabled": _BOOL,
    "hardware.ble_hr.addresses": Option(BleAddressList(), _tuple_to_yaml),
    "hardware.ble_hr.adapter": Option(Text(r"hci[0-9]+", "an adapter name like hci0")),
    "hardware.gpio.pin_factory": Option(OneOf(("default", "lgpio", "rpigpio", "mock"))),
    "hardware.gpio.button_pin": Option(Int(0, 27)),  # BCM numbering, 40-pin header
    "hardware.gpio.led_pin": Option(Int(0, 27)),
    "hardware.gpio.second_button": Option(OneOf(("none", "distress", "volume"))),
    "hardware.gpio.second_button_pin": Option(Int(0, 27)),
    "audio.output": Option(OneOf(("pyaudio", "wav"))),
    "audio.device": Option(Text()),
    "audio.hat": Option(OneOf(AUDIO_HATS)),
    "audio.sample_rate": Option(OneOf(AUDIO_SAMPLE_RATES_HZ)),
    "audio.max_level_dbfs": Option(Float(-60.0, 0.0)),
    "audio.start_volume_db": Option(Float(-60.0, 0.0)),
    "audio.crossfade_s": Option(Float(0.0, 60.0)),
    "audio.buffer_s": Option(Float(0.1, 30.0)),
    "audio.max_spl_db": Option(Float(30.0, 85.0)),  # 85 dB(A): the workplace hearing limit
    "music.soundfont": _ABSOLUTE_PATH,
    "music.polyphony": Option(Int(8, 256)),
    # How far a personal track may be slowed or quickened to follow the arc (percent).
    "music.stretch_limit_pct": Option(Float(0.0, 25.0)),
    "session.goal": Option(OneOf(GOALS)),
    "session.length_min": Option(Float(2.0, 180.0)),
    "session.calibration_min": Option(Float(0.5, 30.0)),
    "session.segment_min": Option(Float(0.5, 30.0)),
    "session.window_s": Option(Int(10, 600)),
    "session.update_s": Option(Int(1, 60)),
    "safety.hr_margin_bpm": Option(Int(5, 100)),
    "safety.hr_margin_s": Option(Int(5, 600)),
    "safety.hr_max_bpm": Option(Int(60, 250)),
    "safety.hr_min_bpm": Option(Int(20, 120)),
    "store.retention_days": Option(Int(1, 36_500)),
    "prompts.enabled": _BOOL,
    "prompts.language": Option(OneOf(("auto", *PROMPT_VOICES))),
    "prompts.voice": Option(
        Text(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)?", "an espeak-ng voice like en, or auto")
    ),
    "prompts.recordings_dir": _ABSOLUTE_PATH,
    "prompts.words_per_min": Option(Int(80, 450)),  # espeak-ng's -s range
    "prompts.level_dbfs": Option(Float(-60.0, 0.0)),
    "prompts.duck_db": Option(Float(0.0, 40.0)),
    "listeners.dir": _ABSOLUTE_PATH,
}


__all__ = ["SCHEMA", "Option"]
