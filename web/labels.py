"""Plain Spanish for the codes the pages show: Asterisk's dispositions, call directions, agent and
campaign states, recording stages, queue outcomes, and a call's IVR path.

One table per kind of code, Spanish first; the pages translate each text through their `_()` (the
filters in web/routes.py pass its gettext in), so a catalogue can translate them later. A code not in
its table is shown as it came: a new Asterisk or service code must never break a page."""

from __future__ import annotations

import re
from collections.abc import Callable

Gettext = Callable[[str], str]


def _same(text: str) -> str:
    return text


# Asterisk's CDR dispositions (upper case, as Asterisk writes them).
DISPOSITIONS = {
    "ANSWERED": "Atendida",
    "NO ANSWER": "Sin respuesta",
    "BUSY": "Ocupado",
    "FAILED": "Fallida",
    "CONGESTION": "Congestión",
}
DIRECTIONS = {"inbound": "Entrante", "outbound": "Saliente", "internal": "Interna"}
# The agent states of queues/EVENTS.md, in the order the wallboard lists them.
AGENT_STATES = {
    "available": "Disponible",
    "ringing": "Timbrando",
    "on_call": "En llamada",
    "wrapup": "Posllamada",
    "paused": "En pausa",
    "unreachable": "Sin conexión",
    "logged_out": "Desconectado",
}
PAUSE_REASONS = {"break": "descanso", "lunch": "almuerzo", "training": "formación", "backoffice": "back office"}
# The default codes of CENTRALITA_CALL_DISPOSITIONS (an agent's result of a call); other codes show raw.
CALL_DISPOSITIONS = {
    "resuelto": "Resuelto",
    "informacion": "Información dada",
    "reclamo": "Reclamo registrado",
    "derivado": "Derivado a otra área",
    "sin_solucion": "Sin solución",
    "otro": "Otro",
}
# Which of an agent's phones the queues ring (queues/control.py).
DEVICES = {"desk": "teléfono de escritorio", "web": "teléfono web", "other": "otro teléfono"}
CAMPAIGN_STATES = {"stopped": "Detenida", "running": "En curso", "paused": "En pausa"}
CAMPAIGN_MODES = {
    "preview": "Vista previa",
    "progressive": "Progresiva",
    "predictive": "Predictiva",
    "broadcast": "Difusión",
}
# recorder/models.py STAGES: where a recording is in its pipeline.
RECORDING_STAGES = {
    "recording": "Grabando",
    "ended": "Terminada",
    "verified": "Verificada",
    "transcribed": "Transcrita",
    "analysed": "Analizada",
    "encoded": "Comprimida",
    "stored": "Archivada",
    "indexed": "Indexada",
    "done": "Lista",
    "failed": "Con error",
    "purged": "Borrada",
}
# How a queue visit ended (reports' queue visits).
QUEUE_OUTCOMES = {
    "answered": "Atendida",
    "abandoned": "Abandonada",
    "timeout": "Tiempo de espera agotado",
    "overflow": "Desbordada",
    "callback": "Pidió rellamada",
    "restart_lost": "Perdida (reinicio)",
}
# A user's role (api.users.models.Role).
ROLES = {"agent": "Agente", "supervisor": "Supervisor", "admin": "Administrador"}
# How a queue picks the agent to ring (queues.service.STRATEGIES, Asterisk's names).
QUEUE_STRATEGIES = {
    "rrmemory": "Rotativo (sigue tras el último que atendió)",
    "ringall": "Timbrar a todos a la vez",
    "leastrecent": "Al que hace más tiempo que no atiende",
    "fewestcalls": "Al que atendió menos llamadas",
    "random": "Al azar",
    "wrandom": "Al azar, pesado por la penalización",
    "linear": "Siempre en el mismo orden",
    "rrordered": "Rotativo en el orden de alta",
}
# Where a queue's callers go after the maximum wait (queues/destinations.py).
OVERFLOW_TYPES = {"hangup": "Despedirse y colgar", "queue": "Pasar a otra cola", "external": "Desviar a un número"}
PROMPT_SOURCES = {"tts": "Texto a voz", "upload": "Audio subido"}
KINDS: dict[str, dict[str, str]] = {
    "role": ROLES,
    "queue_strategy": QUEUE_STRATEGIES,
    "overflow": OVERFLOW_TYPES,
    "prompt_source": PROMPT_SOURCES,
    "disposition": DISPOSITIONS,
    "direction": DIRECTIONS,
    "agent_state": AGENT_STATES,
    "pause_reason": PAUSE_REASONS,
    "call_disposition": CALL_DISPOSITIONS,
    "device": DEVICES,
    "campaign_state": CAMPAIGN_STATES,
    "campaign_mode": CAMPAIGN_MODES,
    "recording_stage": RECORDING_STAGES,
    "queue_outcome": QUEUE_OUTCOMES,
}


