"""One mapping from Asterisk's channel and endpoint names to agents: the desk softphone and the browser
phone (`<agent>-web`) are the same agent; trunks, Local channels and strangers are nobody."""

from __future__ import annotations

import json
import sqlite3

import pytest

from centralita.telephony import endpoints as ep

AGENTS = {"agent1", "ana", "ana-maria"}


@pytest.mark.parametrize(
    "channel, agent",
    [
        ("PJSIP/agent1-0000002a", "agent1"),
        ("PJSIP/agent1-web-0000002b", "agent1"),
        ("PJSIP/ana-maria-00000003", "ana-maria"),
        ("PJSIP/ana-maria-web-00000004", "ana-maria"),
        ("PJSIP/ana-00000005", "ana"),
        ("PJSIP/demo-0000002a", ""),
        ("PJSIP/stranger-web-0000002b", ""),
        ("Local/cb1@x-0001;1", ""),
        ("", ""),
    ],
)
def test_agent_of_a_channel(channel, agent):
    assert ep.agent_of(channel, AGENTS) == agent


def test_endpoint_names_interfaces_and_devices():
    assert ep.agent_of_endpoint("agent1-web", AGENTS) == "agent1" == ep.agent_of_endpoint("agent1", AGENTS)
    assert ep.agent_of_endpoint("agent2-web", AGENTS) == ""
    assert ep.interface("ana") == "PJSIP/ana" and ep.interface("ana", "web") == "PJSIP/ana-web"
    assert ep.device_of("PJSIP/ana-web", "ana") == "web" and ep.device_of("PJSIP/ana", "ana") == "desk"
    assert ep.device_of("Local/ana@agents", "ana") == "other" and ep.device_of("", "ana") == ""
    assert ep.is_agent_channel("PJSIP/ana-web-00000001", "ana")
    assert not ep.is_agent_channel("PJSIP/ana-maria-00000001", "ana") and not ep.is_agent_channel("PJSIP/x-1", "")


def test_the_like_patterns_match_exactly_the_agents_channels_in_a_json_list():
    """As api.calls.service.own_calls uses them on the call records' JSON `channels` column (real SQLite)."""
    rows = {
        "desk": ["PJSIP/trunk-00000001", "PJSIP/ana-00000002"],
        "web": ["PJSIP/ana-web-00000004", "PJSIP/trunk-00000003"],
        "other agent": ["PJSIP/ana-maria-00000006"],
        "other agent's browser": ["PJSIP/ana-maria-web-00000007"],
        "trunk only": ["PJSIP/trunk-00000008"],
    }
    db = sqlite3.connect(":memory:")
    db.execute("create table calls (name text, channels text)")
    db.executemany("insert into calls values (?, ?)", [(k, json.dumps(v)) for k, v in rows.items()])

    def matching(agent: str) -> set[str]:
        found: set[str] = set()
        for pattern in ep.channel_like_patterns(agent):
            found |= {
                n for (n,) in db.execute("select name from calls where channels like ? escape '\\'", [f'%"{pattern}"%'])
            }
        return found

    assert matching("ana") == {"desk", "web"}
    assert matching("ana-maria") == {"other agent", "other agent's browser"}
    assert matching("an_") == set()  # a LIKE wildcard in a name is a plain character
