"""SIP security on the real Asterisk, tried with the attackers' own tools (SIPVicious svwar, svcrack,
svmap) and sipp: extensions cannot be enumerated, password guessing is cut off by a ban that expires,
toll fraud never reaches the trunk, registrations are not taken over, and TLS REGISTER works.

Each attacker has its own loopback source address (the whole 127.0.0.0/8 is on lo), so a ban never
blocks the harness on 127.0.0.1 (which is on the allow-list anyway). The trunk is a sipp UAS on
127.0.0.3 that records every INVITE it receives: the proof that no fraud attempt left through it."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sip_probe import OptionsResponder, SipUA
from stack import Stack, port_base

from conftest import _require_tools

PORT_BASE = port_base(30000)
pytestmark = pytest.mark.asterisk

TRUNK_IP = "127.0.0.3"
BAN_SECONDS = 20  # short (the expiry test waits it out), long enough for the admin test to lift its bans
THRESHOLD = 4
ADMIN = ("boss", "boss-password-1")
FRAUD_NUMBERS = ["01144201234567", "0044201234567", "+44201234567", "19005551234", "900123456"]
ALLOWED_NUMBER = "2345678"  # CENTRALITA_OUTBOUND_ROUTES=_2XXXXXX (a national number)

# SIPVicious 0.3.3's svwar and svcrack accept -b/--bindingip but never pass it on (only svmap does):
# this runs the tool's own main() with the binding address handed to its scanner class.
SHIM = """
import importlib, sys
tool, cls_name, ip = sys.argv[1:4]
module = importlib.import_module("sipvicious." + tool)
original = getattr(module, cls_name)
setattr(module, cls_name, lambda *a, **k: original(*a, **{**k, "bindingip": ip}))
sys.argv = [tool, *sys.argv[4:]]
sys.exit(module.main())
"""
SIPVICIOUS = Path("/usr/share/sipvicious")


def _sipvicious(tool: str, cls: str, src: str, *args: str, timeout: float = 120, background: bool = False):
    argv = ["/usr/bin/python3", "-c", SHIM, tool, cls, src, *args]  # Debian's package: the system Python
    env = {"PYTHONPATH": str(SIPVICIOUS), "PATH": "/usr/bin:/bin"}
    if background:
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    return out.stdout + out.stderr


def svwar(src: str, sip_port: int, names: list[str], workdir: Path) -> str:
    words = workdir / f"svwar-{src}.txt"
    words.write_text("\n".join(names) + "\n")
    return _sipvicious("svwar", "TakeASip", src, "-d", str(words), "-p", str(sip_port), "127.0.0.1")


def svcrack(src: str, sip_port: int, user: str, passwords: list[str], workdir: Path, background: bool = False):
    """svcrack's dictionary attack. While banned, PJSIP's ACL answers its fresh REGISTERs with 403
    (no challenge, so no guess is tried) and svcrack keeps knocking: long attacks run in the background."""
    words = workdir / f"svcrack-{src}.txt"
    words.write_text("\n".join(passwords) + "\n")
    args = ["-u", user, "-d", str(words), "-p", str(sip_port), "--maximumtime", "3", "127.0.0.1"]
    return _sipvicious("svcrack", "ASipOfRedWine", src, *args, background=background)


def ban_of(stack, src: str, passwords: int = THRESHOLD * 3) -> None:
    """Get `src` banned with svcrack's wrong guesses, then stop the attack."""
    attack = svcrack(src, stack.sip_port, "agent2", [f"wrong-{i}" for i in range(passwords)], stack.workdir, True)
    try:
        assert stack.wait_for(lambda: src in bans(stack), 20), bans(stack)
    finally:
        attack.kill()
        attack.communicate()


