"""An agent's phones in Asterisk's names, and the way back: which agent a PJSIP channel belongs to.

Every agent `<agent>` has a desk softphone (PJSIP endpoint `<agent>`) and, for the browser, a WebRTC
endpoint `<agent>-web` (phone/service.py says why two). Asterisk names their channels
`PJSIP/<endpoint>-<8 hex digits>`. Everything that must tell whose call a channel was on — the live
state, the event stream, call records, recordings, the reports' transfer legs, who may pause a
recording or give a call's disposition — asks here, so a browser-phone call names its agent everywhere.
Queue members are added with the agent as member name, so queue_log names the agent whichever phone
took the call."""

from __future__ import annotations

from collections.abc import Container
from typing import Literal

Device = Literal["desk", "web"]
DEVICES: tuple[Device, ...] = ("desk", "web")
WEB_SUFFIX = "-web"
TECH = "PJSIP/"
CHANNEL_SUFFIX_DIGITS = 8  # Asterisk's PJSIP channel names end in "-%08x"


def endpoint(agent: str, device: Device = "desk") -> str:
    """The PJSIP endpoint of the agent's `device`."""
    return f"{agent}{WEB_SUFFIX}" if device == "web" else agent


def interface(agent: str, device: Device = "desk") -> str:
    """What Dial() and queue members name: PJSIP/<endpoint>."""
    return f"{TECH}{endpoint(agent, device)}"


def device_of(interface_name: str, agent: str) -> str:
    """'desk' or 'web' when `interface_name` is one of the agent's phones; 'other' for anything else
    (e.g. a member someone added by hand as a Local channel); '' for none."""
    if not interface_name:
        return ""
    return next((d for d in DEVICES if interface_name == interface(agent, d)), "other")


def agent_of_endpoint(name: str, agents: Container[str]) -> str:
    """'agent1' or 'agent1-web' → 'agent1' when agent1 is a known agent, else ''. A known agent's own
    name wins (queues.service refuses agent names ending in -web, so the two never collide)."""
    if name in agents:
        return name
    if name.endswith(WEB_SUFFIX) and name[: -len(WEB_SUFFIX)] in agents:
        return name[: -len(WEB_SUFFIX)]
    return ""


def agent_of(channel: str, agents: Container[str]) -> str:
    """'PJSIP/agent1-0000002a' or 'PJSIP/agent1-web-0000002b' → 'agent1' when agent1 is known, else ''
    (trunks, Local channels, strangers)."""
    if not channel.startswith(TECH):
        return ""
    return agent_of_endpoint(channel[len(TECH) :].rsplit("-", 1)[0], agents)


def is_agent_channel(channel: str, agent: str) -> bool:
    return bool(agent) and agent_of(channel, {agent}) == agent


def channel_like_patterns(agent: str) -> list[str]:
    """SQL LIKE patterns (escape character backslash) matching exactly the agent's channel names, one per
    phone: `PJSIP/<endpoint>-` then 8 single-character wildcards, so agent 'ana' never matches 'ana-maria'."""
    escaped = agent.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    wild = "_" * CHANNEL_SUFFIX_DIGITS
    return [f"{TECH}{endpoint(escaped, d)}-{wild}" for d in DEVICES]
