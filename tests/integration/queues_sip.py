"""Background sipp user agents for the queue tests: auto-answering agents and callers that run
concurrently, each logging wall-clock times (sipp's own view of the call)."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from jinja2 import Template

from centralita.telephony.sipp import SCENARIOS, digit_pcap, free_port

_port_cursor = [0]


def tone_file(directory: Path) -> str:
    """Three seconds of a 440 Hz tone as raw A-law: what the agents and callers 'say'."""
    path = directory / "tone.al"
    if not path.exists():
        subprocess.run(
            ["sox", "-n", "-r", "8000", "-c", "1", "-e", "a-law", "-t", "raw", str(path), "synth", "3", "sine", "440"],
            check=True,
            capture_output=True,
            timeout=30,
        )
    return str(path)


def _rtp_range(base: int) -> list[str]:
    # Each sipp gets its own RTP ports, so parallel agents and callers never collide.
    _port_cursor[0] += 1
    start = base + 40 * _port_cursor[0]
    return ["-mp", str(start)]


class Sipp:
    def __init__(self, name: str, argv: list[str], workdir: Path):
        self.name, self.workdir = name, workdir
        self.log = workdir / f"{name}.log"
        self.out = (workdir / f"{name}.out").open("wb")
        self.proc = subprocess.Popen(
            argv + ["-log_file", str(self.log)],
            cwd=workdir,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def events(self) -> list[tuple[str, float, str]]:
        """[(label, epoch seconds, call id)] in the order sipp logged them."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [
            (m.group(1), float(m.group(2)), m.group(3))
            for m in re.finditer(r"([A-Z]+) \S+\s+\S+\s+(\d+\.\d+) (\S+)", text)
        ]

    def first(self, label: str) -> float | None:
        return next((t for lab, t, _ in self.events() if lab == label), None)

    def count(self, label: str) -> int:
        return sum(1 for lab, _, _ in self.events() if lab == label)

    def wait(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)  # sipp: quit after dumping logs
            if self.wait(3) is None:
                self.proc.kill()
                self.proc.wait(5)
        self.out.close()


def _sipp() -> str:
    found = shutil.which("sipp")
    assert found, "sipp is not installed"
    return found


def start_agent(
    workdir: Path, user: str, port: int, rtp_base: int, ring_ms: int = 300, audio: str = "", hangup_ms: int = 0
) -> Sipp:
    xml = workdir / f"uas-{user}.xml"
    xml.write_text(
        Template((SCENARIOS / "uas_agent.xml.j2").read_text()).render(
            user=user, ring_ms=ring_ms, audio=audio, hangup_ms=hangup_ms
        )
    )
    argv = [
        _sipp(),
        "-sf",
        str(xml),
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-mi",
        "127.0.0.1",
        *_rtp_range(rtp_base),
        "-nostdin",
        "-trace_logs",
        "-timeout",
        "600s",
    ]
    return Sipp(f"agent-{user}", argv, workdir)


def start_caller(
    workdir: Path,
    sip_port: int,
    number: str,
    caller: str,
    hold_ms: int,
    rtp_base: int,
    audio: str = "",
    key: str = "",
    key_after_ms: int = 0,
    expect_bye: bool = False,
) -> Sipp:
    xml = workdir / f"uac-{caller}.xml"
    xml.write_text(
        Template((SCENARIOS / "uac_queue.xml.j2").read_text()).render(
            caller=caller,
            caller_name=f"Caller {caller}",
            hold_ms=hold_ms,
            audio=audio,
            key_pcap=digit_pcap(key) if key else "",
            key_after_ms=key_after_ms,
            expect_bye=expect_bye,
        )
    )
    argv = [
        _sipp(),
        f"127.0.0.1:{sip_port}",
        "-sf",
        str(xml),
        "-s",
        number,
        "-m",
        "1",
        "-l",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        str(free_port()),
        "-mi",
        "127.0.0.1",
        *_rtp_range(rtp_base),
        "-nostdin",
        "-trace_logs",
        "-timeout",
        "120s",
        "-timeout_error",
    ]
    return Sipp(f"caller-{caller}", argv, workdir)


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="centralita-queue-sipp-"))


def register(workdir: Path, sip_port: int, user: str, password: str, expires: int = 60) -> int:
    """REGISTER with digest auth from a free port; sipp's exit code (0: registered)."""
    xml = workdir / f"register-{user}.xml"
    xml.write_text(
        Template((SCENARIOS / "uac_register.xml.j2").read_text()).render(user=user, password=password, expires=expires)
    )
    argv = [
        _sipp(),
        f"127.0.0.1:{sip_port}",
        "-sf",
        str(xml),
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        str(free_port()),
        "-nostdin",
        "-timeout",
        "15s",
        "-timeout_error",
    ]
    return subprocess.run(argv, cwd=workdir, capture_output=True, timeout=30).returncode
