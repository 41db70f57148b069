"""The archive copy of a recording: Opus with both legs kept, its sha256, and a verification.

At low bitrates libopus codes a coupled stereo pair as mid/side and may spend almost nothing on
the side signal, so a leg that is silent while the other talks comes back as a copy of the other
(or the quiet leg vanishes). Legs must stay apart for 15 years, so each leg is its own uncoupled
mono Opus stream (`-mapping_family 255`: N streams, 0 coupled) in one Ogg file. `verify` decodes
the archive and compares each leg's 20 ms energy envelope with the source's: both legs must keep
their energy and their shape, and a leg that was silent must stay silent (no leak from the other).
"""

from __future__ import annotations

import hashlib
import math
import operator
import resource
import subprocess
from array import array
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from recorder import audio

_audioop: ModuleType | None
try:  # C speed for frame energies; removed in Python 3.13, where `envelope` falls back to Python
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop as _audioop
except ImportError:  # pragma: no cover - Python >= 3.13
    _audioop = None

RATE = 8000  # legs are compared at telephone rate (all the source has) unless given decoded


class ArchiveError(RuntimeError):
    """Encoding failed or the archive does not match its source; the message says how."""


class LegsError(ArchiveError):
    """The archive's legs do not match the source's. Encoding is deterministic, so a retry would fail
    the same way: the pipeline fails the recording at once instead of retrying it."""


# A leg whose 20 ms envelope varies less than this (standard deviation / mean) is steady: a tone, hold
# music, a fax. Its envelope is nearly flat, so correlating it with the archive's only compares noise
# (0.03 for a perfect copy of a tone); for such a leg the archive must follow the level instead.
STEADY_VARIATION = 0.15
STEADY_MAX_ERROR = 0.25  # relative RMS difference of the envelopes a steady leg may have after Opus


@dataclass(frozen=True)
class Archived:
    path: Path
    sha256: str
    bytes: int
    source_bytes: int
    duration: float
    encode_cpu_seconds: float  # ffmpeg's CPU time (user + system)

    @property
    def ratio(self) -> float:
        return self.source_bytes / self.bytes if self.bytes else 0.0


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def opus_args(kbps: int, coupled: bool = False) -> list[str]:
    """ffmpeg output options for a two-leg archive at `kbps` in total."""
    mapping = [] if coupled else ["-mapping_family", "255"]
    # Complexity 2 of 10: measured (55 s call, clean and with line noise) 1.5x less CPU than 5 and
    # 2.5x less than 10, sizes within 1.5 %, both legs verify the same (envelope correlation 0.994);
    # 0 would save a little more but loses correlation (0.991) and grows 5 %. The encode is most of the
    # pipeline's cost over bare recognition. 60 ms frames halve the per-frame overhead of 20 ms ones.
    return [
        "-c:a",
        "libopus",
        *mapping,
        "-b:a",
        f"{kbps}k",
        "-application",
        "voip",
        "-vbr",
        "on",
        "-frame_duration",
        "60",
        "-compression_level",
        "2",
    ]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def encode(wav: str | Path, dest: str | Path, kbps: int = 16, coupled: bool = False) -> Archived:
    """Encode a stereo call WAV to Ogg/Opus at `dest` (written to a temporary name, then renamed,
    so a crash never leaves a file that looks complete)."""
    audio.require_tools()
    info = audio.probe(wav)
    if info.channels != 2:
        raise audio.AudioError(f"{info.path}: {info.channels} channel(s); the archive keeps two legs (stereo)")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    before = _children_cpu()
    proc = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(info.path),
            *opus_args(kbps, coupled),
            "-f",
            "ogg",
            str(tmp),
        ],
        capture_output=True,
        timeout=3600,
    )
    cpu = _children_cpu() - before
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ArchiveError(f"{info.path}: Opus encoding failed: {proc.stderr.decode(errors='replace').strip()[:300]}")
    tmp.replace(dest)
    return Archived(dest, sha256(dest), dest.stat().st_size, info.path.stat().st_size, info.duration, cpu)