def svmap_invite(src: str, sip_port: int, number: str) -> str:
    argv = ["svmap", "-b", src, "-m", "INVITE", "-e", number, "-d", "-p", str(sip_port), "127.0.0.1"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout


def register_status(src: str, sip_port: int, user: str, password: str | None = None) -> int | None:
    ua = SipUA(src, sip_port, timeout=2)
    try:
        return ua.register(user, password).final
    finally:
        ua.close()


class TrunkUas:
    """sipp's built-in UAS on the trunk's address; -trace_msg keeps every message it received."""

    def __init__(self, workdir: Path, port: int):
        self.dir = workdir / "trunk"
        self.dir.mkdir()
        argv = ["sipp", "-sn", "uas", "-i", TRUNK_IP, "-p", str(port), "-aa", "-trace_msg", "-nostdin"]
        self.proc = subprocess.Popen(argv, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def invites(self) -> list[str]:
        """Request lines of every INVITE the trunk received."""
        lines = []
        for log in self.dir.glob("*_messages.log"):
            lines += [line for line in log.read_text(errors="replace").splitlines() if line.startswith("INVITE sip:")]
        return lines

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def self_signed(cert: Path, key: Path) -> None:
    """A throwaway certificate for 127.0.0.1 (the TLS transport's), made with `cryptography`."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)  # fixed: nothing here reads the clock
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=365 * 80))
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )


@pytest.fixture(scope="module")
def sec(tmp_path_factory):
    _require_tools()
    if not shutil.which("svmap") or not SIPVICIOUS.is_dir():
        pytest.fail("SIPVicious is missing (make setup-test installs the Debian package sipvicious)")
    data_dir = tmp_path_factory.mktemp("sipsec")
    self_signed(data_dir / "sip.crt", data_dir / "sip.key")
    trunk_port = PORT_BASE + 900
    trunk = TrunkUas(data_dir, trunk_port)
    s = Stack(data_dir, f"sqlite:///{data_dir / 'centralita.db'}", port_base=PORT_BASE)
    s.env.update(
        {
            "CENTRALITA_TRUNK_HOST": f"{TRUNK_IP}:{trunk_port}",
            "CENTRALITA_TRUNK_MATCH": TRUNK_IP,
            # What an internet-facing PJSIP (sip_bind 0.0.0.0) renders by default; loopback must ask for it.
            "CENTRALITA_SIP_TRUNK_FIRST": "true",
            "CENTRALITA_SECURITY_BAN_THRESHOLD": str(THRESHOLD),
            "CENTRALITA_SECURITY_BAN_WINDOW": "60",
            "CENTRALITA_SECURITY_BAN_SECONDS": str(BAN_SECONDS),
            "CENTRALITA_SECURITY_ALLOW": "127.0.0.1",
            "CENTRALITA_OUTBOUND_ROUTES": "_2XXXXXX",
            "CENTRALITA_SIP_TLS_PORT": str(PORT_BASE + 61),
            "CENTRALITA_SIP_TLS_CERT": str(data_dir / "sip.crt"),
            "CENTRALITA_SIP_TLS_KEY": str(data_dir / "sip.key"),
        }
    )
    s.sip_port = int(s.env["CENTRALITA_SIP_PORT"])
    s.workdir, s.trunk = data_dir, trunk
    try:
        s.cli("db", "upgrade")
        s.cli("user", "add", *ADMIN[:1], "--role", "admin", "--password", ADMIN[1])
        s.passwords, s.web_passwords = {}, {}
        for user, ext in (("agent1", "1001"), ("agent2", "1002"), ("agent3", "1003")):
            out = s.cli("queues", "agent-add", user, ext).stdout
            s.passwords[user] = out.split("softphone: user " + user + ", password ")[1].split()[0]
            s.web_passwords[user] = out.split("web password: ")[1].split()[0]
        s.start_redis()
        s.start_asterisk()
        s.start_service("fastagi")
        s.start_service("api")
        assert s.wait_health("ok"), f"stack not healthy: {s.health()}"
        s.boss = s.token(*ADMIN)
        # agent1's real phone is registered and alive (answers qualify) while it is attacked.
        s.phone = SipUA("127.0.0.1", s.sip_port)
        assert s.phone.register("agent1", s.passwords["agent1"], expires=300).final == 200
        assert trunk.proc.poll() is None, "the trunk's sipp UAS did not start"
        s.responder = OptionsResponder(s.phone)
        yield s
    finally:
        if getattr(s, "responder", None):
            s.responder.stop()
        s.stop_all()
        trunk.stop()


def bans(stack) -> list[str]:
    return [b["ip"] for b in stack.get("/api/security/bans", stack.boss).json()]


def events(stack, kind: str) -> list[dict]:
    return stack.get("/api/security/events", stack.boss, kind=kind, limit=1000).json()


def asterisk_log(stack) -> str:
    from centralita.telephony.pbx import instance_paths

    paths = instance_paths(stack.settings())
    return paths.host(f"{paths.log}/messages.log").read_text(errors="replace")


def asterisk_cli(stack, command: str) -> str:
    from centralita.telephony.pbx import Asterisk

    return Asterisk(stack.settings()).cli(command)


def cdr_rows(stack) -> list[dict]:
    import sqlite3

    with sqlite3.connect(stack.workdir / "centralita.db") as db:
        db.row_factory = sqlite3.Row
        return [
            dict(r) for r in db.execute("SELECT dst, dcontext, channel, dstchannel, lastapp, lastdata FROM cdr_entries")
        ]


def test_svwar_cannot_tell_extensions_apart_from_any_address(sec):
    names = ["agent1", "agent2", "nobody1", "1001"]
    for src in ("127.0.0.2", TRUNK_IP):
        out = svwar(src, sec.sip_port, names, sec.workdir)
        assert "found nothing" in out, out
        assert not [line for line in out.splitlines() if line.startswith("|") and "agent" in line], out
        # The same answer for a real agent and a name that does not exist (401 / the trunk's 404).
        assert register_status(src, sec.sip_port, "agent2") == register_status(src, sec.sip_port, "nobody2"), src
    assert register_status("127.0.0.2", sec.sip_port, "agent2") == 401
    assert register_status(TRUNK_IP, sec.sip_port, "agent2") == 404  # the trunk has no such AOR
    assert "127.0.0.2" not in bans(sec)


def test_svcrack_is_cut_off_by_a_ban_that_expires(sec):
    attacker = "127.0.0.4"
    guesses = [f"guess-{i}" for i in range(3000)] + [sec.passwords["agent1"]]
    attack = svcrack(attacker, sec.sip_port, "agent1", guesses, sec.workdir, background=True)
    try:
        assert sec.wait_for(lambda: attacker in bans(sec), 20), bans(sec)
        # Banned: REGISTERs from there are refused by PJSIP's ACL; everyone else is answered as before.
        assert sec.wait_for(lambda: register_status(attacker, sec.sip_port, "agent1") in (403, None), 10)
        assert register_status("127.0.0.2", sec.sip_port, "agent1") == 401
        time.sleep(2)  # svcrack keeps knocking, refused
    finally:
        attack.kill()
        out = attack.communicate()[0]
    assert sec.passwords["agent1"] not in out and "The password for" not in out, out[-2000:]
    # Cut off: far fewer guesses were answered than svcrack had.
    failed = sec.wait_for(lambda: len([e for e in events(sec, "ChallengeResponseFailed") if e["ip"] == attacker]), 10)
    print(f"svcrack: {failed} of {len(guesses)} guesses answered before the ban cut it off")
    assert THRESHOLD <= failed < len(guesses), failed
    assert "did not pass ACL test" in asterisk_log(sec)
    # The real phone's registration is untouched.
    assert "agent1/sip:agent1@127.0.0.1" in asterisk_cli(sec, "pjsip show contacts")
    # Expired: answered again, lifted in the list, both audited.
    assert sec.wait_for(lambda: register_status(attacker, sec.sip_port, "agent1") == 401, BAN_SECONDS + 20)
    assert attacker not in bans(sec)
    audit = sec.get("/api/audit", sec.boss, limit=500).json()
    rows = audit["items"]
    assert {r["action"] for r in rows if r["target"] == attacker} >= {"security.ban", "security.unban"}


def test_the_allow_list_is_never_banned(sec):
    out = svcrack("127.0.0.1", sec.sip_port, "agent2", [f"wrong-{i}" for i in range(THRESHOLD * 3)], sec.workdir)
    assert "The password for" not in out
    assert sec.wait_for(
        lambda: len([e for e in events(sec, "ChallengeResponseFailed") if e["ip"] == "127.0.0.1"]) >= THRESHOLD, 10
    )
    assert "127.0.0.1" not in bans(sec)
    assert register_status("127.0.0.1", sec.sip_port, "agent2") == 401


def test_an_admin_lifts_bans_by_api_and_cli(sec):
    # Each ban is lifted right after it is seen, well within BAN_SECONDS even on a busy machine.
    url = f"{sec.api_url}/api/security/bans"
    headers = {"Authorization": f"Bearer {sec.boss}"}
    agent = sec.token("agent1", sec.web_passwords["agent1"])
    ban_of(sec, "127.0.0.5")
    assert sec.wait_for(lambda: register_status("127.0.0.5", sec.sip_port, "agent2") in (403, None), 10)
    assert sec.get("/api/security/bans", agent).status_code == 403
    assert httpx.delete(f"{url}/127.0.0.5", timeout=30).status_code == 401
    r = httpx.delete(f"{url}/127.0.0.5", headers=headers, timeout=30)
    assert r.status_code == 200 and r.json()["reloaded"] is True, r.text
    assert register_status("127.0.0.5", sec.sip_port, "agent2") == 401
    assert httpx.delete(f"{url}/127.0.0.5", headers=headers, timeout=30).status_code == 404
    bad = httpx.delete(f"{url}/not-an-ip", headers=headers, timeout=30)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "ip"

    ban_of(sec, "127.0.0.6")
    listed = sec.cli("security", "bans").stdout
    assert "127.0.0.6" in listed and "failed SIP authentications" in listed
    assert "unbanned 127.0.0.6" in sec.cli("security", "unban", "127.0.0.6").stdout
    assert register_status("127.0.0.6", sec.sip_port, "agent2") == 401
    refused = sec.cli("security", "unban", "127.0.0.6", check=False)
    assert refused.returncode != 0 and "ip: 127.0.0.6 is not banned" in refused.stderr


def test_a_guessed_password_cannot_take_over_a_live_registration(sec):
    # Even with the right password, a second contact is refused while the real phone answers qualify.
    assert register_status("127.0.0.8", sec.sip_port, "agent1", sec.passwords["agent1"]) == 403
    contacts = asterisk_cli(sec, "pjsip show contacts")
    assert "agent1/sip:agent1@127.0.0.1" in contacts and "127.0.0.8" not in contacts


def test_toll_fraud_never_reaches_the_trunk_unless_a_route_allows_it(sec):
    before = len(sec.trunk.invites())
    # From an unknown source (svmap's INVITE probe, as scanners send): challenged, never dialled.
    for number in FRAUD_NUMBERS[:3]:
        out = svmap_invite("127.0.0.7", sec.sip_port, number)
        assert "SIP/2.0 200" not in out, out
    # From the trunk's own address: the trunk's calls are inbound only (a DID, into a queue).
    for number in FRAUD_NUMBERS:
        ua = SipUA(TRUNK_IP, sec.sip_port)
        ua.invite(number, user="+50760000000")
        ua.close()
    # From an agent's own, authenticated softphone: refused by the dialplan, logged with its source.
    for number in FRAUD_NUMBERS:
        ua = SipUA("127.0.0.1", sec.sip_port)
        answer = ua.invite(number, user="agent2", password=sec.passwords["agent2"])
        ua.close()
        assert answer.final == 403, (number, answer.statuses)
    time.sleep(2)  # let any Dial that would have happened reach the trunk
    assert sec.trunk.invites()[before:] == []
    refused = sec.wait_for(
        lambda: len(events(sec, "TollRefused")) >= len(FRAUD_NUMBERS) and events(sec, "TollRefused"), 10
    )
    assert refused, events(sec, "TollRefused")
    assert {e["detail"]["number"] for e in refused} == set(FRAUD_NUMBERS)
    assert {(e["ip"], e["account"]) for e in refused} == {("127.0.0.1", "agent2")}
    log = asterisk_log(sec)
    for number in FRAUD_NUMBERS:
        assert f"Centralita refused call to {number} from agent2 at 127.0.0.1:" in log
    assert "127.0.0.7" in log and "No matching endpoint found" in log
    assert [e for e in events(sec, "InvalidAccountID") if e["ip"] == "127.0.0.7"]
    assert sec.wait_for(lambda: len(cdr_rows(sec)) > 0, 15)
    assert not [r for r in cdr_rows(sec) if "@trunk" in r["lastdata"] or r["dstchannel"].startswith("PJSIP/trunk")]

    # The allowed route is the one way out, and it works.
    ua = SipUA("127.0.0.1", sec.sip_port)
    ua.invite(ALLOWED_NUMBER, user="agent2", password=sec.passwords["agent2"])
    ua.close()
    assert sec.wait_for(lambda: [i for i in sec.trunk.invites()[before:] if ALLOWED_NUMBER in i], 10), (
        sec.trunk.invites()
    )
    assert len(sec.trunk.invites()[before:]) == 1
    assert sec.wait_for(
        lambda: [r for r in cdr_rows(sec) if r["dst"] == ALLOWED_NUMBER and "@trunk" in r["lastdata"]], 15
    )


def test_voicemail_main_is_unreachable(sec):
    dialplan = asterisk_cli(sec, "dialplan show")
    assert "VoiceMailMain" not in dialplan and "from-agents-sip" in dialplan


def test_tls_register_and_tls_rendered(sec):
    from centralita.telephony.pbx import instance_paths

    paths = instance_paths(sec.settings())
    pjsip = paths.host(f"{paths.etc}/pjsip.conf").read_text()
    assert "protocol = tls" in pjsip and f"bind = 127.0.0.1:{PORT_BASE + 61}" in pjsip
    assert "transport-tls" in asterisk_cli(sec, "pjsip show transports")
    ua = SipUA("127.0.0.1", PORT_BASE + 61, tls=True)
    try:
        assert ua.register("agent3", sec.passwords["agent3"]).statuses == [401, 200]
        # The contact lives as long as its TLS connection (Asterisk drops it when the connection closes).
        aor = asterisk_cli(sec, "pjsip show aor agent3")
        assert "sip:agent3@127.0.0.1:" in aor and "transport=tls" in aor.lower(), aor
    finally:
        ua.close()
