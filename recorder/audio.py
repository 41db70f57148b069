"""Reading a call recording into its two legs, checked and resampled for the recognizer.

A recording is either one stereo WAV (left = caller, right = agent: what MixMonitor's interleaved
`D` option, or r()+t() mixed with that layout, writes) or two mono WAVs (caller, agent). The header
is checked with the standard `wave` module so bad input fails with a message naming the problem;
decoding and resampling go through ffmpeg, which reads every WAV encoding Asterisk writes
(PCM, mu-law, A-law) and resamples with a proper low-pass filter.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

LEGS = ("caller", "agent")  # channel order of the stereo file: left, right


class AudioError(ValueError):
    """A recording cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class WavInfo:
    path: Path
    channels: int
    rate: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.rate if self.rate else 0.0


def probe(path: str | Path) -> WavInfo:
    """Header of a WAV file, or AudioError saying why it is not one."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    with path.open("rb") as fh:
        head = fh.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise AudioError(f"{path}: not a WAV file (no RIFF/WAVE header)")
    try:
        with wave.open(str(path), "rb") as wav:
            return WavInfo(path, wav.getnchannels(), wav.getframerate(), wav.getnframes())
    except (wave.Error, EOFError, RuntimeError) as exc:  # RuntimeError: truncated chunk
        # e.g. mu-law/A-law WAVs: `wave` reads only PCM headers; ffprobe tells us the rest.
        return _ffprobe(path, str(exc) or "truncated or malformed header")


def _ffprobe(path: Path, why: str) -> WavInfo:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=channels,sample_rate,duration_ts,codec_name",
            "-of",
            "default=nw=1",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    fields = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    try:
        rate = int(fields["sample_rate"])
        return WavInfo(path, int(fields["channels"]), rate, int(fields.get("duration_ts") or 0))
    except (KeyError, ValueError):
        raise AudioError(f"{path}: unreadable WAV ({why})") from None


def require_tools() -> None:
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            raise AudioError(f"{tool} is not installed (scripts/setup.sh installs Debian's ffmpeg)")


def decode_pcm(path: Path, rate: int, channels: int, timeout: float = 600.0) -> bytes:
    """The file as signed 16-bit little-endian PCM at `rate`, interleaved when channels == 2."""
    proc = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(path),
            "-ac",
            str(channels),
            "-ar",
            str(rate),
            "-f",
            "s16le",
            "-acodec",
            "pcm_s16le",
            "-",
        ],
        capture_output=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise AudioError(f"{path}: ffmpeg cannot decode it: {proc.stderr.decode(errors='replace').strip()[:200]}")
    return proc.stdout


def split_stereo(pcm: bytes) -> tuple[bytes, bytes]:
    """Interleaved 16-bit stereo PCM -> (left, right) mono PCM; array slicing keeps this C-speed."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) // 4 * 4])
    return samples[0::2].tobytes(), samples[1::2].tobytes()


@dataclass(frozen=True)
class Legs:
    """The two legs of one call as mono 16-bit PCM at `rate`, plus where they came from."""

    caller: bytes
    agent: bytes
    rate: int
    source_rate: int
    duration: float

    def items(self):
        return (("caller", self.caller), ("agent", self.agent))


def load_legs(caller: str | Path, agent: str | Path | None = None, rate: int = 16000) -> Legs:
    """Both legs at `rate`: `caller` is a stereo WAV (left caller, right agent) when `agent` is None,
    else two mono WAVs. Wrong channel counts are refused rather than guessed."""
    require_tools()
    first = probe(caller)
    if agent is None:
        if first.channels != 2:
            raise AudioError(
                f"{first.path}: {first.channels} channel(s); a single recording must be stereo "
                "(left caller, right agent), or give the agent leg as a second mono file"
            )
        left, right = split_stereo(decode_pcm(first.path, rate, 2))
        return Legs(left, right, rate, first.rate, first.duration)
    second = probe(agent)
    for info in (first, second):
        if info.channels != 1:
            raise AudioError(f"{info.path}: {info.channels} channels; separate legs must be mono WAVs")
    a, b = decode_pcm(first.path, rate, 1), decode_pcm(second.path, rate, 1)
    # Legs from r()/t() can differ by a few frames; the call lasts as long as the longer one.
    return Legs(a, b, rate, first.rate, max(first.duration, second.duration))
