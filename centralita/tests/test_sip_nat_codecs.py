"""Softphones off the LAN and their codecs: the NAT settings reach both PJSIP transports, agents'
softphones are offered G.722 and opus after G.711, the trunk G.711 only, and the codec modules load."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from centralita import db
from centralita.settings import Settings, get_settings, reset_settings_cache
from centralita.telephony.pbx import standard_paths
from centralita.telephony.render import render_files


def _render(monkeypatch, tmp_path, **env) -> dict[str, str]:
    from centralita.demo import seed

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()
    settings = get_settings()
    with Session(db.get_engine()) as session:
        seed(session, settings)
        files = render_files(settings, standard_paths(tmp_path), session)
    reset_settings_cache()
    return {name: data.decode() for name, data in files.items()}


def _section(text: str, name: str) -> str:
    found = re.search(rf"^\[{re.escape(name)}\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M)
    assert found, f"no [{name}] section"
    return found.group(1)


def test_nat_settings_reach_the_transports(stack_env, tmp_path, monkeypatch):
    text = _render(
        monkeypatch,
        tmp_path,
        CENTRALITA_SIP_EXTERNAL_MEDIA_ADDRESS="203.0.113.7",
        CENTRALITA_SIP_EXTERNAL_SIGNALING_ADDRESS="pbx.example.org",
        CENTRALITA_SIP_LOCAL_NET="192.168.0.0/16, 10.0.0.0/8",
    )["pjsip.conf"]
    udp = _section(text, "transport-udp")
    assert "external_media_address = 203.0.113.7" in udp
    assert "external_signaling_address = pbx.example.org" in udp
    assert udp.count("local_net = ") == 2 and "local_net = 10.0.0.0/8" in udp


def test_without_nat_settings_nothing_is_added(stack_env, tmp_path, monkeypatch):
    text = _render(monkeypatch, tmp_path)["pjsip.conf"]
    assert "external_media_address" not in text and "local_net" not in text


def test_softphones_get_wideband_codecs_the_trunk_g711(stack_env, tmp_path, monkeypatch):
    files = _render(monkeypatch, tmp_path)
    pjsip = files["pjsip.conf"]
    assert "allow = alaw,ulaw,g722,opus" in _section(pjsip, "agent1").split("type = auth")[0]
    assert "allow = alaw,ulaw\n" in _section(pjsip, "demo")
    for module in ("codec_g722.so", "codec_opus_open_source.so", "res_format_attr_opus.so"):
        assert f"load => {module}" in files["modules.conf"]


@pytest.mark.parametrize(
    "field,value",
    [
        ("sip_external_media_address", "1.2.3.4\nallow=all"),
        ("sip_external_signaling_address", "a b"),
        ("sip_local_net", "not-a-network"),
        ("sip_agent_codecs", "g722;opus"),
    ],
)
def test_bad_nat_or_codec_settings_name_the_field(field, value):
    with pytest.raises(Exception, match=field):
        Settings(**{field: value})
