"""The playback pump: a thread that keeps the sound device's ring buffer full from the mixer.

The mixer's output is pulled in small blocks and written to the sink; PyAudioSink.write blocks
while its ring is full, so the pump runs at the device's pace and the ring stays buffer_s
ahead of the speaker. The session never has to write audio in time itself: a slow tick, a
render or a garbage collection only uses up ring, and the PortAudio callback only copies.
"""

from __future__ import annotations

import logging
import threading

from appliance.music.mixer import Mixer
from drivers.audio import AudioSink

log = logging.getLogger(__name__)

BLOCK_S = 0.05  # pulled per write: small, so volume and prompt changes are heard quickly


class Playback:
    def __init__(self, mixer: Mixer, sink: AudioSink, *, block_s: float = BLOCK_S) -> None:
        self.mixer = mixer
        self.sink = sink
        self.block_frames = max(1, round(block_s * sink.sample_rate))
        self.frames_written = 0
        self.error: BaseException | None = None  # why the pump stopped, if it failed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="playback", daemon=True)

    def start(self) -> Playback:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self.sink.write(self.mixer.pull(self.block_frames))
                self.frames_written += self.block_frames
        except Exception as exc:  # the session reads .error and decides; the thread must end
            self.error = exc
            log.error("audio playback stopped: %s", exc)

    def stop(self, fade_s: float = 0.0) -> None:
        """Fade out over fade_s (played in full), then stop pulling. Does not close the sink."""
        if fade_s > 0 and self.running:
            self.mixer.fade_out(fade_s)
            target = self.frames_written + round(fade_s * self.sink.sample_rate)
            while self.running and self.frames_written < target:
                self._stop.wait(0.05)
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def __enter__(self) -> Playback:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
