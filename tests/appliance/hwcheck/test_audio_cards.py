"""`attune hw check`'s Audio device row on the /proc/asound/cards of each kind of Pi."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.hwcheck.audio_cards import check_cards, parse_cards, read_and_check
from appliance.hwcheck.probes import FAIL, OK

HEADPHONES = """\
 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones
                      bcm2835 Headphones
"""
HDMI = """\
 1 [vc4hdmi0       ]: vc4-hdmi - vc4-hdmi-0
                      vc4-hdmi-0
 2 [vc4hdmi1       ]: vc4-hdmi - vc4-hdmi-1
                      vc4-hdmi-1
"""
PI5_HDMI = HDMI.replace(" 1 [", " 0 [").replace(" 2 [", " 1 [")
USB = """\
 3 [Device         ]: USB-Audio - USB Audio Device
                      C-Media Electronics Inc. USB Audio Device at usb-xhci-hcd.0-1, full speed
"""
I2S = """\
 0 [sndrpihifiberry]: RPi-simple - snd_rpi_hifiberry_dac
                      snd_rpi_hifiberry_dac
"""
PI4 = HEADPHONES + HDMI


def test_cards_are_parsed_and_told_apart() -> None:
    kinds = [(c.index, c.id, c.kind) for c in parse_cards(PI4 + USB)]
    assert kinds == [
        (0, "Headphones", "headphone jack"),
        (1, "vc4hdmi0", "HDMI"),
        (2, "vc4hdmi1", "HDMI"),
        (3, "Device", "USB DAC"),
    ]
    assert parse_cards(I2S)[0].kind == "I2S DAC"


def test_pi4_headphone_jack_is_card_0_and_default_plays_there() -> None:
    row = check_cards(PI4, device="default", audio_hat="none")
    assert row.status == OK and "Headphones (headphone jack)" in row.detail


def test_pi5_with_hdmi_only_plays_through_sysdefault_not_hw() -> None:
    row = check_cards(PI5_HDMI, device="default", audio_hat="none", model="Raspberry Pi 5 Model B")
    assert row.status == OK and "via sysdefault:CARD=vc4hdmi0" in row.detail
    hw = check_cards(PI5_HDMI, device="hw:0,0", audio_hat="none")
    assert hw.status == FAIL
    assert 'slave.pcm "sysdefault:CARD=vc4hdmi0"' in hw.remedy
    assert "Sample format not supported" in hw.remedy and "audio.device: default" in hw.remedy


def test_a_usb_dac_not_yet_routed_gets_the_asound_conf_lines() -> None:
    row = check_cards(PI4 + USB, device="default", audio_hat="none")
    assert row.status == FAIL and "the speaker is likely on the USB DAC Device" in row.detail
    assert 'pcm.!default { type plug; slave.pcm "sysdefault:CARD=Device" }' in row.remedy
    conf = 'pcm.!default { type plug; slave.pcm "sysdefault:CARD=Device" }\n'
    routed = check_cards(PI4 + USB, device="default", audio_hat="none", asound_conf=conf)
    assert routed.status == OK and "default plays on Device (USB DAC)" in routed.detail


def test_zero_2w_with_an_i2s_dac_needs_audio_hat_set() -> None:
    row = check_cards(I2S, device="default", audio_hat="none", model="Raspberry Pi Zero 2 W")
    assert row.status == FAIL and "set audio.hat" in row.remedy
    assert check_cards(I2S, device="default", audio_hat="i2s").status == OK


def test_audio_hat_set_but_no_overlay_loaded() -> None:
    row = check_cards(PI5_HDMI, device="default", audio_hat="rpi-dac")
    assert row.status == FAIL and "dtoverlay" in row.remedy


@pytest.mark.parametrize("model", ["Raspberry Pi 5 Model B Rev 1.0", "Raspberry Pi Zero 2 W"])
def test_no_card_at_all_says_there_is_no_jack_on_this_pi(model: str) -> None:
    row = check_cards("--- no soundcards ---\n", device="default", audio_hat="none", model=model)
    assert row.status == FAIL and "this Pi has no headphone jack" in row.remedy


def test_read_from_a_system_root(tmp_path: Path) -> None:
    (tmp_path / "proc" / "asound").mkdir(parents=True)
    (tmp_path / "proc" / "asound" / "cards").write_text(PI4)
    assert read_and_check("default", "none", tmp_path).status == OK
    assert read_and_check("default", "none", tmp_path / "absent").status == FAIL
