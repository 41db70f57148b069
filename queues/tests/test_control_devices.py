"""Logging into queues with one of the agent's phones (queues/control.py): the member is that phone's
interface, named after the agent; one phone at a time; pause and logout act on the phone logged in.
A stand-in answers the AMI actions as app_queue does (the real one: tests/integration/test_browser_phone.py)."""

from __future__ import annotations

import asyncio

import pytest

from centralita.errors import FieldError
from queues import control


class AppQueue:
    """Queue members as Asterisk keeps them, answering QueueStatus/QueueAdd/QueueRemove/QueuePause."""

    def __init__(self):
        self.members: dict[tuple[str, str], dict] = {}  # (queue, interface) → member
        self.sent: list[dict] = []

    async def send(self, action: dict, single: bool = False, timeout: float | None = None):
        self.sent.append(dict(action))
        kind = action["Action"]
        if kind == "QueueStatus":
            wanted = action.get("Member", "")
            return [{"Response": "Success"}] + [
                {
                    "Event": "QueueMember",
                    "Queue": q,
                    "Name": m["name"],
                    "Location": i,
                    "StateInterface": m["state"],
                    "Paused": "1" if m["paused"] else "0",
                    "PausedReason": m["reason"],
                    "Status": "1",
                    "Penalty": m["penalty"],
                }
                for (q, i), m in sorted(self.members.items())
                if not wanted or wanted in (i, m["name"])  # app_queue: interface or member name
            ]
        if kind == "QueueAdd":
            key = (action["Queue"], action["Interface"])
            if key in self.members:
                return {"Response": "Error", "Message": "Unable to add interface: Already there"}
            self.members[key] = {
                "name": action["MemberName"],
                "state": action["StateInterface"],
                "paused": action["Paused"] == "true",
                "reason": "",
                "penalty": action["Penalty"],
            }
        elif kind == "QueueRemove":
            if self.members.pop((action["Queue"], action["Interface"]), None) is None:
                return {"Response": "Error", "Message": "Unable to remove interface: Not there"}
        elif kind == "QueuePause":
            hit = [m for (_q, i), m in self.members.items() if i == action["Interface"]]
            if not hit:
                return {"Response": "Error", "Message": "Interface not found"}
            for m in hit:
                m["paused"], m["reason"] = action["Paused"] == "true", action.get("Reason", "")
        return {"Response": "Success"}


def run(coro):
    return asyncio.run(coro)


def test_a_browser_login_makes_the_web_phone_the_member_named_after_the_agent():
    ami = AppQueue()
    added = run(control.login(ami, "ana", [("ventas", 0), ("cobros", 2)], "web"))
    assert added == ["ventas", "cobros"]
    assert set(ami.members) == {("ventas", "PJSIP/ana-web"), ("cobros", "PJSIP/ana-web")}
    assert all(m["name"] == "ana" and m["state"] == "PJSIP/ana-web" for m in ami.members.values())
    present = run(control.membership(ami, "ana"))
    assert {q: m["device"] for q, m in present.items()} == {"ventas": "web", "cobros": "web"}
    # again with the same phone: nothing new; with the desk phone: refused, nothing changed
    assert run(control.login(ami, "ana", [("ventas", 0), ("cobros", 2)], "web")) == []
    with pytest.raises(FieldError) as err:
        run(control.login(ami, "ana", [("ventas", 0)], "desk"))
    assert err.value.status == 409 and err.value.field == "device" and "web phone" in err.value.message
    assert set(ami.members) == {("ventas", "PJSIP/ana-web"), ("cobros", "PJSIP/ana-web")}

    run(control.pause(ami, "ana", True, "lunch"))
    assert all(m["paused"] and m["reason"] == "lunch" for m in ami.members.values())
    assert [a["Interface"] for a in ami.sent if a["Action"] == "QueuePause"] == ["PJSIP/ana-web"]
    run(control.pause(ami, "ana", False))
    # a skill added while logged in joins with the same phone
    run(control.apply_skill(ami, "ana", "reclamos", 1))
    assert ("reclamos", "PJSIP/ana-web") in ami.members
    assert sorted(run(control.logout(ami, "ana"))) == ["cobros", "reclamos", "ventas"]
    assert ami.members == {}
    # logged out, the desk phone may log in
    assert run(control.login(ami, "ana", [("ventas", 0)])) == ["ventas"]
    assert set(ami.members) == {("ventas", "PJSIP/ana")}


def test_another_agent_whose_name_starts_the_same_is_not_mine():
    ami = AppQueue()
    run(control.login(ami, "ana-maria", [("ventas", 0)], "web"))
    assert run(control.membership(ami, "ana")) == {}
    with pytest.raises(FieldError, match="logged out"):
        run(control.logout(ami, "ana"))