def label(code: object, kind: str, gettext: Gettext = _same) -> str:
    """`label("NO ANSWER", "disposition")` → "Sin respuesta"; an unknown code (or kind) comes back raw."""
    if code is None or code == "":
        return "—"
    text = str(code)
    table = KINDS.get(kind, {})
    found = table.get(text) or table.get(text.upper() if kind == "disposition" else text.lower())
    return gettext(found) if found else text


def labels_of(kind: str, gettext: Gettext = _same) -> dict[str, str]:
    """A whole table, translated: for a page's script (data-* JSON) that shows codes as they arrive."""
    return {code: gettext(text) for code, text in KINDS[kind].items()}


# -- IVR paths -------------------------------------------------------------------------------------
# A call's path (CDR(path), ivr/compiler.py and ivr/simulate.py) is steps joined by ">":
#   flow:NAME/vN          the call entered version N of a flow (the first step: not shown)
#   NODE:OUTCOME          a menu's digit / invalid / timeout / ext:NNN, a lookup's ok / notfound /
#                         invalid / fail, an hours node's open / closed, identify's known / unknown,
#                         a booking node's booked / cancelled / kept / none / invalid / unknown /
#                         nochoice / operator / fail
#   NODE                  a play node
#   queue:Q  agent:EXT  external:NUM  voicemail:BOX  booking[:SERVICE]  flow:NAME  hangup  survey
#   and the dialplan's own: no-flow, flow-missing, dialer:CAMPAIGN>agent|machine|safe-harbor|broadcast
DefinitionOf = Callable[[str, int], dict | None]  # (flow, version) → its definition as stored, or None

_ENTRY = re.compile(r"^flow:([A-Za-z0-9_-]+)/v(\d+)$")
TERMINALS = {  # step prefix → text ({} is what follows the colon)
    "queue": "cola {}",
    "agent": "agente {}",
    "external": "número externo {}",
    "voicemail": "buzón de voz {}",
    "booking": "citas {}",
    "flow": "flujo {}",
    "dialer": "campaña {}",
}
BARE_STEPS = {
    "hangup": "fin de la llamada",
    "survey": "encuesta",
    "agent": "agente",
    "booking": "citas",
    "no-flow": "sin flujo",
    "flow-missing": "flujo no encontrado",
    "machine": "contestador automático",
    "safe-harbor": "mensaje de cortesía",
    "broadcast": "mensaje grabado",
}
NODE_NAMES = {  # node type → its generic name when the admin gave it no label
    "menu": "menú {}",
    "lookup": "consulta {}",
    "hours": "horario {}",
    "identify": "identificación {}",
    "play": "mensaje {}",
    "survey": "encuesta",
    "booking": "citas {}",
}
OUTCOMES = {  # node type → outcome → text
    "menu": {"invalid": "tecla no válida", "timeout": "sin respuesta"},
    "lookup": {
        "ok": "encontrada",
        "notfound": "no encontrada",
        "not_found": "no encontrada",
        "invalid": "número no válido",
        "fail": "servicio no disponible",
        "error": "servicio no disponible",
    },
    "hours": {"open": "abierto", "closed": "cerrado"},
    "identify": {"known": "llamante conocido", "unknown": "llamante desconocido"},
    "booking": {
        "booked": "cita reservada",
        "cancelled": "cita cancelada",
        "kept": "cita conservada",
        "none": "sin citas libres",
        "invalid": "identificación no válida",
        "unknown": "servicio desconocido",
        "nochoice": "sin elección",
        "operator": "pidió un agente",
        "fail": "servicio no disponible",
    },
}
# Without the flow's definition, an outcome's text when it means one thing whatever the node's type.
ANY_OUTCOME = {
    **OUTCOMES["hours"],
    **OUTCOMES["identify"],
    **{k: v for k, v in OUTCOMES["lookup"].items() if k != "invalid"},
    "invalid": "no válido",
    "timeout": "sin respuesta",
}


