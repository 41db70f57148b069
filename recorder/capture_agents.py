"""The agent leg, completed from each agent's own recording.

MixMonitor's D file of the caller's channel has the caller on the left (what the channel reads, always
complete) and what the caller hears on the right. On Asterisk 22 that right side lost whole stretches
once the caller had been held in a bridge with GSM hold music (hold, the hold of an attended transfer):
the caller still heard the agent, the file got silence. Hold music is linear now (render.py), which
reaches MixMonitor; as a safety net [centralita-record-agent] also records each
agent's own voice (their channel's read side, which always reaches MixMonitor) beside the call's file,
named `<call>.agent-<offset ms>-<agent channel uniqueid>.sln` (8 kHz 16-bit mono), the offset counted
from the start of the call's recording. Here every 20 ms of the right leg that is silent while an agent
file has sound at that moment takes that agent's audio; everything the right leg did carry (the agent
as the caller heard them, prompts, hold music while queueing) stays as it was.
"""

from __future__ import annotations

import os
import re
import wave
from array import array
from pathlib import Path

RATE = 8000
BLOCK = RATE // 50  # 20 ms
SILENT_PEAK = 200  # a block whose samples all stay within ±200 (of 32767) carries nothing audible
_NAME = re.compile(r"\.agent-(\d+)-")


def agent_files(raw: Path) -> list[Path]:
    return sorted(raw.parent.glob(f"{raw.stem}.agent-*.sln"))


def offset_samples(path: Path) -> int:
    m = _NAME.search(path.name)
    return int(m.group(1)) * RATE // 1000 if m else 0


def _silent(samples: array, start: int) -> bool:
    block = samples[start : start + BLOCK]
    return not block or (max(block) < SILENT_PEAK and min(block) > -SILENT_PEAK)


def merge(raw: Path, wav: Path, pauses: list | None = None) -> int:
    """Fill the silent stretches of `wav`'s agent (right) leg from the agent files of `raw`; returns
    how many 20 ms blocks were filled. The WAV is rewritten under a temporary name and renamed.
    `pauses` ([{"start": s, "end": s}], the recording's PCI pauses): never filled, they stay silent
    (the pause muted the call's MixMonitor, not the agents' own)."""
    # a pause still open at hangup lasts to the end
    muted = [
        (int(p["start"] * RATE), int((p["end"] if p.get("end") is not None else 1e9) * RATE)) for p in pauses or []
    ]
    files = agent_files(raw)
    if not files:
        return 0
    with wave.open(str(wav), "rb") as src:
        frames = array("h", src.readframes(src.getnframes()))
    right = frames[1::2]
    agents = []
    for path in files:
        data = path.read_bytes()
        samples = array("h", data[: len(data) - len(data) % 2])
        agents.append((offset_samples(path), samples))
    filled = 0
    for start in range(0, len(right), BLOCK):
        if not _silent(right, start) or any(a - BLOCK < start < b for a, b in muted):
            continue
        for offset, samples in agents:
            at = start - offset
            if at < 0 or at >= len(samples) or _silent(samples, at):
                continue
            chunk = samples[at : at + min(BLOCK, len(right) - start)]
            right[start : start + len(chunk)] = chunk
            filled += 1
            break
    if filled:
        frames[1::2] = right
        tmp = wav.with_suffix(".wav.part")
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(frames.tobytes())
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, wav)
    return filled


def cleanup(raw: Path) -> None:
    for path in agent_files(raw):
        path.unlink(missing_ok=True)
