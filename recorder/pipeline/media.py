"""One ffmpeg run per call for the pipeline: decode the WAV once and write both what the
recognizer needs (both legs resampled to the model's rate, on stdout) and the Opus archive copy.
Separate runs (decode for Vosk, then encode) read and parse the WAV twice and pay ffmpeg's start-up
twice; this is the main cut in the pipeline's overhead over raw decoding."""

from __future__ import annotations

import subprocess
from pathlib import Path

from recorder import archive, audio


def decode_and_encode(
    wav: Path, rate: int, opus_dest: Path, kbps: int, info: audio.WavInfo | None = None
) -> audio.Legs:
    """Both legs at `rate` (mono 16-bit PCM each), and `opus_dest` written (via a .part rename)."""
    audio.require_tools()
    info = info or audio.probe(wav)
    if info.channels != 2:
        raise audio.AudioError(
            f"{info.path}: {info.channels} channel(s); a recording must be stereo (left caller, right agent)"
        )
    opus_dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = opus_dest.with_name(opus_dest.name + ".part")
    proc = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(wav),
            "-map",
            "0:a:0",
            *archive.opus_args(kbps),
            "-f",
            "ogg",
            str(tmp),
            "-map",
            "0:a:0",
            "-ac",
            "2",
            "-ar",
            str(rate),
            "-f",
            "s16le",
            "-acodec",
            "pcm_s16le",
            "-",
        ],
        capture_output=True,
        timeout=3600,
    )
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise archive.ArchiveError(f"{wav}: ffmpeg failed: {proc.stderr.decode(errors='replace').strip()[:300]}")
    tmp.replace(opus_dest)
    left, right = audio.split_stereo(proc.stdout)
    return audio.Legs(left, right, rate, info.rate, info.duration)
