"""What the IVR adds to Asterisk's rendered config: compiled flows (extensions_ivr.conf) and the
custom prompts' audio files. Called by centralita/telephony/render.py for every render."""

from __future__ import annotations

from sqlmodel import Session, select

from centralita.settings import Settings
from centralita.telephony import channel_vars as cv

# Flow name → Compiler options; set only by `centralita bench ivr` in its own process and instance.
COMPILE_MODES: dict[str, dict] = {}


def context(settings: Settings, paths, session: Session | None) -> dict:
    if session is None:
        return {"ivr_contexts": [], "ivr_mailboxes": [], "dids": []}
    from ivr.models import Did, Flow
    from ivr.service import dialplan_contexts

    flows = {f.id: f.name for f in session.exec(select(Flow))}
    dids = [
        {"number": d.number, "flow": flows.get(d.flow_id, "")} for d in session.exec(select(Did).order_by(Did.number))
    ]

    contexts = dialplan_contexts(session, settings, COMPILE_MODES)
    marker = f"{cv.MAILBOX}="
    mailboxes = sorted({line.split(marker)[1].rstrip(")") for c in contexts for line in c.lines if marker in line})
    return {"ivr_contexts": contexts, "ivr_mailboxes": mailboxes, "dids": dids}


def files(settings: Settings, paths, session: Session | None) -> dict[str, bytes]:
    if session is None:
        return {}
    from ivr.prompts import prompt_files

    return prompt_files(session)
