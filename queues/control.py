"""Live changes through AMI: login/logout (QueueAdd/QueueRemove), pause (QueuePause), spying.

Asterisk is the truth for who is logged in: we ask it (QueueStatus) before acting, so an error
answer never leaves our view and Asterisk's apart.

Which phone the queues ring: the agent logs in with one device, `desk` (their softphone,
PJSIP/<agent>) or `web` (the browser phone, PJSIP/<agent>-web). That interface is the queue member
and its state interface, so the queue rings exactly that phone and sees it busy, ringing or
unreachable (a browser phone not registered is skipped, never rung); the member name is always the
agent, so queue_log, the live state and the reports name the agent whichever phone it is. One device
at a time: logging in with the other one while logged in is refused (log out first). A Local channel
ringing both phones was the alternative: the queue would see neither phone's state, a busy desk phone
would not stop the queue ringing the browser, and a call answered on either leaves a Local channel
between the caller and the agent. The agent's extension still rings both (extensions.conf)."""

from __future__ import annotations

from centralita.telephony import channel_vars as cv
from centralita.telephony.ami import AmiClient, AmiUnavailable
from centralita.telephony.endpoints import DEVICES, Device, device_of
from centralita.telephony.endpoints import interface as device_interface
from queues.service import QueueError


def interface(username: str, device: Device = "desk") -> str:
    return device_interface(username, device)


def _messages(result) -> list:
    return result if isinstance(result, list) else [result]


def _check(result, field: str) -> None:
    for msg in _messages(result):
        if msg.get("Response") == "Error":
            raise QueueError(field, f"Asterisk refused: {msg.get('Message', 'error')}", 409)


async def _action(ami: AmiClient, action: dict):
    # These answer once and then (maybe) send events panoramisk would wait for as a list.
    single = action["Action"] in ("QueueAdd", "QueueRemove", "QueuePause", "QueuePenalty", "Originate")
    try:
        return await ami.send(action, single=single)
    except AmiUnavailable as exc:
        raise QueueError("asterisk", f"AMI unavailable: {exc}", 503) from None


async def membership(ami: AmiClient, username: str) -> dict[str, dict]:
    """{queue: {paused, reason, status, penalty, interface, device}} for every queue the agent is logged
    into, with either phone."""
    # QueueStatus' Member filter matches a member's interface or its member name: ours is the agent.
    result = await _action(ami, {"Action": "QueueStatus", "Member": username})
    mine = {interface(username, d) for d in DEVICES}
    out = {}
    for msg in _messages(result):
        location = msg.get("StateInterface", msg.get("Location"))
        if msg.get("Event") == "QueueMember" and location in mine:
            out[msg["Queue"]] = {
                "paused": msg.get("Paused") == "1",
                "reason": msg.get("PausedReason", ""),
                "status": int(msg.get("Status", 0) or 0),
                "penalty": int(msg.get("Penalty", 0) or 0),
                "interface": msg.get("Location", location),
                "device": device_of(msg.get("Location", location), username),
            }
    return out


def _add(queue: str, username: str, device: Device, penalty: int, paused: bool) -> dict:
    return {
        "Action": "QueueAdd",
        "Queue": queue,
        "Interface": interface(username, device),
        "Penalty": str(penalty),
        "MemberName": username,
        "StateInterface": interface(username, device),
        "Paused": str(paused).lower(),
    }


async def login(ami: AmiClient, username: str, skills: list[tuple[str, int]], device: Device = "desk") -> list[str]:
    """Into every queue of `skills` with the phone `device`; queues already joined with it stay as they are."""
    if not skills:
        raise QueueError("agent", f"agent '{username}' has no queue skills to log into", 409)
    present = await membership(ami, username)
    other = sorted({m["device"] for m in present.values()} - {device})
    if other:
        raise QueueError(
            "device", f"agent '{username}' is logged in with the {other[0]} phone: log out before changing phone", 409
        )
    added = []
    for queue, penalty in skills:
        if queue in present:
            continue
        _check(await _action(ami, _add(queue, username, device, penalty, paused=False)), "queue")
        added.append(queue)
    return added


async def require_logged_in(ami: AmiClient, username: str) -> dict[str, dict]:
    present = await membership(ami, username)
    if not present:
        raise QueueError("agent", f"agent '{username}' is logged out", 409)
    return present


async def logout(ami: AmiClient, username: str) -> list[str]:
    present = await require_logged_in(ami, username)
    for queue, member in present.items():
        _check(await _action(ami, {"Action": "QueueRemove", "Queue": queue, "Interface": member["interface"]}), "queue")
    return sorted(present)


async def pause(ami: AmiClient, username: str, paused: bool, reason: str = "") -> None:
    """Pause or resume in every queue the agent serves (a break is a break everywhere)."""
    present = await require_logged_in(ami, username)
    if not paused and not any(m["paused"] for m in present.values()):
        raise QueueError("agent", f"agent '{username}' is not paused", 409)
    for member_interface in sorted({m["interface"] for m in present.values()}):
        action = {"Action": "QueuePause", "Interface": member_interface, "Paused": "true" if paused else "false"}
        if reason:
            action["Reason"] = reason
        _check(await _action(ami, action), "agent")


async def apply_skill(ami: AmiClient, username: str, queue: str, penalty: int | None) -> None:
    """A skill change while logged in applies at once, with the phone the agent is logged in with; a
    logged-out agent picks it up at login."""
    present = await membership(ami, username)
    if not present:
        return
    member = present.get(queue)
    if penalty is None and member:
        _check(await _action(ami, {"Action": "QueueRemove", "Queue": queue, "Interface": member["interface"]}), "queue")
    elif penalty is not None and member:
        _check(
            await _action(
                ami,
                {"Action": "QueuePenalty", "Queue": queue, "Interface": member["interface"], "Penalty": str(penalty)},
            ),
            "penalty",
        )
    elif penalty is not None:
        paused = any(m["paused"] for m in present.values())
        device: Device = "web" if any(m["device"] == "web" for m in present.values()) else "desk"
        _check(await _action(ami, _add(queue, username, device, penalty, paused)), "queue")


SPY_OPTIONS = {"listen": "qE", "whisper": "qEw", "barge": "qEB"}


async def spy(ami: AmiClient, supervisor_endpoint: str, agent_channel: str, mode: str) -> None:
    """Ring the supervisor's softphone; once answered it runs ChanSpy on the agent's exact channel."""
    options = SPY_OPTIONS[mode]
    _check(
        await _action(
            ami,
            {
                "Action": "Originate",
                "Channel": interface(supervisor_endpoint),
                "Application": "ChanSpy",
                "Data": f"{agent_channel},{options}",
                "Async": "true",
                "Timeout": "30000",
                "CallerID": f'"{mode}" <{mode}>',
                "Variable": f"{cv.SPY}={mode}",
            },
        ),
        "supervisor",
    )
