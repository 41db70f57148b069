"""/settings/prompts: the custom prompts callers hear, which flows name each one, and a player for each
(its audio from a guarded route, supervisors and up). Admins add or replace a prompt from a text
(spoken by the TTS engine, heard first through a preview that stores nothing) or an uploaded sound file (converted to 8 kHz mono), through
ivr.prompts.save_audited as POST /api/ivr/prompts and /api/ivr/prompts/upload do, then the same
dialplan apply that puts the file in Asterisk's prompt directory."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from api.deps import web_user
from api.users.models import Role, User
from centralita.db import get_session
from centralita.errors import FieldError
from ivr import prompts
from ivr import service as ivr
from ivr.models import Prompt
from ivr.schemas import PromptIn
from web.settings.common import Posted, check_change, on_field, page, posted, require_rank, submit, validated

router = APIRouter(include_in_schema=False)
URL = "/settings/prompts"
LANGUAGES = {"es": "Español", "en": "Inglés"}
MESSAGES = {
    ("name", ""): "Minúsculas, dígitos, «-» o «_» (hasta 64); no el nombre de un mensaje del sistema.",
    ("text", ""): "Escriba el texto a decir (hasta 2000 caracteres).",
    ("language", ""): "Elija uno de los idiomas de la lista.",
    ("audio", ""): "Elija un archivo de sonido (WAV, MP3, OGG…) de hasta 5 MB.",
}


def _prompts_page(request: Request, user: User, session: Session, status_code: int = 200, **context) -> Response:
    require_rank(user, Role.supervisor)
    rows = list(session.exec(select(Prompt).order_by(Prompt.name)))
    context = {"prompts": rows, "uses": ivr.prompt_uses(session), "languages": LANGUAGES} | context
    return page(request, user, "settings_prompts.html", context, status_code)


def _save(p: Posted, **kwargs) -> str:
    prompt = prompts.save_audited(p.session, user=p.user, client=p.client, **kwargs)
    return f"Mensaje «{prompt.name}» guardado."


@router.get(URL, response_class=HTMLResponse)
def prompts_page(request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)) -> Response:
    return _prompts_page(request, user, session)


@router.get(URL + "/{name}/audio")
def prompt_audio(name: str, user: User = Depends(web_user), session: Session = Depends(get_session)) -> Response:
    """The WAV Asterisk plays, for the page's player (supervisors and admins; never cached)."""
    require_rank(user, Role.supervisor)
    prompt = session.exec(select(Prompt).where(Prompt.name == name[:64])).first()
    if prompt is None:
        raise HTTPException(404, "no such prompt")
    return Response(
        prompt.audio, media_type="audio/wav", headers={"Content-Disposition": f'inline; filename="{prompt.name}.wav"'}
    )


@router.post(URL + "/tts")
def save_tts(
    name: str = Form("", max_length=64),
    text: str = Form("", max_length=4000),
    language: str = Form("es", max_length=8),
    p: Posted = Depends(posted),
) -> Response:
    typed = {"name": name.strip(), "text": text, "language": language}

    def change() -> str:
        body = validated(PromptIn, typed)
        return _save(p, name=body.name, text=body.text, language=body.language)

    refused = on_field(p.page(_prompts_page), "tts", typed, MESSAGES)
    return submit(p, change, refused, url=URL, reload={"dialplan"})


@router.post(URL + "/preview")
def preview(
    text: str = Form("", max_length=4000), language: str = Form("es", max_length=8), p: Posted = Depends(posted)
) -> Response:
    """What the TTS engine would say for the text form's values, stored nowhere: the form's «Escuchar»
    button posts here into a new tab, which plays the WAV (no script needed; the token stays out of URLs)."""
    check_change(p.request, p.user, p.csrf)
    typed = {"name": "vista-previa", "text": text, "language": language}  # the name is not the preview's
    try:
        body = validated(PromptIn, typed)
    except FieldError as exc:
        return on_field(p.page(_prompts_page), "tts", typed | {"name": ""}, MESSAGES)(exc)
    return Response(prompts.espeak_tts(body.text.strip(), body.language), media_type="audio/wav")


@router.post(URL + "/upload")
def upload(
    name: str = Form("", max_length=64), audio: UploadFile | None = File(None), p: Posted = Depends(posted)
) -> Response:
    def change() -> str:
        if audio is None or not audio.filename:
            raise FieldError("audio", "choose a sound file")
        data = audio.file.read(prompts.MAX_UPLOAD + 1)  # one byte more: convert_upload refuses a larger file
        return _save(p, name=name.strip(), audio=data, filename=audio.filename)

    refused = on_field(p.page(_prompts_page), "upload", {"name": name.strip()}, MESSAGES)
    return submit(p, change, refused, url=URL, reload={"dialplan"})
