"""The offline steps for one recording, in order, as the pipeline will run them."""

from __future__ import annotations

import hashlib

import pytest

from recorder import service


def test_process_recording_transcribes_analyses_and_archives(transcriber, call_wav, tmp_path):
    path, duration, _ = call_wav
    doc = service.process_recording(path, tmp_path / "archive" / "call.opus", transcriber)
    words = doc["transcript"]["words"]
    assert {w["speaker"] for w in words} == {"caller", "agent"}
    assert doc["transcript"]["duration"] == pytest.approx(duration, abs=0.01)
    assert (
        doc["analysis"]["talk_time"]["caller"]["seconds"] > 0 and doc["analysis"]["talk_time"]["agent"]["seconds"] > 0
    )
    arch = doc["archive"]
    assert hashlib.sha256((tmp_path / "archive" / "call.opus").read_bytes()).hexdigest() == arch["sha256"]
    assert arch["ratio"] >= 14 and min(leg["correlation"] for leg in arch["legs"].values()) >= 0.95
    assert path.exists()  # the WAV stays until the pipeline has stored and verified the archive


def test_legs_at_the_wrong_rate_are_refused(transcriber):
    from recorder.audio import Legs

    with pytest.raises(ValueError, match="legs are at 8000 Hz; the model needs 16000 Hz"):
        transcriber.transcribe_legs(Legs(b"", b"", 8000, 8000, 0.0))
