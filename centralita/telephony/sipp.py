"""Real SIP calls from sipp (Debian's sip-tester): the demo call and the integration tests use it."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Template

from centralita.settings import Settings, SettingsError

SCENARIOS = Path(__file__).parent / "sipp_scenarios"
PCAP_DIRS = [Path("/usr/share/sip-tester"), Path("/usr/share/sipp/pcap"), Path("/usr/share/doc/sip-tester/pcap")]
DIGIT_NAMES = {"*": "star", "#": "pound"}


@dataclass
class SippCall:
    exit_code: int
    call_id: str
    answered_ms: int | None
    ended_ms: int | None
    hangup_ms: int | None
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.ended_ms is not None

    @property
    def talk_seconds(self) -> float | None:
        """From the 200 OK to the 200 OK of our BYE, measured by sipp itself."""
        if self.answered_ms is None or self.ended_ms is None:
            return None
        return (self.ended_ms - self.answered_ms) / 1000


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def digit_pcap(digit: str) -> str:
    name = f"dtmf_2833_{DIGIT_NAMES.get(digit, digit)}.pcap"
    for directory in PCAP_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    raise SettingsError(f"sipp's DTMF capture {name} not found (apt-get install sip-tester)")


def digit_steps(digits: str, directory: Path) -> list[str | int]:
    """What the scenario plays: one generated RFC 4733 capture of all `digits` (',' = a one-second
    pause, as on a phone's dial string), then a pause while it plays; pauses before the first digit
    are a scenario pause before the capture (sipp would skip them)."""
    from centralita.telephony import dtmf_pcap

    if not digits.strip(","):
        return [1000 * len(digits)] if digits else []
    if any(d not in dtmf_pcap.EVENTS and d != "," for d in digits):
        raise SettingsError(f"digits: {digits!r} (only 0-9, *, # and ',')")
    lead_ms, digits = dtmf_pcap.leading_pause(digits)
    pcap, duration_ms = dtmf_pcap.write(digits, directory)
    return [*([lead_ms] if lead_ms else []), pcap, max(duration_ms - 600, 0)]


def _tone(seconds: float, directory: Path) -> str:
    from centralita.telephony import dtmf_pcap

    return dtmf_pcap.tone(max(seconds - 0.5, 0.5), directory)


def place_call(
    settings: Settings,
    number: str,
    digits: str = "",
    hold_seconds: float = 4.0,
    caller: str = "5551234",
    first_digit_ms: int = 2500,
    timeout: float = 90,
    tone: bool = False,
) -> SippCall:
    sipp = shutil.which("sipp")
    if not sipp:
        raise SettingsError("sipp is not installed (apt-get install sip-tester)")
    host = "127.0.0.1" if settings.sip_bind in ("0.0.0.0", "") else settings.sip_bind
    with tempfile.TemporaryDirectory(prefix="centralita-sipp-") as tmp:
        scenario = Template((SCENARIOS / "uac_dtmf.xml.j2").read_text()).render(
            caller=caller,
            caller_name="Demo caller",
            first_digit_ms=first_digit_ms,
            hold_ms=int(hold_seconds * 1000),
            digit_pcaps=digit_steps(digits, Path(tmp)),
            tone_pcap=_tone(hold_seconds, Path(tmp)) if tone else "",
        )
        xml, log = Path(tmp) / "uac.xml", Path(tmp) / "calls.log"
        xml.write_text(scenario)
        media = free_port()
        media -= media % 2  # RTP on an even port
        argv = [
            sipp,
            f"{host}:{settings.sip_port}",
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
            "-mp",
            str(media),
            "-timeout",
            f"{int(timeout)}s",
            "-timeout_error",
            "-nostdin",
            "-trace_logs",
            "-log_file",
            str(log),
        ]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 15, cwd=tmp)
        text = log.read_text() if log.exists() else ""

    def tick(label: str) -> int | None:
        m = re.search(rf"{label} (\d+) (\S+)", text)
        return int(m.group(1)) if m else None

    answered = re.search(r"ANSWERED \d+ (\S+)", text)
    return SippCall(
        exit_code=proc.returncode,
        call_id=answered.group(1) if answered else "",
        answered_ms=tick("ANSWERED"),
        ended_ms=tick("ENDED"),
        hangup_ms=tick("HANGUP"),
        output=(proc.stdout + proc.stderr)[-4000:] + text[-2000:],
    )
