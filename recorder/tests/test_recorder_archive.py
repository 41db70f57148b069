"""The Opus archive copy: both legs survive (measured), sha256, verification catches damage."""

from __future__ import annotations

import hashlib

import pytest

from recorder import archive, audio, testaudio


def test_both_legs_survive_and_file_is_small(call_wav, tmp_path):
    path, duration, _ = call_wav
    copy = archive.encode(path, tmp_path / "call.opus", kbps=16)
    assert copy.sha256 == hashlib.sha256(copy.path.read_bytes()).hexdigest()
    assert copy.ratio >= 14  # the target against the stereo WAV
    assert copy.duration == pytest.approx(duration, abs=0.01)
    assert not list(tmp_path.glob("*.part"))
    legs = archive.verify(path, copy.path, copy.sha256)
    for leg in ("caller", "agent"):
        assert legs[leg]["correlation"] >= 0.95, legs
        assert 0.6 <= legs[leg]["rms_archive"] / legs[leg]["rms_source"] <= 1.4, legs
        assert legs[leg]["correlation_other_leg"] < 0.3, legs  # the other leg did not leak in


def test_coupled_low_bitrate_stereo_loses_a_leg_and_verify_says_so(call_wav, tmp_path):
    """Why the archive uses uncoupled streams: plain stereo Opus at 16 kbit/s codes the legs as one."""
    path, _, _ = call_wav
    coupled = archive.encode(path, tmp_path / "coupled.opus", kbps=16, coupled=True)
    report = archive.leg_report(path, coupled.path)
    assert report["caller"]["rms_archive"] == pytest.approx(report["agent"]["rms_archive"], rel=0.02)
    with pytest.raises(archive.ArchiveError, match="does not match its source|legs mixed"):
        archive.verify(path, coupled.path)


def test_a_silent_leg_stays_silent(tmp_path):
    wav = tmp_path / "one-sided.wav"
    testaudio.write_call(wav, [("caller", "여보세요 네 예약")])  # the agent leg is silent throughout
    copy = archive.encode(wav, tmp_path / "one-sided.opus")
    legs = archive.verify(wav, copy.path, copy.sha256)
    assert legs["agent"]["rms_source"] == 0 and legs["agent"]["rms_archive"] < 30
    assert archive.legs_problems({"caller": {**legs["caller"]}, "agent": {**legs["agent"], "rms_archive": 900.0}}) == [
        "agent leg was silent but the archive has sound in it (legs mixed)"
    ]


def test_verify_catches_a_changed_missing_or_foreign_archive(call_wav, tmp_path):
    path, _, _ = call_wav
    copy = archive.encode(path, tmp_path / "call.opus")
    with pytest.raises(archive.ArchiveError, match="archive copy missing"):
        archive.verify(path, tmp_path / "nope.opus")
    damaged = tmp_path / "damaged.opus"
    data = bytearray(copy.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(archive.ArchiveError, match="sha256 mismatch"):
        archive.verify(path, damaged, copy.sha256)
    other = tmp_path / "other.wav"
    testaudio.write_call(other, [("agent", "오늘 병원"), ("caller", "네")])
    with pytest.raises(archive.ArchiveError, match="does not match|lost its level|legs mixed"):
        archive.verify(other, copy.path)


def test_bad_input_is_refused_and_nothing_is_left(tmp_path):
    mono = tmp_path / "mono.wav"
    testaudio.write_wav(mono, bytes(16000), 1)
    with pytest.raises(audio.AudioError, match="1 channel"):
        archive.encode(mono, tmp_path / "out.opus")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
    with pytest.raises(audio.AudioError, match="broken.wav"):
        archive.encode(broken, tmp_path / "out.opus")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.wav", "mono.wav"]
