"""What the IVR adds to Asterisk's rendered config: compiled flows (extensions_ivr.conf) and the
custom prompts' audio files. Called by centralita/telephony/render.py for every render."""

from __future__ import annotations

from sqlmodel import Session

from centralita.settings import Settings

# Flow name → Compiler options; set only by `centralita bench ivr` in its own process and instance.
COMPILE_MODES: dict[str, dict] = {}


def context(settings: Settings, paths, session: Session | None) -> dict:
    if session is None:
        return {"ivr_contexts": [], "ivr_mailboxes": []}
    from ivr.service import dialplan_contexts

    contexts = dialplan_contexts(session, settings, COMPILE_MODES)
    mailboxes = sorted(
        {
            line.split("CENTRALITA_MAILBOX=")[1].rstrip(")")
            for c in contexts
            for line in c.lines
            if "CENTRALITA_MAILBOX=" in line
        }
    )
    return {"ivr_contexts": contexts, "ivr_mailboxes": mailboxes}


def files(settings: Settings, paths, session: Session | None) -> dict[str, bytes]:
    if session is None:
        return {}
    from ivr.prompts import prompt_files

    return prompt_files(session)