def envelope(pcm: bytes, rate: int = RATE) -> list[float]:
    """RMS of each 20 ms frame of mono 16-bit PCM. With the standard library's C `audioop` (up to
    Python 3.12) over every sample: it was a tenth of the pipeline's overhead in pure Python."""
    if _audioop is not None:
        size = rate // 50 * 2
        return [float(_audioop.rms(pcm[i : i + size], 2)) for i in range(0, len(pcm) // 2 * 2 - size + 1, size)]
    # Pure Python fallback: every 2nd sample of 16 kHz audio estimates a frame's energy as well.
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    step = max(1, rate // RATE)
    if step > 1:
        samples = samples[::step]
    frame = rate // step // 50
    out = []
    for i in range(0, len(samples) - frame + 1, frame):
        chunk = samples[i : i + frame]
        out.append(math.sqrt(sum(map(operator.mul, chunk, chunk)) / frame))
    return out


def correlation(a: list[float], b: list[float]) -> float:
    n = min(len(a), len(b))
    if n < 2:
        return 0.0
    a, b = a[:n], b[:n]
    ma, mb = sum(a) / n, sum(b) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    return cov / math.sqrt(va * vb) if va and vb else 0.0


def variation(env: list[float]) -> float:
    """Coefficient of variation of an envelope: 0 for a constant level."""
    if not env:
        return 0.0
    mean = sum(env) / len(env)
    return math.sqrt(sum((x - mean) ** 2 for x in env) / len(env)) / mean if mean else 0.0


def envelope_error(src: list[float], dec: list[float]) -> float:
    """RMS difference of two envelopes relative to the source's mean level (0: identical)."""
    n = min(len(src), len(dec))
    if not n:
        return 1.0
    mean = sum(src[:n]) / n
    diff = math.sqrt(sum((a - b) ** 2 for a, b in zip(src[:n], dec[:n])) / n)
    return diff / mean if mean else 1.0


def leg_report(source_wav: str | Path, archive: str | Path, source: audio.Legs | None = None) -> dict:
    """Per leg: source and decoded RMS, envelope correlation, and the correlation with the *other*
    source leg (high means the legs were mixed). `source`: the legs already decoded (the pipeline
    has them from transcription), which saves decoding the WAV again."""
    rate = source.rate if source else RATE
    src = (source.caller, source.agent) if source else audio.split_stereo(audio.decode_pcm(Path(source_wav), rate, 2))
    dec = audio.split_stereo(audio.decode_pcm(Path(archive), RATE, 2))  # 8 kHz: all the source had
    env_src = [envelope(p, rate) for p in src]
    env_dec = [envelope(p, RATE) for p in dec]
    report = {}
    for i, leg in enumerate(audio.LEGS):
        rms_src = math.sqrt(sum(x * x for x in env_src[i]) / max(1, len(env_src[i])))
        rms_dec = math.sqrt(sum(x * x for x in env_dec[i]) / max(1, len(env_dec[i])))
        report[leg] = {
            "rms_source": round(rms_src, 1),
            "rms_archive": round(rms_dec, 1),
            "correlation": round(correlation(env_src[i], env_dec[i]), 3),
            "correlation_other_leg": round(correlation(env_src[1 - i], env_dec[i]), 3),
            "variation": round(variation(env_src[i]), 3),
            "envelope_error": round(envelope_error(env_src[i], env_dec[i]), 3),
        }
    return report


def legs_problems(report: dict, silent_rms: float = 30.0) -> list[str]:
    """What is wrong with the legs in a `leg_report`, as sentences; empty when both survived."""
    problems = []
    for leg, r in report.items():
        if r["rms_source"] <= silent_rms:
            if r["rms_archive"] > max(silent_rms, 0.1 * max(x["rms_source"] for x in report.values())):
                problems.append(f"{leg} leg was silent but the archive has sound in it (legs mixed)")
            continue
        if not 0.5 <= r["rms_archive"] / r["rms_source"] <= 2.0:
            problems.append(f"{leg} leg lost its level: RMS {r['rms_source']} -> {r['rms_archive']}")
        if r.get("variation", 1.0) < STEADY_VARIATION:
            if r["envelope_error"] > STEADY_MAX_ERROR:
                problems.append(f"{leg} leg (steady) does not follow its source (envelope error {r['envelope_error']})")
        elif r["correlation"] < 0.9:
            problems.append(f"{leg} leg does not match its source (envelope correlation {r['correlation']})")
        elif r["correlation_other_leg"] > r["correlation"]:
            problems.append(f"{leg} leg resembles the other leg more than its own (legs mixed)")
    return problems


def verify(
    source_wav: str | Path, archive: str | Path, expected_sha256: str | None = None, source: audio.Legs | None = None
) -> dict:
    """Raise ArchiveError unless the archive is intact (checksum) and both legs survived."""
    archive = Path(archive)
    if not archive.is_file():
        raise ArchiveError(f"{archive}: archive copy missing")
    if expected_sha256 and sha256(archive) != expected_sha256:
        raise ArchiveError(f"{archive}: sha256 mismatch (file changed or corrupt)")
    try:
        report = leg_report(source_wav, archive, source)
    except audio.AudioError as exc:
        raise ArchiveError(str(exc)) from None
    problems = legs_problems(report)
    if problems:
        raise LegsError(f"{archive}: " + "; ".join(problems))
    return report
