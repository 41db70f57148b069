"""Saying things to a caller from a FastAGI script: prompt names → files Asterisk plays, numbers and
dates with Asterisk's own sounds in the caller's language, free text through the TTS engine (cached)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, date, datetime

from centralita.settings import Settings
from centralita.telephony.fastagi import AgiCall
from ivr.lookup import Say

_DIRS: dict[str, tuple] = {}


def _prompt_dirs(settings: Settings):
    """(as Asterisk sees it, as we see it); computed once per data dir, not on every call."""
    key = str(settings.data_dir)
    if key not in _DIRS:
        from centralita.telephony.pbx import instance_paths

        paths = instance_paths(settings)
        _DIRS[key] = (paths.prompts, paths.host(paths.prompts))
    return _DIRS[key]


class Speaker:
    def __init__(self, call: AgiCall, settings: Settings):
        self.call, self.settings = call, settings
        self.inside, self.host = _prompt_dirs(settings)

    def path(self, name: str) -> str:
        if name.startswith("sound:"):
            return name[len("sound:") :]
        if (self.host / "custom" / f"{name}.wav").exists():
            return f"{self.inside}/custom/{name}"
        return f"{self.inside}/{name}"

    async def tts(self, text: str) -> str:
        """Speak `text` once into prompts/tts/<sha1>.wav; later calls reuse the file."""
        from centralita.telephony.render import tts_wav

        key = hashlib.sha1(f"{self.settings.language}:{text}".encode()).hexdigest()[:20]
        target = self.host / "tts" / f"{key}.wav"
        if not target.exists():
            wav = await asyncio.wait_for(asyncio.to_thread(tts_wav, text, self.settings.language), 10)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(wav)
            partial.replace(target)  # never play a half-written file
        return f"{self.inside}/tts/{key}"

    async def say(self, item: Say) -> None:
        call = self.call
        if item.prompt:
            await call.stream_file(self.path(item.prompt))
        value = item.value
        if item.kind == "amount":
            amount = round(_number(value), 2)
            whole, cents = int(amount), int(round((amount - int(amount)) * 100))
            await call.command(f'SAY NUMBER {whole} ""')
            await call.stream_file(await self.tts(item.currency or "dólares"))
            if cents:
                await call.stream_file(await self.tts("con"))
                await call.command(f'SAY NUMBER {cents} ""')
                await call.stream_file(await self.tts("centavos"))
        elif item.kind == "number":
            await call.command(f'SAY NUMBER {int(_number(value))} ""')
        elif item.kind == "digits":
            digits = "".join(c for c in str(value) if c.isdigit())
            if digits:
                await call.command(f'SAY DIGITS {digits} ""')
        elif item.kind == "date":
            day = date.fromisoformat(str(value)[:10])
            epoch = int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())
            await call.command(f'SAY DATETIME {epoch} "" "dBY" UTC')
        else:
            await call.stream_file(await self.tts(str(value)[:300]))


def _number(value: object) -> float:
    """A lookup's field is any JSON value: numbers and numeric strings are read, anything else fails
    as `float()` itself would (TypeError), so the caller hears the same fallback as before."""
    if isinstance(value, int | float | str):
        return float(value)
    raise TypeError(f"not a number: {value!r}")
