"""The IVR flow pages: /ivr/flows (every flow: published version, drafts, last change) and
/ivr/flows/<name>/edit (the editor, web/static/flow_editor.js). Supervisors read and simulate; admins
build, validate, save, publish and roll back. The editor's buttons call the JSON API
(/api/ivr/flows/...) with the session cookie, so the API's role checks, validation and audit apply:
this module only reads, through ivr.service, what the page needs to start."""

from __future__ import annotations

import json

import yaml
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session, select

from api.deps import web_user
from api.users.models import Role, User
from centralita.db import get_session
from ivr import calendars, service
from ivr.destinations import is_valid_name
from ivr.models import Prompt
from ivr.prompts import PROMPTS_FILE
from queues.service import list_queues
from web import labels
from web.settings.calendars import DAY_NAMES
from web.settings.common import page, require_rank

router = APIRouter(include_in_schema=False)

# How the pages name each kind of step and destination (the editor gets these tables as data).
NODE_TYPES = {
    "hours": "Horario",
    "menu": "Menú",
    "lookup": "Consulta",
    "queue": "Cola",
    "play": "Mensaje",
    "identify": "Identificar al llamante",
    "survey": "Encuesta",
    "transfer": "Transferir a un número",
    "voicemail": "Buzón de voz",
    "booking": "Citas",
    "hangup": "Colgar",
}
DEST_TYPES = {
    "node": "Otro paso de este flujo",
    "queue": "Una cola",
    "flow": "Otro flujo",
    "agent": "La extensión de un agente",
    "external": "Un número externo",
    "voicemail": "Un buzón de voz",
    "booking": "Citas",
    "hangup": "Colgar",
}
NAME_RULE = "Minúsculas, dígitos, «-» o «_», empezando por una letra (máximo 32)."


def dest_words(dest: object) -> str:
    """A destination in words for the page's summary, e.g. "paso «menu»", "cola atencion"."""
    if not isinstance(dest, dict):
        return "—"
    kind = dest.get("type")
    if kind == "node":
        return f"paso «{dest.get('node', '')}»"
    if kind == "hangup":
        return labels.BARE_STEPS["hangup"]
    arg = next((str(v) for k, v in dest.items() if k != "type" and v), "")
    text = labels.TERMINALS.get(str(kind), f"{kind} {{}}")
    return text.format(arg).strip() if arg or kind != "booking" else labels.BARE_STEPS["booking"]


LINK_WORDS = {  # a node's exits, as the summary names them
    "open": "abierto",
    "closed": "cerrado",
    "known": "conocido",
    "unknown": "desconocido",
    "next": "después",
    "invalid": "teclas no válidas",
    "timeout": "sin respuesta",
    "fallback": "si el servicio falla",
}


def node_summary(node_id: str, node: dict) -> dict:
    """What the page shows of a node before (or without) the editor's script."""
    found = node.get("options")
    options: dict = found if isinstance(found, dict) else {}
    links = [f"{digit} → {dest_words(dest)}" for digit, dest in options.items()]
    links += [f"{word} → {dest_words(node[f])}" for f, word in LINK_WORDS.items() if isinstance(node.get(f), dict)]
    return {
        "id": node_id,
        "type": node.get("type", ""),
        "type_label": NODE_TYPES.get(str(node.get("type")), str(node.get("type"))),
        "label": node.get("label", ""),
        "prompt": node.get("prompt") or "",
        "queue": node.get("queue") or "",
        "links": links,
    }


def _prompts(session: Session) -> list[dict]:
    """System prompts (asterisk/prompts.yaml) and the center's own (database), each with its text."""
    system = yaml.safe_load(PROMPTS_FILE.read_text()).get("es", {})
    out = {name: {"name": name, "text": text, "source": "system"} for name, text in system.items()}
    for row in session.exec(select(Prompt).order_by(Prompt.name)):
        out[row.name] = {"name": row.name, "text": row.text, "source": row.source}
    return sorted(out.values(), key=lambda p: p["name"])


