"""Pausing a live recording for sensitive moments (card numbers: PCI DSS) and resuming it.

MixMonitorMute (AMI) mutes both directions: MixMonitor keeps writing silence, so the recording's
timeline stays whole and `Recording.pauses` ([{start, end}] in seconds from its start) says where.
Who may: a supervisor, or the agent on that call (one of the agent's channels, desk or browser phone
(centralita.telephony.endpoints), in the same call, i.e. with the recording's linkedid)."""

from __future__ import annotations

from sqlmodel import Session, select

from centralita.errors import Conflict, FieldError, NotFound
from centralita.telephony.ami import AmiUnavailable
from centralita.telephony.endpoints import is_agent_channel
from centralita.timeutil import utcnow
from recorder.models import Recording


def _list(result) -> list[dict]:
    return [dict(m) for m in (result if isinstance(result, list) else [result])]


async def live_channels(ami) -> list[dict]:
    """Every channel Asterisk has now (CoreShowChannels)."""
    if ami is None:
        raise FieldError("asterisk", "the AMI link is down; try again", 503)
    try:
        reply = await ami.send({"Action": "CoreShowChannels"}, timeout=5)
    except AmiUnavailable:
        raise FieldError("asterisk", "the AMI link is down; try again", 503) from None
    return [m for m in _list(reply) if m.get("Event") == "CoreShowChannel"]


def recording_of(session: Session, uniqueid: str) -> Recording:
    row = session.exec(select(Recording).where(Recording.uniqueid == uniqueid)).first()
    if row is None:
        raise NotFound("uniqueid", f"no recording of channel {uniqueid}")
    if row.stage != "recording":
        raise Conflict("uniqueid", f"the recording of {uniqueid} has ended")
    return row


def may_control(channels: list[dict], row: Recording, user, agent_username: str) -> bool:
    if getattr(user, "role", "") in ("supervisor", "admin"):
        return True
    return any(
        c.get("Linkedid") == row.linkedid and is_agent_channel(c.get("Channel", ""), agent_username) for c in channels
    )


def channel_name(channels: list[dict], uniqueid: str) -> str:
    for c in channels:
        if c.get("Uniqueid") == uniqueid:
            return c.get("Channel", "")
    raise Conflict("uniqueid", f"channel {uniqueid} is no longer up")


def mark(row: Recording, paused: bool) -> dict:
    """Open or close a pause in `row.pauses`; returns it."""
    pauses = [dict(p) for p in row.pauses]
    offset = round(max(0.0, (utcnow() - row.started_at).total_seconds()), 3)
    is_open = bool(pauses) and pauses[-1].get("end") is None
    if paused:
        if is_open:
            raise Conflict("state", "the recording is already paused")
        pauses.append({"start": offset, "end": None})
    else:
        if not is_open:
            raise Conflict("state", "the recording is not paused")
        pauses[-1]["end"] = offset
    row.pauses = pauses  # a new list: the JSON column sees the change
    row.updated_at = utcnow()
    return pauses[-1]


async def mute(ami, channel: str, paused: bool) -> None:
    action = {"Action": "MixMonitorMute", "Channel": channel, "Direction": "both", "State": "1" if paused else "0"}
    try:
        reply = await ami.send(action, single=True)
    except AmiUnavailable:
        raise FieldError("asterisk", "AMI did not answer; try again", 503) from None
    if dict(reply).get("Response") != "Success":
        raise Conflict("uniqueid", f"Asterisk refused: {dict(reply).get('Message', 'error')}")
