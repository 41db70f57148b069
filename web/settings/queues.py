"""/settings/queues: every field of a queue (strategy, ring time, wrap-up, maximum wait and where the
caller goes after it, announcements, the information message, the callback key) and the agents who
serve it, through queues.service.save_queue with the API's own body models (QueueIn, QueuePatch), then
the same live apply as POST/PATCH /api/queues (dialplan and queues reloaded). Supervisors read;
admins create, change and delete (refused, with the reason in Spanish, while anything still sends callers
to the queue: queues.service.queue_users)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import web_user
from api.users.models import Role, User
from centralita.db import get_session
from centralita.errors import FieldError
from centralita.settings import get_settings
from queues import service
from queues.destinations import TYPES as OVERFLOW_TYPES
from queues.schemas import QueueIn, QueuePatch
from web.settings.common import Posted, on_field, page, posted, require_rank, submit, validated

router = APIRouter(include_in_schema=False)
URL = "/settings/queues"
SECONDS = {name: f"Un número entero de {low} a {high} segundos." for name, (low, high) in service.QUEUE_LIMITS.items()}
MESSAGES = {
    ("name", "fielderror"): "De 1 a 64 minúsculas, dígitos, «-» o «_», empezando por letra o dígito (no «general»).",
    ("name", "conflict"): "Ya existe una cola con ese nombre.",
    ("label", ""): "El nombre visible puede tener como máximo 200 caracteres.",
    ("strategy", ""): "Elija una de las estrategias de la lista.",
    **{(name, ""): text for name, text in SECONDS.items()},
    ("announce_frequency", ""): "Un número entero de 0 a 600 segundos (0: sin anuncios).",
    ("overflow.type", ""): "Elija qué pasa al agotarse la espera.",
    ("overflow.queue", ""): "Elija otra cola existente (no esta misma).",
    ("overflow.number", ""): "De 2 a 20 dígitos, con «+» delante si es internacional.",
    ("info_prompt", ""): "El nombre de un archivo de sonido: letras, dígitos, «/», «_», «.» o «-».",
    ("callback_key", ""): "Una tecla: 0-9, * o #; vacío si no se ofrece rellamada.",
}
TEXT_FIELDS = ("label", "strategy", "info_prompt", "callback_key", "overflow_type", "overflow_queue", "overflow_number")
NUMBER_FIELDS = tuple(service.QUEUE_LIMITS)


def _members(session: Session) -> dict[str, list[tuple[str, int]]]:
    """{queue: [(agent, penalty)]}, lowest penalty (asked first) first."""
    out: dict[str, list[tuple[str, int]]] = {}
    for agent in service.list_agents(session):
        for queue, penalty in service.skills(session, agent):
            out.setdefault(queue, []).append((agent.username, penalty))
    return {queue: sorted(rows, key=lambda r: (r[1], r[0])) for queue, rows in out.items()}


def _shown(queue: dict) -> dict:
    """A queue's fields as its form shows them: the overflow destination in its three inputs."""
    overflow = queue["overflow"]
    fields = {k: queue[k] for k in ("name", "label", "strategy", "info_prompt", "callback_key", *NUMBER_FIELDS)}
    return fields | {
        "overflow_type": overflow["type"],
        "overflow_queue": overflow.get("queue", ""),
        "overflow_number": overflow.get("number", ""),
    }


def _queues_page(request: Request, user: User, session: Session, status_code: int = 200, **context) -> Response:
    require_rank(user, Role.supervisor)
    rows = service.list_queues(session)
    return page(
        request,
        user,
        "settings_queues.html",
        {
            "queues": rows,
            "shown": {q.name: _shown(q.model_dump()) for q in rows},
            "blank": _shown(QueueIn(name="").model_dump()),  # the API's defaults
            "members": _members(session),
            "strategies": service.STRATEGIES,
            "overflow_types": OVERFLOW_TYPES,
            "keys": ["", *"0123456789*#"],
        }
        | context,
        status_code,
    )


