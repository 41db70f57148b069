"""The AMI Originate of one campaign call, and the broadcast message's audio.

Channel variables travel in AMI `Variable` headers, which Asterisk splits on ',' and strips of
quotes and backslashes (its application-argument parser): values are escaped so a contact's JSON
reaches the channel intact.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from pathlib import Path

from centralita.telephony import channel_vars as cv
from dialer.engine.claims import Claim
from dialer.models import Campaign

CONTEXT = "centralita-dialer"


def escape(value: str) -> str:
    value = value.replace("\r", " ").replace("\n", " ")
    return value.replace("\\", "\\\\").replace('"', '\\"').replace(",", "\\,")


# Asterisk reads AMI lines of at most 1024 bytes: a longer Variable header would break the Originate.
MAX_VARIABLE_LINE = 1000


def contact_json(claim: Claim, campaign: Campaign, limit: int = MAX_VARIABLE_LINE) -> str:
    """What the agent's screen pop shows (CENTRALITA_LOOKUP): the contact and the attempt. Custom
    fields that would not fit in one AMI line are left out (`"more": true`); the full contact
    reaches the agent in the `agent.dialer.contact` event, read from the database."""
    doc: dict[str, object] = {
        "dialer": {
            "campaign": campaign.name,
            "campaign_id": campaign.id,
            "attempt_id": claim.attempt_id,
            "contact_id": claim.contact_id,
        },
        "name": claim.name,
        "phone": claim.phone,
    }

    def dump(d: dict) -> str:
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"), default=str)

    for key, value in claim.fields.items():
        if key in doc:
            continue
        trial = {**doc, key: value}
        if len(f"{cv.inherited(cv.LOOKUP)}={escape(dump(trial))}".encode()) > limit - 20:
            doc["more"] = True
            break
        doc = trial
    return dump(doc)


def dial_string(template: str, phone: str) -> str:
    return template.replace("{number}", phone)


def originate_action(
    campaign: Campaign, claim: Claim, *, dial_template: str, message: str = "", amd: str = "hangup"
) -> dict:
    """The Async Originate: the trunk rings the contact for `dial_timeout` s; on answer the channel
    runs [centralita-dialer]. ActionID and ChannelId are the attempt's channel id, so the
    OriginateResponse, every event of the channel and the CDRs (linkedid) name the attempt."""
    variables = {
        "__DIALER_ATTEMPT": str(claim.attempt_id),
        "__DIALER_CONTACT": str(claim.contact_id),
        "__DIALER_CAMPAIGN": campaign.name,
        "__DIALER_CONTACT_NAME": claim.name,
        cv.inherited(cv.LOOKUP): contact_json(claim, campaign),
        "DIALER_QUEUE": campaign.queue_name,
        "DIALER_MODE": "broadcast" if campaign.mode == "broadcast" else "agents",
        "DIALER_AMD": amd,
        "DIALER_MESSAGE": message,
        "DIALER_DIGIT": campaign.broadcast_agent_digit,
        # The recording's "caller" is the other party: the contact, not our own caller ID.
        cv.REC_PARTY: claim.phone,
    }
    return {
        "Action": "Originate",
        "ActionID": claim.channel_id,
        "ChannelId": claim.channel_id,
        "Channel": dial_string(dial_template, claim.phone),
        "Context": CONTEXT,
        "Exten": "s",
        "Priority": "1",
        "Timeout": str(campaign.dial_timeout * 1000),
        "CallerID": f'"{campaign.name}" <{campaign.caller_id}>',
        "Async": "true",
        "Variable": [f"{k}={escape(v)}" for k, v in variables.items()],
    }


class _Fields(dict):
    def __missing__(self, key: str) -> str:  # an unknown {field} is read as nothing, not an error
        return ""


def message_text(template: str, claim: Claim) -> str:
    """The broadcast text with the contact's fields: 'Estimado {name}, su saldo es {monto}'."""
    values = _Fields({k: str(v) for k, v in claim.fields.items()})
    values.update(name=claim.name, phone=claim.phone)
    try:
        return string.Formatter().vformat(template, (), values)
    except (ValueError, IndexError):  # stray braces: say the text as written
        return template


PROMPT_NAME = re.compile(r"^(sound:[A-Za-z0-9_/-]{1,80}|[a-z0-9][a-z0-9_-]{0,63})$")


def message_file(text: str, language: str, host_dir: Path, inside_dir: str, tts) -> str:
    """Speak `text` once into the spool (cached by its digest); the path Asterisk plays, no extension."""
    digest = hashlib.sha1(f"{language}:{text}".encode()).hexdigest()[:20]
    target = host_dir / f"{digest}.wav"
    if not target.exists():
        host_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(tts(text, language))
        partial.replace(target)
    return f"{inside_dir}/{digest}"
