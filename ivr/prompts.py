"""Prompts callers hear, referenced by name in flows:

- system prompts (asterisk/prompts.yaml, spoken at render time): `fallback`, `goodbye`, ...;
- custom prompts stored in the database (uploaded audio or text spoken by the TTS engine);
- Asterisk's own sounds in the caller's language: `sound:digits/1`, `sound:vm-goodbye`, ...
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml
from sqlmodel import Session, select

from centralita.errors import FieldError
from centralita.settings import Settings
from ivr.models import Prompt

PROMPTS_FILE = Path(__file__).resolve().parent.parent / "asterisk" / "prompts.yaml"
PROMPT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SOUND_NAME = re.compile(r"^sound:[A-Za-z0-9_/-]{1,80}$")
MAX_UPLOAD = 5 * 1024 * 1024

# The TTS engine is pluggable: any callable (text, language) -> 8 kHz mono 16-bit WAV bytes.
TtsEngine = Callable[[str, str], bytes]


def system_prompt_names() -> set[str]:
    texts = yaml.safe_load(PROMPTS_FILE.read_text())
    return set(texts.get("es", {}))


class PromptResolver:
    """Which names exist, and the path Asterisk plays for each."""

    def __init__(self, custom: set[str], sound_exists: Callable[[str], bool] = lambda name: True):
        self.system = system_prompt_names()
        self.custom = custom
        self.sound_exists = sound_exists

    def exists(self, name: str) -> bool:
        if name.startswith("sound:"):
            return bool(SOUND_NAME.match(name)) and self.sound_exists(name[len("sound:") :])
        return name in self.system or name in self.custom

    def path(self, name: str) -> str:
        if name.startswith("sound:"):
            return name[len("sound:") :]
        if name in self.custom and name not in self.system:
            return f"${{PROMPTS}}/custom/{name}"
        return f"${{PROMPTS}}/{name}"


def resolver(session: Session, settings: Settings | None = None) -> PromptResolver:
    custom = set(session.exec(select(Prompt.name)).all())
    return PromptResolver(custom, _sound_checker(settings) if settings else (lambda name: True))


def _sound_checker(settings: Settings) -> Callable[[str], bool]:
    from centralita.telephony.provision import effective_root

    root = effective_root(settings) / "usr/share/asterisk/sounds"
    base = settings.language

    def exists(name: str) -> bool:
        if not root.exists():  # no provisioned root here (e.g. unit tests): cannot check, accept
            return True
        return any(root.glob(f"{base}*/{name}.*"))

    return exists


def espeak_tts(text: str, language: str) -> bytes:
    from centralita.telephony.render import tts_wav

    return tts_wav(text, language)


def convert_upload(data: bytes, filename: str) -> bytes:
    """Any audio sox/ffmpeg read → 8 kHz mono 16-bit WAV (what Asterisk plays without transcoding)."""
    if not data:
        raise FieldError("audio", "the file is empty")
    if len(data) > MAX_UPLOAD:
        raise FieldError("audio", f"larger than {MAX_UPLOAD // 1024 // 1024} MB")
    suffix = Path(filename).suffix.lower()[:8] or ".wav"
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / f"in{suffix}", Path(tmp) / "out.wav"
        src.write_bytes(data)
        tool = ["sox", str(src), "-r", "8000", "-c", "1", "-b", "16", str(out)]
        if shutil.which("ffmpeg"):  # reads mp3/ogg/m4a, which Debian's sox may not
            tool = [
                "ffmpeg",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(src),
                "-ar",
                "8000",
                "-ac",
                "1",
                "-sample_fmt",
                "s16",
                str(out),
            ]
        result = subprocess.run(tool, capture_output=True, timeout=60)
        if result.returncode != 0 or not out.exists():
            raise FieldError("audio", "not a sound file we can read")
        return out.read_bytes()


def save_prompt(
    session: Session,
    name: str,
    *,
    text: str = "",
    audio: bytes | None = None,
    filename: str = "",
    language: str = "es",
    tts: TtsEngine = espeak_tts,
) -> Prompt:
    """Create or replace a prompt (caller commits). Raises ValueError naming the field."""
    if not PROMPT_NAME.match(name or ""):
        raise FieldError("name", "lower-case letters, digits, '-' and '_' (max 64)")
    if name in system_prompt_names():
        raise FieldError("name", f"'{name}' is a system prompt")
    if audio is None and not text.strip():
        raise FieldError("text", "give a text to speak or upload audio")
    if len(text) > 2000:
        raise FieldError("text", "at most 2000 characters")
    wav = convert_upload(audio, filename) if audio is not None else tts(text.strip(), language)
    prompt = session.exec(select(Prompt).where(Prompt.name == name)).first() or Prompt(name=name, audio=b"")
    prompt.source = "upload" if audio is not None else "tts"
    prompt.text, prompt.language, prompt.audio = text.strip(), language, wav
    prompt.sha1 = hashlib.sha1(wav).hexdigest()
    session.add(prompt)
    return prompt


def save_audited(session: Session, *, user, client: str = "", **kwargs) -> Prompt:
    """`save_prompt` plus its audit row, as the API and the settings page both store a prompt (the caller
    commits, then applies the dialplan so the file is in Asterisk's prompt directory)."""
    from api.audit.service import record as audit

    prompt = save_prompt(session, **kwargs)
    detail = {"source": prompt.source}
    audit(session, "ivr.prompt.save", user=user, target=f"prompt:{prompt.name}", detail=detail, client=client)
    return prompt


def prompt_files(session: Session) -> dict[str, bytes]:
    """Custom prompts as files under the rendered config's prompts/custom/."""
    return {f"prompts/custom/{p.name}.wav": p.audio for p in session.exec(select(Prompt))}
