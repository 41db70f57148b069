"""A real Kannel for tests: Debian's bearerbox and smsbox (package `kannel`) with the project's kannel.conf
template, and Kannel's own fake SMSC client `fakesmsc` (package `kannel-extras`) connected to bearerbox's
`smsc = fake` group. Everything bearerbox hands the SMSC, fakesmsc prints as
`got message N: <sender receiver text|data message>`: `received()` reads those lines back.

Ports on loopback from 18000 (below the ephemeral range), shifted by CENTRALITA_TEST_PORT_SHIFT (the rule of
tests/integration/stack.py's port_base), so two suites on one machine do not collide.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from messaging.kannel import KannelConf, KannelFiles, KannelPorts, binary
from messaging.sms import KannelConfig

BASE = 18000
_GOT = re.compile(r"got message (\d+): <(.*)>\s*$", re.IGNORECASE)  # "Got message" in Debian's 1.4.5


def port_base(base: int) -> int:
    return base + int(os.environ.get("CENTRALITA_TEST_PORT_SHIFT") or 0)


@dataclass(frozen=True)
class FakeSms:
    sender: str
    receiver: str
    text: str


def parse_line(line: str) -> FakeSms:
    """fakesmsc's line: 'sender receiver text <text>', or 'sender receiver ucs-2 <url-encoded UTF-16BE>'
    (Kannel sent coding 2), or 'sender receiver data <url-encoded bytes>' ('+' is a space, as in a form)."""
    sender, receiver, kind, message = (line.split(" ", 3) + ["", "", "", ""])[:4]
    if kind in ("data", "ucs-2"):
        raw = urllib.parse.unquote_to_bytes(message.replace("+", "%20"))
        try:
            message = raw.decode("utf-16-be") if kind == "ucs-2" else raw.decode("utf-8")
        except UnicodeDecodeError:
            message = raw.decode("latin-1")
    return FakeSms(sender, receiver, message)


def _wait_port(port: int, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s; log:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class KannelGateway:
    def __init__(self, workdir: Path, base: int | None = None) -> None:
        base = port_base(BASE) if base is None else base
        self.workdir = workdir
        self.ports = KannelPorts(admin=base + 13, smsbox=base + 1, sendsms=base + 14, fake_smsc=base + 10)
        self.user, self.password = "centralita", secrets.token_urlsafe(12)
        self.conf = KannelConf(
            ports=self.ports,
            files=KannelFiles(log_dir=workdir / "log", spool_dir=workdir / "spool"),
            user=self.user,
            password=self.password,
            admin_password=secrets.token_urlsafe(12),
            sender="Centralita",
        )
        self.procs: dict[str, subprocess.Popen] = {}
        self.fakesmsc_log = workdir / "log" / "fakesmsc.log"

    @property
    def url(self) -> str:
        return self.conf.sendsms_url()

    def config(self, **kw) -> KannelConfig:
        return KannelConfig(**{"url": self.url, "user": self.user, "password": self.password, "timeout_s": 10.0, **kw})

    def settings_env(self) -> dict[str, str]:
        """The CENTRALITA_KANNEL_* variables a process under test sends with."""
        return {
            "CENTRALITA_KANNEL_SENDSMS_URL": self.url,
            "CENTRALITA_KANNEL_USER": self.user,
            "CENTRALITA_KANNEL_PASSWORD": self.password,
        }

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        out = (self.workdir / "log" / f"{name}.out").open("ab")
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.workdir)
        self.procs[name] = proc
        return proc

    def start(self) -> KannelGateway:
        bearerbox, smsbox, fakesmsc = binary("bearerbox"), binary("smsbox"), binary("fakesmsc")
        if not (bearerbox and smsbox and fakesmsc):
            raise RuntimeError("Kannel is not installed: scripts/setup.sh --test installs kannel and kannel-extras")
        (self.workdir / "log").mkdir(parents=True, exist_ok=True)
        (self.workdir / "spool").mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "kannel.conf"
        conf.write_text(self.conf.text())
        self._spawn("bearerbox", [bearerbox, str(conf)])
        _wait_port(self.ports.smsbox, 30, "bearerbox", self.workdir / "log" / "bearerbox.out")
        _wait_port(self.ports.fake_smsc, 30, "bearerbox's fake SMSC", self.workdir / "log" / "bearerbox.out")
        # fakesmsc must write one message first: a line without spaces, which bearerbox ignores
        # ("invalid message syntax"), so no incoming SMS reaches smsbox. -m 1: then it only listens.
        with self.fakesmsc_log.open("ab") as out:
            self.procs["fakesmsc"] = subprocess.Popen(
                [fakesmsc, "-H", "127.0.0.1", "-r", str(self.ports.fake_smsc), "-i", "0.1", "-m", "1", "ping"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
            )
        self._spawn("smsbox", [smsbox, str(conf)])
        _wait_port(self.ports.sendsms, 30, "smsbox", self.workdir / "log" / "smsbox.out")
        self._wait_log(self.workdir / "log" / "bearerbox.log", "Fakesmsc client connected", 30)
        return self

    def _wait_log(self, path: Path, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists() and needle in path.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise RuntimeError(f"'{needle}' not in {path.name} within {timeout} s:\n{_tail(path)}")

    def received(self) -> list[FakeSms]:
        """Every message fakesmsc got from bearerbox so far, in order."""
        if not self.fakesmsc_log.exists():
            return []
        out = []
        for line in self.fakesmsc_log.read_text(errors="replace").splitlines():
            found = _GOT.search(line)
            if found:
                out.append(parse_line(found.group(2)))
        return out

    def wait_for(self, count: int, timeout: float = 20.0, to: str | None = None) -> list[FakeSms]:
        """Messages (to `to`, if given) once at least `count` arrived; the list as it stands at the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.received() if to is None or m.receiver == to]
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.1)

    def stop(self) -> None:
        for name in ("smsbox", "fakesmsc", "bearerbox"):
            proc = self.procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
