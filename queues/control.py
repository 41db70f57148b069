"""Live changes through AMI: login/logout (QueueAdd/QueueRemove), pause (QueuePause), spying.

Asterisk is the truth for who is logged in: we ask it (QueueStatus) before acting, so an error
answer never leaves our view and Asterisk's apart."""

from __future__ import annotations

from centralita.telephony import channel_vars as cv
from centralita.telephony.ami import AmiClient, AmiUnavailable
from queues.service import QueueError


def interface(username: str) -> str:
    return f"PJSIP/{username}"


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
    """{queue: {paused, reason, status, penalty}} for every queue the agent is logged into."""
    result = await _action(ami, {"Action": "QueueStatus", "Member": interface(username)})
    out = {}
    for msg in _messages(result):
        if msg.get("Event") == "QueueMember" and msg.get("StateInterface", msg.get("Location")) == interface(username):
            out[msg["Queue"]] = {
                "paused": msg.get("Paused") == "1",
                "reason": msg.get("PausedReason", ""),
                "status": int(msg.get("Status", 0) or 0),
                "penalty": int(msg.get("Penalty", 0) or 0),
            }
    return out


async def login(ami: AmiClient, username: str, skills: list[tuple[str, int]]) -> list[str]:
    if not skills:
        raise QueueError("agent", f"agent '{username}' has no queue skills to log into", 409)
    present = await membership(ami, username)
    added = []
    for queue, penalty in skills:
        if queue in present:
            continue
        _check(
            await _action(
                ami,
                {
                    "Action": "QueueAdd",
                    "Queue": queue,
                    "Interface": interface(username),
                    "Penalty": str(penalty),
                    "MemberName": username,
                    "StateInterface": interface(username),
                    "Paused": "false",
                },
            ),
            "queue",
        )
        added.append(queue)
    return added


async def require_logged_in(ami: AmiClient, username: str) -> dict[str, dict]:
    present = await membership(ami, username)
    if not present:
        raise QueueError("agent", f"agent '{username}' is logged out", 409)
    return present


async def logout(ami: AmiClient, username: str) -> list[str]:
    present = await require_logged_in(ami, username)
    for queue in present:
        _check(await _action(ami, {"Action": "QueueRemove", "Queue": queue, "Interface": interface(username)}), "queue")
    return sorted(present)


async def pause(ami: AmiClient, username: str, paused: bool, reason: str = "") -> None:
    """Pause or resume in every queue the agent serves (a break is a break everywhere)."""
    present = await require_logged_in(ami, username)
    if not paused and not any(m["paused"] for m in present.values()):
        raise QueueError("agent", f"agent '{username}' is not paused", 409)
    action = {"Action": "QueuePause", "Interface": interface(username), "Paused": "true" if paused else "false"}
    if reason:
        action["Reason"] = reason
    _check(await _action(ami, action), "agent")


async def apply_skill(ami: AmiClient, username: str, queue: str, penalty: int | None) -> None:
    """A skill change while logged in applies at once; a logged-out agent picks it up at login."""
    present = await membership(ami, username)
    if not present:
        return
    if penalty is None and queue in present:
        _check(await _action(ami, {"Action": "QueueRemove", "Queue": queue, "Interface": interface(username)}), "queue")
    elif penalty is not None and queue in present:
        _check(
            await _action(
                ami,
                {"Action": "QueuePenalty", "Queue": queue, "Interface": interface(username), "Penalty": str(penalty)},
            ),
            "penalty",
        )
    elif penalty is not None:
        paused = any(m["paused"] for m in present.values())
        _check(
            await _action(
                ami,
                {
                    "Action": "QueueAdd",
                    "Queue": queue,
                    "Interface": interface(username),
                    "Penalty": str(penalty),
                    "MemberName": username,
                    "StateInterface": interface(username),
                    "Paused": str(paused).lower(),
                },
            ),
            "queue",
        )


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
