"""Names of the channel variables our dialplan, FastAGI scripts, AMI actions and screen pop share.

One place for them: Python code uses these constants and the templates get them as `cv` (the name,
for Set()/Getvar) and `ref` (`${NAME}`, to read it), so a rename cannot leave one side behind.
`centralita/tests/test_conventions.py` fails when a template or module spells one out by hand.
A leading `__` (see `inherited`) makes Asterisk copy the variable to every channel the call creates."""

from __future__ import annotations

from types import SimpleNamespace

QUEUE = "CENTRALITA_QUEUE"  # the queue the call goes to (IVR, overflow, callbacks)
LOOKUP = "CENTRALITA_LOOKUP"  # what a lookup found, as JSON, for the agent's screen pop
FLOW = "CENTRALITA_FLOW"  # the IVR flow of the dialled DID
DID = "CENTRALITA_DID"  # the number the caller dialled
DIGITS = "CENTRALITA_DIGITS"  # every digit pressed in the IVR
SPLIT = "CENTRALITA_SPLIT"  # a | b: which arm of a flow's A/B test the FastAGI step chose
SURVEY = "CENTRALITA_SURVEY"  # the survey context to run after the agent hangs up
MAILBOX = "CENTRALITA_MAILBOX"  # the voicemail destination
EXTENSION = "CENTRALITA_EXTENSION"  # an agent's extension destination
NUMBER = "CENTRALITA_NUMBER"  # an external number destination
CALLER = "CENTRALITA_CALLER"  # the caller's number in E.164, once identified
CONTACT = "CENTRALITA_CONTACT"  # the known contact's id
CONTACT_NAME = "CENTRALITA_CONTACT_NAME"  # and name
AGENT = "CENTRALITA_AGENT"  # the agent of an outbound call
SPY = "CENTRALITA_SPY"  # listen | whisper | barge, on a supervisor's spy call
REC_ON = "CENTRALITA_REC_ON"  # 1 or 0: this scope records
REC_FILE = "CENTRALITA_REC_FILE"  # the MixMonitor file of the call
REC_LANGUAGE = "CENTRALITA_REC_LANGUAGE"  # the recording's language
REC_PARTY = "CENTRALITA_REC_PARTY"  # the other party's number when CALLERID is ours (outbound)
REC_ID = "CENTRALITA_REC_ID"  # the MixMonitor id, to stop it
REC_BASE = "CENTRALITA_REC_BASE"  # the call's recording file without .raw, inherited by the agents' channels
REC_T0 = "CENTRALITA_REC_T0"  # when the call's recording started (epoch ms), inherited likewise

ALL: dict[str, str] = {k: v for k, v in dict(globals()).items() if k.isupper() and isinstance(v, str)}


def inherited(name: str) -> str:
    """`__NAME`: set on a channel and copied to all channels created from it."""
    return f"__{name}"


def ref(name: str) -> str:
    """`${NAME}`: the variable's value in dialplan text."""
    return "${" + name + "}"


def template_context() -> dict:
    """`cv.QUEUE` → CENTRALITA_QUEUE and `ref.QUEUE` → ${CENTRALITA_QUEUE}, for the .j2 files."""
    return {
        "cv": SimpleNamespace(**ALL),
        "ref": SimpleNamespace(**{k: ref(v) for k, v in ALL.items()}),
    }
