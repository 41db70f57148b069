"""Render Asterisk's config from asterisk/templates/ with settings and the database."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel import Session, select

from centralita.capabilities import contributions
from centralita.settings import REPO_ROOT, Settings, SettingsError
from centralita.telephony import channel_vars
from centralita.telephony.pbx import CONFIG_FILES, TEMPLATE_DIR, Paths, atomic_write_dir

PROMPTS_FILE = REPO_ROOT / "asterisk" / "prompts.yaml"


def _context(settings: Settings, paths: Paths, session: Session | None) -> dict:
    from centralita.telephony.models import Trunk

    trunks = []
    if settings.trunk_host or settings.trunk_match:
        trunks.append(
            _trunk(
                "trunk",
                settings.trunk_host,
                settings.trunk_username,
                settings.trunk_password,
                settings.trunk_match,
                settings.trunk_register,
            )
        )
    if session is not None:
        for t in session.exec(select(Trunk).order_by(Trunk.name)):
            trunks.append(_trunk(t.name, t.host, t.username, t.password, t.match, t.outbound_registration))
    # AMI accepts only the address our services connect from.
    ami_permit = "127.0.0.1/255.255.255.255" if settings.bind_host.startswith("127.") else "0.0.0.0/0.0.0.0"
    ctx = {
        "s": settings,
        "paths": paths,
        "trunks": trunks,
        "ami_permit": ami_permit,
        "linear_moh": bool(_gsm_hold_music(paths)) and shutil.which("sox") is not None,
        **channel_vars.template_context(),
    }
    # Capability data (queues' endpoints and queues, the IVR's DIDs and flows, ...): telephony
    # knows no capability's models, each one renders its own part.
    for _name, module in contributions("render"):
        ctx.update(module.context(settings, paths, session))
    return ctx


def _trunk(name: str, host: str, username: str, password: str, match: str, register: bool) -> dict:
    return {
        "name": name,
        "host": host,
        "username": username,
        "password": password,
        "register": register,
        "match": [a.strip() for a in match.split(",") if a.strip()],
    }


def render_files(settings: Settings, paths: Paths, session: Session | None) -> dict[str, bytes]:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR), undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    ctx = _context(settings, paths, session)
    return {name: env.get_template(f"{name}.j2").render(**ctx).encode() for name in CONFIG_FILES}


def render(settings: Settings, paths: Paths, session: Session | None, out_dir: Path | None = None) -> Path:
    """Write every config file (all or none) and the spoken system prompts; returns the directory."""
    for name in ("ami_secret", "ari_secret"):
        if not getattr(settings, name):
            raise SettingsError(f"CENTRALITA_{name.upper()} is not set (run `centralita init` or set it in .env)")
    target = out_dir or paths.host(paths.etc)
    files = render_files(settings, paths, session)
    files.update(speak_prompts(settings.language, target / "prompts"))
    files.update(apology_hold_music(files["prompts/fallback.wav"], paths))
    files.update(linear_hold_music(paths, target / "prompts"))
    for _name, module in contributions("render"):  # capability files (e.g. the IVR's custom prompts)
        files.update(module.files(settings, paths, session))
    atomic_write_dir(files, target)
    return target


def apology_hold_music(apology: bytes, paths: Paths) -> dict[str, bytes]:
    """The `centralita-apology` music-on-hold class: the apology first, then music (loop_last).

    A step that fails on its way to a queue sets this class and joins the queue at once, so the
    caller's place in line starts at the failure instead of after the apology's seconds of speech."""
    out = {"prompts/moh-apology/00-apology.wav": apology}
    music_dir = paths.host("/usr/share/asterisk/moh")
    tracks = sorted(p for p in music_dir.glob("*") if p.suffix in (".gsm", ".wav")) if music_dir.is_dir() else []
    if tracks:
        out[f"prompts/moh-apology/10-music{tracks[0].suffix}"] = tracks[0].read_bytes()
    return out


def _gsm_hold_music(paths: Paths) -> list[Path]:
    music_dir = paths.host("/usr/share/asterisk/moh")
    return sorted(music_dir.glob("*.gsm")) if music_dir.is_dir() else []


def linear_hold_music(paths: Paths, existing_dir: Path) -> dict[str, bytes]:
    """The default hold music as 8 kHz 16-bit WAV (`prompts/moh-default`, musiconhold.conf's [default]).

    Why not Debian's GSM files as they are: Asterisk 22 hands a bridged channel's hold music to
    MixMonitor only when its frames are signed linear (ast_write hooks those before translating). GSM
    music played to a caller on hold never reached the recording (its agent leg was silent through
    every hold); the same music as WAV does. Converted by sox once, then reused."""
    tracks = _gsm_hold_music(paths)
    out: dict[str, bytes] = {}
    if not tracks or not shutil.which("sox"):
        return out  # musiconhold.conf then plays the GSM directory (recordings miss hold music)
    for track in tracks:
        name = f"prompts/moh-default/{track.stem}.wav"
        existing = existing_dir / "moh-default" / f"{track.stem}.wav"
        if existing.is_file() and existing.stat().st_size > 44:
            out[name] = existing.read_bytes()
            continue
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "music.wav"
            subprocess.run(
                ["sox", str(track), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(wav)],
                check=True,
                capture_output=True,
                timeout=120,
            )
            out[name] = wav.read_bytes()
    return out


def speak_prompts(language: str, existing_dir: Path) -> dict[str, bytes]:
    """System prompts as 8 kHz mono WAV from espeak-ng (reused while their text is unchanged)."""
    texts = yaml.safe_load(PROMPTS_FILE.read_text())
    chosen = texts.get(language) or texts["es"]
    out: dict[str, bytes] = {}
    for key, text in chosen.items():
        digest = hashlib.sha1(f"{language}:{text}".encode()).hexdigest()
        wav, stamp = existing_dir / f"{key}.wav", existing_dir / f"{key}.sha1"
        if wav.exists() and stamp.exists() and stamp.read_text() == digest:
            out[f"prompts/{key}.wav"], out[f"prompts/{key}.sha1"] = wav.read_bytes(), digest.encode()
            continue
        out[f"prompts/{key}.wav"] = tts_wav(text, language)
        out[f"prompts/{key}.sha1"] = digest.encode()
    return out


def tts_wav(text: str, language: str) -> bytes:
    """espeak-ng speech, converted by sox to what Asterisk plays without transcoding (8 kHz, 16-bit, mono)."""
    for tool in ("espeak-ng", "sox"):
        if not shutil.which(tool):
            raise SettingsError(f"{tool} is not installed (apt-get install espeak-ng sox)")
    voice = {"es": "es-419", "en": "en-us"}.get(language, language)
    with tempfile.TemporaryDirectory() as tmp:
        raw, wav = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True, capture_output=True, timeout=30
        )
        subprocess.run(
            ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(wav)],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return wav.read_bytes()