def _versions(session: Session, flow) -> list[dict]:
    return [
        {
            "version": v.version,
            "comment": v.comment,
            "created_by": v.created_by,
            "created_at": v.created_at.isoformat() if v.created_at else None,
            "published_at": v.published_at.isoformat() if v.published_at else None,
        }
        for v in service.list_versions(session, flow)
    ]


@router.get("/ivr/flows", response_class=HTMLResponse)
def flows_list(request: Request, user: User = Depends(web_user), session: Session = Depends(get_session)) -> Response:
    return _list_page(request, user, session)


def _list_page(request: Request, user: User, session: Session, code: int = 200, **context) -> Response:
    require_rank(user, Role.supervisor)
    rows = []
    for flow in service.list_flows(session):
        versions = service.list_versions(session, flow)
        drafts = [v.version for v in versions if v.version > (flow.published_version or 0)]
        rows.append({"flow": flow, "latest": versions[0] if versions else None, "drafts": drafts})
    return page(request, user, "flows_list.html", {"rows": rows} | context, code)


@router.get("/ivr/flows/new", response_class=HTMLResponse)
def new_flow(
    request: Request, name: str = "", user: User = Depends(web_user), session: Session = Depends(get_session)
) -> Response:
    """The "Nuevo flujo" form (a GET: nothing is stored until the editor saves a first version)."""
    require_rank(user, Role.admin)
    name = name.strip()
    if not is_valid_name(name):
        return _list_page(request, user, session, 422, errors={"name": NAME_RULE}, form={"name": name})
    if any(f.name == name for f in service.list_flows(session)):
        return _list_page(
            request, user, session, 422, errors={"name": f"Ya existe un flujo «{name}»."}, form={"name": name}
        )
    return RedirectResponse(f"/ivr/flows/{name}/edit", status_code=303)


@router.get("/ivr/flows/{name}/edit", response_class=HTMLResponse)
def edit_flow(
    name: str,
    request: Request,
    version: int | None = Query(None, ge=1, le=2**31 - 1),
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    require_rank(user, Role.supervisor)
    can_change = user.role == Role.admin.value
    flow = next((f for f in service.list_flows(session) if f.name == name), None)
    if flow is None and not (can_change and is_valid_name(name)):
        raise HTTPException(404, f"flow '{name}' not found")  # a new flow exists once its first draft is saved
    versions = _versions(session, flow) if flow else []
    definition: dict = {"start": "", "nodes": {}}
    shown = None
    if flow is not None and versions:
        shown = version or versions[0]["version"]
        definition = service.get_version(session, flow, shown).definition  # NotFound → 404
    data = {
        "flow": name,
        "version": shown,
        "published_version": flow.published_version if flow else None,
        "can_change": can_change,
        "definition": definition,
        "versions": versions,
        "prompts": _prompts(session),
        "queues": [q.name for q in list_queues(session)],
        "flows": [f.name for f in service.list_flows(session) if f.name != name],
        "calendars": [c.name for c in calendars.list_calendars(session)],
        "holiday_lists": [h.name for h in calendars.list_holiday_lists(session)],
        "node_types": NODE_TYPES,
        "dest_types": DEST_TYPES,
        "link_words": LINK_WORDS,
        "days": DAY_NAMES,
    }
    nodes = definition.get("nodes") or {}
    summary = [node_summary(node_id, node) for node_id, node in nodes.items() if isinstance(node, dict)]
    context = {
        "name": name,
        "flow": flow,
        "data": data,
        "data_json": json.dumps(data, ensure_ascii=False),
        "summary": summary,
        "start": definition.get("start"),
    }
    return page(request, user, "flow_editor.html", context)


@router.get("/ivr/flows/{name}/path-words")
def path_words(
    name: str,
    path: str = Query("", max_length=4000),
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    """A simulated path in plain Spanish, the way every page shows a call's path (web/labels.py)."""
    require_rank(user, Role.supervisor)
    return JSONResponse({"path": path, "words": labels.ivr_path(path, labels.definitions_from(session))})
