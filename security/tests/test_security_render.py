"""What security/ renders into Asterisk's config (no Asterisk needed): the bans ACL, how requests are
identified, outbound routes, TLS/SRTP, and voicemail PINs that are never 0000."""

from datetime import timedelta

import pytest

from centralita.settings import Settings, SettingsError
from centralita.telephony.pbx import standard_paths
from centralita.telephony.render import render_files


@pytest.fixture
def render(stack_env, tmp_path, db_url):
    from sqlmodel import Session

    from centralita.db import get_engine, session_scope
    from queues.service import create_agent

    with session_scope() as session:
        create_agent(session, "agent1", "1001")

    def run(**overrides):
        settings = Settings(**overrides)
        with Session(get_engine()) as session:
            files = render_files(settings, standard_paths(tmp_path / "out"), session)
        return {name: data.decode() for name, data in files.items()}

    return run


def test_defaults_no_tls_no_routes_and_every_number_refused(render):
    files = render()
    pjsip, dialplan = files["pjsip.conf"], files["extensions.conf"]
    assert "transport-tls" not in pjsip and "media_encryption" not in pjsip and "type = acl" not in pjsip
    assert "context = from-agents-sip" in pjsip
    # A guessed password cannot replace a registered phone that still answers qualify.
    assert "max_contacts = 1\nremove_existing = no\nremove_unavailable = yes" in pjsip
    routes = dialplan.split("[centralita-outbound-routes]")[1].split("[centralita-toll-refused]")[0]
    assert "Dial(" not in routes  # no route: nothing a softphone dials reaches the trunk
    assert "exten => _[+0-9*#].,1,Log(WARNING" in dialplan
    # On loopback the demo's softphones share the trunk's 127.0.0.1: user names first there.
    assert "endpoint_identifier_order = username,ip,anonymous" in pjsip
    assert "endpoint_identifier_order = ip,username,anonymous" in render(sip_bind="0.0.0.0")["pjsip.conf"]
    assert "VoiceMailMain" not in "".join(v for k, v in files.items() if k.startswith("extensions"))
    assert "security" in files["manager.conf"].split("read =")[1].splitlines()[0]


def test_allowed_routes_are_the_only_dials_to_the_trunk(render):
    dialplan = render(outbound_routes="_2XXXXXX,_6XXXXXXX")["extensions.conf"]
    routes = dialplan.split("[centralita-outbound-routes]")[1].split("[centralita-toll-refused]")[0]
    assert routes.count("Dial(PJSIP/${EXTEN}@trunk,60)") == 2
    assert "exten => _2XXXXXX,1," in routes and "exten => _6XXXXXXX,1," in routes


def test_tls_and_srtp_options(render, tmp_path):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    with pytest.raises(SettingsError, match="CENTRALITA_SIP_TLS_CERT"):
        render(sip_tls_port=5061)
    cert.write_text("cert"), key.write_text("key")
    pjsip = render(
        sip_tls_port=5061,
        sip_tls_cert=cert,
        sip_tls_key=key,
        sip_srtp="sdes",
        sip_trunk_tls=True,
        trunk_host="t.example",
    )["pjsip.conf"]
    assert "protocol = tls" in pjsip and "bind = 127.0.0.1:5061" in pjsip
    assert "cert_file = /etc/asterisk/keys/sip.crt" in pjsip
    assert pjsip.count("media_encryption = sdes") == 2  # the trunk and agent1
    assert "transport = transport-tls" in pjsip and "contact = sip:t.example;transport=tls" in pjsip
    assert "media_encryption = dtls" in render(sip_srtp="dtls", trunk_host="t.example")["pjsip.conf"]


def test_bans_in_force_are_denied_by_the_acl(render):
    from centralita.db import session_scope
    from centralita.timeutil import utcnow
    from security import service

    with session_scope() as session:
        service.ban(session, "203.0.113.5", utcnow(), 600, reason="test")
        service.ban(session, "203.0.113.6", utcnow() - timedelta(seconds=700), 600, reason="over")
    pjsip = render()["pjsip.conf"]
    assert "[centralita-bans]\ntype = acl\ndeny = 203.0.113.5\n" in pjsip and "203.0.113.6" not in pjsip


def test_voicemail_pins_are_per_box_stable_and_never_0000():
    from jinja2 import Environment, FileSystemLoader

    from centralita.telephony.pbx import TEMPLATE_DIR
    from security.render import voicemail_pin

    settings = Settings(secret_key="k" * 32)
    text = (
        Environment(loader=FileSystemLoader(TEMPLATE_DIR))
        .get_template("voicemail.conf.j2")
        .render(ivr_mailboxes=["100", "200"], voicemail_pin=lambda box: voicemail_pin(settings, box))
    )
    pins = [line.split("=>")[1].split(",")[0].strip() for line in text.splitlines() if "=>" in line]
    assert len(pins) == 2 and len(set(pins)) == 2 and "0000" not in pins and all(len(p) == 8 for p in pins)
    assert voicemail_pin(settings, "100") == voicemail_pin(Settings(secret_key="k" * 32), "100")
    assert voicemail_pin(settings, "100") != voicemail_pin(Settings(secret_key="j" * 32), "100")