def _body(values: dict[str, str]) -> dict:
    """The API body from the form's text: whole numbers become ints (anything else stays text and the
    strict model refuses it on its field); the overflow fields become one destination."""
    body: dict = {k: values[k].strip() for k in ("label", "strategy", "info_prompt", "callback_key")}
    for name in NUMBER_FIELDS:
        text = values[name].strip()
        body[name] = int(text) if text.isdigit() and len(text) < 7 else text
    kind = values["overflow_type"]
    target = {"queue": {"queue": values["overflow_queue"]}, "external": {"number": values["overflow_number"].strip()}}
    body["overflow"] = {"type": kind, **target.get(kind, {})}
    return body


def queue_form(
    label: str = Form("", max_length=400),
    strategy: str = Form("rrmemory", max_length=32),
    member_timeout: str = Form("15", max_length=16),
    wrapup_seconds: str = Form("5", max_length=16),
    max_wait_seconds: str = Form("300", max_length=16),
    announce_frequency: str = Form("30", max_length=16),
    overflow_type: str = Form("hangup", max_length=16),
    overflow_queue: str = Form("", max_length=64),
    overflow_number: str = Form("", max_length=32),
    info_prompt: str = Form("", max_length=400),
    callback_key: str = Form("", max_length=4),
) -> dict[str, str]:
    """The queue form's fields as typed (shared by the create and the change forms)."""
    return {k: v for k, v in locals().items()}


@router.get(URL, response_class=HTMLResponse)
def queues_page(request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)) -> Response:
    return _queues_page(request, user, session)


@router.post(URL)
def create_queue(
    name: str = Form("", max_length=64), values: dict[str, str] = Depends(queue_form), p: Posted = Depends(posted)
) -> Response:
    name = name.strip()

    def change() -> str:
        body = validated(QueueIn, _body(values) | {"name": name})
        service.save_queue(p.session, body.model_dump(), by=p.user, client=p.client)
        return f"Cola «{name}» creada."

    refused = on_field(p.page(_queues_page), "create", values | {"name": name}, MESSAGES)
    return submit(p, change, refused, url=URL, reload={"dialplan", "queues"})


@router.post(URL + "/{name}")
def update_queue(name: str, values: dict[str, str] = Depends(queue_form), p: Posted = Depends(posted)) -> Response:
    def change() -> str:
        existing = next((q for q in service.list_queues(p.session) if q.name == name), None)
        if existing is None:
            raise HTTPException(404, "no such queue")
        data = validated(QueuePatch, _body(values)).model_dump(exclude_none=True)
        service.save_queue(p.session, data, existing, by=p.user, client=p.client)
        return f"Cola «{name}» guardada."

    refused = on_field(p.page(_queues_page), f"edit-{name}", values, MESSAGES)
    return submit(p, change, refused, url=URL, reload={"dialplan", "queues"})


# What still uses a queue, in the page's words (kinds of queues.service.queue_users).
USES = {
    "default": "es la cola predeterminada (CENTRALITA_DEFAULT_QUEUE), adonde van las llamadas cuando algo falla",
    "flows": "la usan los flujos publicados {}",
    "overflow": "es el desborde de las colas {}",
    "campaigns": "la usan las campañas {}",
    "callbacks": "tiene {} rellamadas pendientes",
}


def refusal_words(name: str, uses: list[tuple[str, list[str]]]) -> str:
    parts = [
        USES[kind].format(", ".join(n if kind == "callbacks" else f"«{n}»" for n in names)) for kind, names in uses
    ]
    return f"La cola «{name}» no se puede eliminar: " + "; ".join(parts) + "."


@router.post(URL + "/{name}/delete")
def delete_queue(name: str, p: Posted = Depends(posted)) -> Response:
    default_queue = get_settings().default_queue

    def change() -> str:
        existing = next((q for q in service.list_queues(p.session) if q.name == name), None)
        if existing is None:
            raise HTTPException(404, "no such queue")
        skills = service.delete_queue(p.session, existing, default_queue=default_queue, by=p.user, client=p.client)
        return f"Cola «{name}» eliminada ({skills} asignaciones de agentes quitadas)."

    def refused(exc: FieldError) -> Response:
        words = refusal_words(name, exc.uses) if isinstance(exc, service.QueueInUse) else exc.message
        return p.page(_queues_page)(status_code=exc.status, refusal=words)

    return submit(p, change, refused, url=URL, reload={"dialplan", "queues"})
