"""/settings/prompts: a prompt spoken from a text (espeak-ng) or uploaded (a WAV made with sox, converted
to 8 kHz mono) through ivr.prompts.save_audited as the API does, then the dialplan applied; the player's
audio route is guarded; each bad value on its field with nothing stored; where each prompt is used."""

from __future__ import annotations

import io
import wave

import pytest
from sqlmodel import SQLModel, func, select

from api.audit.models import AuditLog
from centralita.db import session_scope
from ivr.models import Prompt
from web.tests.settings_helpers import center, client, field_message, login, wav_bytes  # noqa: F401  (fixtures)


def counts() -> dict[str, int]:
    with session_scope() as s:
        return {t.name: s.exec(select(func.count()).select_from(t)).one() for t in SQLModel.metadata.sorted_tables}


def prompt(name: str) -> Prompt | None:
    with session_scope() as s:
        found = s.exec(select(Prompt).where(Prompt.name == name)).first()
        if found is not None:
            s.expunge(found)
        return found


def wav_format(data: bytes) -> tuple[int, int, int, int]:
    """(rate, channels, sample width, frames) of a WAV."""
    with wave.open(io.BytesIO(data)) as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()


@pytest.fixture
def applied(monkeypatch):
    import web.settings.common as common

    calls, real = [], common.after_commit

    def spy(settings, changed):
        calls.append(set(changed))
        return real(settings, changed)

    monkeypatch.setattr(common, "after_commit", spy)
    return calls


def test_upload_is_converted_stored_audited_and_played(center, applied):
    csrf = login(center, "boss")
    sent = wav_bytes(seconds=0.5, rate=16000)
    files = {"audio": ("saludo.wav", sent, "audio/wav")}
    r = center.post("/settings/prompts/upload", data={"name": "saludo", "csrf": csrf}, files=files)
    assert r.status_code == 303 and r.headers["location"] == "/settings/prompts" and applied == [{"dialplan"}]
    row = prompt("saludo")
    assert row is not None and row.source == "upload"
    rate, channels, width, frames = wav_format(row.audio)
    assert (rate, channels, width) == (8000, 1, 2) and abs(frames - 4000) <= 80  # 0.5 s at 8 kHz
    with session_scope() as s:
        audit = s.exec(select(AuditLog).where(AuditLog.action == "ivr.prompt.save")).one()
        assert (audit.target, audit.detail, audit.username) == ("prompt:saludo", {"source": "upload"}, "boss")
    page = center.get("/settings/prompts").text
    assert "Mensaje «saludo» guardado." in page and 'src="/settings/prompts/saludo/audio"' in page
    audio = center.get("/settings/prompts/saludo/audio")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav" and audio.content == row.audio
    assert any(p["name"] == "saludo" for p in center.get("/api/ivr/prompts").json())  # the API lists it too


def test_text_to_speech_prompt(center, applied):
    csrf = login(center, "boss")
    data = {"name": "horario", "text": "Atendemos de lunes a viernes.", "language": "es", "csrf": csrf}
    assert center.post("/settings/prompts/tts", data=data).status_code == 303
    row = prompt("horario")
    assert row is not None and (row.source, row.text, row.language) == ("tts", "Atendemos de lunes a viernes.", "es")
    assert wav_format(row.audio)[0] == 8000 and wav_format(row.audio)[3] > 8000  # over a second of speech
    page = center.get("/settings/prompts").text
    assert "Texto a voz · Español" in page and "Atendemos de lunes a viernes." in page


def test_where_each_prompt_is_used(center):
    login(center, "marta")
    page = center.get("/settings/prompts").text
    row = page.split('data-prompt="bienvenida"', 1)[1].split("</tr>", 1)[0]
    assert "flujo «tramites»" in row


@pytest.mark.parametrize(
    "form, data, field, message",
    [
        ("tts", {"name": "Con Espacios"}, "name", "Minúsculas, dígitos"),
        ("tts", {"name": "goodbye"}, "name", "mensaje del sistema"),
        ("tts", {"text": ""}, "text", "Escriba el texto"),
        ("tts", {"text": "x" * 2001}, "text", "hasta 2000"),
        ("tts", {"language": "fr"}, "language", "Elija uno de los idiomas"),
        ("upload", {"name": "Mal Nombre"}, "name", "Minúsculas, dígitos"),
        ("upload", {"file": None}, "audio", "Elija un archivo de sonido"),
        ("upload", {"file": b"esto no es audio"}, "audio", "Elija un archivo de sonido"),
        ("upload", {"file": b""}, "audio", "Elija un archivo de sonido"),
    ],
)
def test_a_bad_value_is_shown_on_its_field_and_nothing_is_stored(center, applied, form, data, field, message):
    csrf = login(center, "boss")
    before = counts()
    sent = {"name": "nuevo", "text": "Hola.", "language": "es"} | data
    content = sent.pop("file", wav_bytes())
    files = {"audio": ("nuevo.wav", content, "audio/wav")} if form == "upload" and content is not None else None
    r = center.post(f"/settings/prompts/{form}", data=sent | {"csrf": csrf}, files=files)
    assert r.status_code == 422 and message in field_message(r.text, f"{form}-{field}")
    assert counts() == before and applied == [] and prompt("nuevo") is None


def test_the_audio_route_is_guarded(center):
    assert center.get("/settings/prompts/bienvenida/audio").headers["location"] == "/login"
    login(center, "ana")
    assert center.get("/settings/prompts/bienvenida/audio").status_code == 403
    center.cookies.clear()
    login(center, "marta")
    assert center.get("/settings/prompts/bienvenida/audio").status_code == 200
    assert center.get("/settings/prompts/nada/audio").status_code == 404


def test_preview_speaks_the_text_and_stores_nothing(center):
    csrf = login(center, "boss")
    before = counts()
    r = center.post("/settings/prompts/preview", data={"text": "Hola, bienvenido.", "language": "es", "csrf": csrf})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert wav_format(r.content)[0] == 8000 and wav_format(r.content)[3] > 4000
    r = center.post("/settings/prompts/preview", data={"text": "", "language": "es", "csrf": csrf})
    assert r.status_code == 422 and "Escriba el texto" in field_message(r.text, "tts-text")
    assert counts() == before
