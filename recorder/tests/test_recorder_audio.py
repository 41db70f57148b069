"""Reading recordings: headers, the encodings Asterisk writes, legs and resampling."""

from __future__ import annotations

import subprocess
from array import array

import pytest

from recorder import audio, testaudio


def test_split_stereo_keeps_left_caller_right_agent():
    frames = array("h", [1, -1, 2, -2, 3, -3]).tobytes()
    left, right = audio.split_stereo(frames)
    assert array("h", left).tolist() == [1, 2, 3] and array("h", right).tolist() == [-1, -2, -3]


def test_load_legs_resamples_8k_to_the_model_rate(call_wav):
    path, duration, _ = call_wav
    legs = audio.load_legs(path, rate=16000)
    assert legs.source_rate == 8000 and legs.rate == 16000
    assert len(legs.caller) == len(legs.agent) == pytest.approx(duration * 16000 * 2, abs=64)
    assert legs.duration == pytest.approx(duration, abs=0.01)


def test_alaw_wav_as_some_asterisk_formats_write_it(call_wav, tmp_path):
    # `wave` reads PCM only; G.711 WAVs are probed with ffprobe instead and decoded the same way.
    alaw = tmp_path / "alaw.wav"
    subprocess.run(["sox", str(call_wav[0]), "-e", "a-law", str(alaw)], check=True)
    info = audio.probe(alaw)
    assert (info.channels, info.rate) == (2, 8000) and info.duration == pytest.approx(call_wav[1], abs=0.01)
    assert len(audio.load_legs(alaw, rate=16000).caller) > 0


def test_truncated_wav_is_named(tmp_path):
    bad = tmp_path / "cut.wav"
    testaudio.write_wav(bad, bytes(8000), 2)
    bad.write_bytes(bad.read_bytes()[:30])  # header cut in the middle
    with pytest.raises(audio.AudioError, match="cut.wav: unreadable WAV"):
        audio.probe(bad)
