"""Composition root: the one place that turns a Config into wired parts.

The demo, the service and the tests all build through here, so they share one code path; only
the clock, the audio sink and (in emulated mode) the virtual listener behind the I2C emulators
differ.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.clock import Clock
from appliance.config import Config
from appliance.music.calibration import load_calibration, master_cap_dbfs
from appliance.music.engine import MusicEngine
from appliance.music.library import Library
from appliance.music.mixer import Mixer
from appliance.music.render import FluidSynthRenderer
from appliance.prerender import RenderAhead, opening_state
from appliance.records import SessionRecords
from appliance.sensors import Sensors
from appliance.sequencer.adaptive import AdaptiveSequencer
from appliance.sequencer.decision import Decision
from appliance.sequencer.factory import make_sequencer
from appliance.sequencer.personal import LibraryTracks
from appliance.session import RENDER_MARGIN_S, Session, SessionPlan, SessionStatus
from appliance.signals.stream import PhysiologyStream
from appliance.simulate.listener import VirtualListener
from appliance.store.db import Store
from drivers.ads1115 import Ads1115
from drivers.audio import AudioSink, PyAudioSink, WavSink
from drivers.grove_gsr import GroveGsrSource
from drivers.max30102 import Max30102
from drivers.sources import SensorNotFound

if TYPE_CHECKING:
    from appliance.listeners import ListenerProfile
    from drivers.ble_hr import BleHeartRateSource

log = logging.getLogger(__name__)

DB_NAME = "attune.db"


@dataclass
class Appliance:
    config: Config
    clock: Clock
    store: Store
    renderer: MusicEngine | RenderAhead
    listener: VirtualListener | None = None  # behind the emulators, in emulated mode
    # The seed the prepared opening was chosen with: the next session's sequencer reuses it,
    # so it picks the very opening that was rendered ahead.
    opening_seed: int | None = None

    def open_sensors(self, *, hr: BleHeartRateSource | None = None) -> Sensors:
        """The session's sensors; `hr`, a running wearable source, is lent (not closed)."""
        sensors = open_sensors(self.config, self.clock, self.listener)
        if hr is not None:
            sensors.hr, sensors.hr_owned = hr, False
        return sensors

    def open_wearable(self) -> BleHeartRateSource | None:
        """The configured BLE heart-rate strap's source, started; None when not configured."""
        return open_wearable(self.config, self.clock)

    def plan_for(self, profile: ListenerProfile | None = None) -> tuple[str, float]:
        """(goal, session seconds) for a session: the listener's, else the configured."""
        if profile is not None:
            return profile.goal, profile.for_sequencer().session_s(self.config.session.length_min)
        return self.config.session.goal, self.config.session.length_min * 60.0

    def make_sequencer(
        self,
        profile: ListenerProfile | None = None,
        listener_id: str | None = None,
        *,
        goal: str | None = None,
        seed: int | None = None,
    ) -> AdaptiveSequencer:
        """The rule-plus-bandit sequencer; it learns only for a known, consenting listener."""
        settings = asdict(profile.for_sequencer()) if profile is not None else {}
        if goal is not None:
            settings["goal"] = goal
        library = None
        if listener_id is not None:
            library = LibraryTracks(
                Library.in_state_dir(Path(self.config.device.state_dir)), listener_id
            )
        return make_sequencer(
            self.config,
            listener_profile=settings,
            store=self.store,
            listener_id=listener_id,
            library=library,
            seed=seed,
        )

    def prepare_opening(self, profile: ListenerProfile | None = None) -> bool:
        """Render the next session's first segment ahead (when the renderer can)."""
        if not isinstance(self.renderer, RenderAhead):
            return False
        keeps = profile is not None and profile.keeps_data
        self.opening_seed = secrets.randbits(32)
        sequencer = self.make_sequencer(
            profile, profile.id if keeps else None, seed=self.opening_seed
        )
        session_s = sequencer.session_s
        try:
            decision = sequencer.next(opening_state(session_s))
        except Exception:  # a sequencer that needs more than the opening state: no harm
            log.debug("no render-ahead: the sequencer's opening is unknown", exc_info=True)
            return False
        if decision.duration_s <= 0:
            return False
        self.renderer.prepare(decision.recipe, decision.duration_s + RENDER_MARGIN_S)
        return True

    def make_sink(self, wav_path: Path | None = None) -> AudioSink:
        audio = self.config.audio
        if audio.output == "wav" or wav_path is not None:
            path = wav_path or Path(self.config.device.state_dir) / "session.wav"
            return WavSink(path, sample_rate=audio.sample_rate)
        device = None if audio.device == "default" else audio.device
        return PyAudioSink(device=device, sample_rate=audio.sample_rate, buffer_s=audio.buffer_s)

    def new_session(
        self,
        *,
        sensors: Sensors,
        sink: AudioSink,
        listener_id: str | None = None,
        goal: str | None = None,
        on_status: Callable[[SessionStatus], None] | None = None,
        profile: ListenerProfile | None = None,
        keep_data: bool = True,
        on_decision: Callable[[Decision, float], None] | None = None,
        on_alert: Callable[[str], None] | None = None,
        on_breathing: Callable[[float | None], None] | None = None,
    ) -> Session:
        """A session ready to run. With `profile` its goal, length and constraint apply, and
        its consent decides what is kept; `keep_data=False` keeps only the anonymous outcome.
        """
        cfg = self.config
        if profile is not None:
            listener_id = profile.id
            keep_data = keep_data and profile.keeps_data
        if not keep_data:
            listener_id = None
        seed, self.opening_seed = self.opening_seed, None  # the prepared opening's, once
        sequencer = self.make_sequencer(profile, listener_id, goal=goal, seed=seed)
        plan = SessionPlan(
            listener_id, sequencer.profile.goal, sequencer.session_s, sequencer.calibration_s
        )
        mixer = Mixer(
            sample_rate=sink.sample_rate,
            crossfade_s=cfg.audio.crossfade_s,
            # The configured cap, lowered further by the calibrated SPL limit when measured.
            max_level_dbfs=master_cap_dbfs(
                cfg.audio.max_level_dbfs,
                cfg.audio.max_spl_db,
                load_calibration(Path(cfg.device.state_dir)),
            ),
            volume_db=cfg.audio.start_volume_db,
        )
        stream = PhysiologyStream(
            window_s=float(cfg.session.window_s),
            update_s=float(cfg.session.update_s),
            ppg_fs=float(cfg.hardware.ppg.sample_rate),
        )
        listener = self.listener

        def on_segment(decision: Decision, t: float) -> None:
            if listener is not None:
                listener.hear(decision.recipe, t)
            if on_decision is not None:
                on_decision(decision, t)

        if listener_id is not None:
            self.store.upsert_listener(listener_id)
        return Session(
            plan=plan,
            clock=self.clock,
            sensors=sensors,
            stream=stream,
            sequencer=sequencer,
            renderer=self.renderer,
            mixer=mixer,
            sink=sink,
            store=SessionRecords(self.store, keep_data=keep_data),
            on_segment=on_segment,
            on_status=on_status,
            on_alert=on_alert,
            on_breathing=on_breathing,
        )

    def close(self) -> None:
        self.renderer.close()
        self.store.close()