def ivr_path(path: str | None, definition_of: DefinitionOf | None = None, gettext: Gettext = _same) -> str:
    """`flow:demo/v1>main:1>debt:ok` → "Menú principal → 1 → consulta de deuda: encontrada" with the
    flow's definition (node types, labels); "main: 1 → debt: encontrada" without it. Any step it
    does not know is shown raw."""
    steps = [s for s in (path or "").split(">") if s]
    shown: list[str] = []
    flow: dict | None = None
    for i, step in enumerate(steps):
        following = steps[i + 1] if i + 1 < len(steps) else ""
        if m := _ENTRY.match(step):
            flow = _definition(definition_of, m.group(1), int(m.group(2)))
            if i:  # handed over from another flow
                shown.append(gettext(TERMINALS["flow"]).format(m.group(1)))
            continue
        if step.startswith("flow:") and following.startswith(step + "/v"):
            continue  # the next step names the same flow with its version
        shown.append(_step(step, flow, gettext))
    text = " → ".join(s for s in shown if s)
    return text[:1].upper() + text[1:]


def _definition(definition_of: DefinitionOf | None, name: str, version: int) -> dict | None:
    if definition_of is None:
        return None
    try:
        found = definition_of(name, version)
    except Exception:  # a page shows the generic form rather than fail on a flow it cannot read
        return None
    return found if isinstance(found, dict) and isinstance(found.get("nodes"), dict) else None


def _step(step: str, flow: dict | None, gettext: Gettext) -> str:
    head, _, outcome = step.partition(":")
    node = (flow or {}).get("nodes", {}).get(head)
    if isinstance(node, dict):
        return _node_step(head, node, outcome, flow or {}, gettext)
    if not outcome and step in BARE_STEPS:
        return gettext(BARE_STEPS[step])
    if outcome and head in TERMINALS:
        return gettext(TERMINALS[head]).format(outcome)
    if outcome and re.fullmatch(r"[a-z][a-z0-9_]*", head):
        return f"{head}: {_outcome(None, outcome, gettext)}"
    return step


def _node_step(node_id: str, node: dict, outcome: str, flow: dict, gettext: Gettext) -> str:
    kind = str(node.get("type", ""))
    name = str(node.get("label") or "")
    if not name:
        if kind == "menu" and node_id == flow.get("start"):
            name = gettext("Menú principal")
        else:
            name = gettext(NODE_NAMES[kind]).format(node_id) if kind in NODE_NAMES else node_id
    if not outcome:
        return name
    if kind == "menu" and re.fullmatch(r"[0-9*#]", outcome):
        return f"{name} → {outcome}"  # the digit pressed reads as its own step
    return f"{name}: {_outcome(kind, outcome, gettext)}"


def _outcome(kind: str | None, outcome: str, gettext: Gettext) -> str:
    if outcome.startswith("ext:"):  # a menu's direct dial
        return gettext("extensión {}").format(outcome[4:])
    table = OUTCOMES.get(kind or "", {}) if kind else ANY_OUTCOME
    found = table.get(outcome) or (ANY_OUTCOME.get(outcome) if kind else None)
    return gettext(found) if found else outcome


def definitions_from(session) -> DefinitionOf:
    """Flow versions read from the database, once per page (versions never change)."""
    cache: dict[tuple[str, int], dict | None] = {}

    def definition_of(name: str, version: int) -> dict | None:
        if (name, version) not in cache:
            from sqlmodel import col, select

            from ivr.models import Flow, FlowVersion

            row = session.exec(
                select(FlowVersion)
                .join(Flow, col(Flow.id) == col(FlowVersion.flow_id))
                .where(Flow.name == name, FlowVersion.version == version)
            ).first()
            cache[(name, version)] = row.definition if row else None
        return cache[(name, version)]

    return definition_of
