"""Known speech as telephone audio, for tests and `centralita bench transcribe`.

espeak-ng speaks the text, sox turns it into 8 kHz 16-bit mono (what a trunk carries); a call is
the turns of both speakers laid on the left (caller) and right (agent) channels of one stereo WAV,
each leg silent while the other speaks, as MixMonitor's interleaved recording of a call looks.
"""

from __future__ import annotations

import subprocess
import wave
from array import array
from pathlib import Path

RATE = 8000


def speak(text: str, voice: str = "ko", speed: int = 140) -> array:
    """`text` spoken by espeak-ng as 8 kHz signed 16-bit samples."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text], capture_output=True, check=True, timeout=60
    ).stdout
    raw = subprocess.run(
        ["sox", "-t", "wav", "-", "-t", "raw", "-r", str(RATE), "-e", "signed", "-b", "16", "-c", "1", "-"],
        input=wav,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    samples = array("h")
    samples.frombytes(raw)
    return samples


def write_call(
    path: str | Path, turns: list[tuple[str, str]], voice: str = "ko", gap: float = 0.6
) -> tuple[float, list[tuple[str, str, float, float]]]:
    """Write a stereo call WAV from [(speaker, text)], speaker "caller" (left) or "agent" (right).
    Returns its duration in seconds and [(speaker, text, start, end)] of each turn."""
    legs = {"caller": array("h"), "agent": array("h")}
    pause = array("h", bytes(int(gap * RATE) * 2))
    spans = []
    for speaker, text in turns:
        speech = speak(text, voice)
        other = "agent" if speaker == "caller" else "caller"
        start = len(legs[speaker]) / RATE
        spans.append((speaker, text, start, start + len(speech) / RATE))
        legs[speaker].extend(speech + pause)
        legs[other].extend(array("h", bytes(len(speech) * 2)) + pause)
    frames = array("h", bytes(len(legs["caller"]) * 4))
    frames[0::2], frames[1::2] = legs["caller"], legs["agent"]
    write_wav(path, frames.tobytes(), channels=2)
    return len(legs["caller"]) / RATE, spans


def write_wav(path: str | Path, pcm: bytes, channels: int, rate: int = RATE) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