def build(
    config: Config,
    clock: Clock,
    *,
    listener: VirtualListener | None = None,
    render_ahead: bool = False,
) -> Appliance:
    """Wire the appliance. In emulated mode `listener` sits behind the sensor emulators.
    `render_ahead` (the service) lets the next session's opening be rendered while idle."""
    if config.hardware.emulated and listener is None:
        from appliance.simulate.listener import demo_listener

        listener = demo_listener()
    renderer = MusicEngine(
        FluidSynthRenderer(
            Path(config.music.soundfont),
            sample_rate=config.audio.sample_rate,
            polyphony=config.music.polyphony,
        ),
        Library.in_state_dir(Path(config.device.state_dir)),
    )
    store = Store(Path(config.device.state_dir) / DB_NAME)
    wrapped = RenderAhead(renderer) if render_ahead else renderer
    return Appliance(config, clock, store, wrapped, listener if config.hardware.emulated else None)


def open_wearable(config: Config, clock: Clock) -> BleHeartRateSource | None:
    """Start the BLE heart-rate source for the configured straps (it reconnects by itself)."""
    ble = config.hardware.ble_hr
    if not ble.enabled:
        return None
    from drivers.ble_hr import BleHeartRateSource

    source = BleHeartRateSource(ble.addresses, now=clock.now, adapter=ble.adapter)
    source.start_in_thread()
    return source


def open_bus(config: Config, clock: Clock, listener: VirtualListener | None):
    """The I2C bus: smbus2 on a device, the register-level emulators in emulated mode."""
    hw = config.hardware
    if hw.emulated:
        from drivers.emulated.ads1115 import Ads1115Emulator
        from drivers.emulated.max30102 import Max30102Emulator
        from drivers.emulated.smbus import EmulatedSMBus

        bus = EmulatedSMBus(hw.i2c_bus)
        if listener is not None:
            bus.attach(hw.ppg.address, Max30102Emulator(clock.now, listener))
            bus.attach(
                hw.gsr.address,
                Ads1115Emulator(
                    clock.now, listener, supply_v=hw.gsr.supply_v, k_ohm=hw.gsr.grove_k_ohm
                ),
            )
        return bus
    import smbus2

    return smbus2.SMBus(hw.i2c_bus)


def open_sensors(config: Config, clock: Clock, listener: VirtualListener | None) -> Sensors:
    hw = config.hardware
    sensors = Sensors()
    wanted = [n for n in ("ppg", "gsr") if getattr(hw, n).enabled]
    if not wanted:
        return sensors
    try:
        bus = open_bus(config, clock, listener)
    except OSError as exc:
        for name in wanted:
            sensors.problems[name] = (
                f"I2C bus {hw.i2c_bus} cannot be opened ({exc}); enable I2C with "
                "'sudo raspi-config nonint do_i2c 0'"
            )
        return sensors
    sensors.i2c = bus
    if hw.ppg.enabled:
        ppg = hw.ppg
        driver = Max30102(
            bus,
            now=clock.now,
            address=ppg.address,
            bus_number=hw.i2c_bus,
            sample_rate=ppg.sample_rate,
            pulse_width_us=ppg.pulse_width_us,
            adc_range_na=ppg.adc_range_na,
            led_current_ma=ppg.led_current_ma,
            swap_red_ir=ppg.swap_red_ir,
        )
        try:
            driver.open()
            sensors.ppg = driver
        except SensorNotFound as exc:
            sensors.problems["ppg"] = str(exc)
    if hw.gsr.enabled:
        gsr = hw.gsr
        adc = Ads1115(
            bus,
            address=gsr.address,
            bus_number=hw.i2c_bus,
            channel=gsr.channel,
            full_scale_v=gsr.full_scale_v,
            data_rate=gsr.data_rate,
        )
        try:
            adc.open()
            sensors.gsr = GroveGsrSource(
                adc,
                now=clock.now,
                supply_v=gsr.supply_v,
                k_ohm=gsr.grove_k_ohm,
                poll_hz=gsr.poll_hz,
            )
        except SensorNotFound as exc:
            sensors.problems["gsr"] = str(exc)
    for name, problem in sensors.problems.items():
        log.warning("%s unavailable: %s", name, problem)
    return sensors
