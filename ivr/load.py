"""Many real SIP calls at once from one sipp process (the 20-calls-while-publishing test and the bench)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Template

from centralita.settings import Settings, SettingsError
from centralita.telephony.sipp import SCENARIOS, digit_steps, free_port

UNTIL_BYE = Path(__file__).parent / "sipp" / "uac_until_bye.xml.j2"


@dataclass
class LoadResult:
    completed: int
    failed: int
    seconds: float
    exit_code: int
    output: str


def run_load(
    settings: Settings,
    number: str,
    calls: int,
    rate: float,
    digits: str,
    hold_seconds: float,
    first_digit_ms: int = 1500,
    caller: str = "5551234",
    timeout: float = 300,
    until_bye: bool = False,
) -> LoadResult:
    """`calls` calls at `rate` new calls/s, all allowed at once; each keys `digits` (',' = 1 s pause),
    then hangs up after `hold_seconds` — or, with `until_bye`, waits for the flow to hang up."""
    sipp = shutil.which("sipp")
    if not sipp:
        raise SettingsError("sipp is not installed (apt-get install sip-tester)")
    host = "127.0.0.1" if settings.sip_bind in ("0.0.0.0", "") else settings.sip_bind
    with tempfile.TemporaryDirectory(prefix="centralita-load-") as tmp:
        if until_bye:
            from centralita.telephony import dtmf_pcap

            lead_ms, keyed = dtmf_pcap.leading_pause(digits)
            scenario = Template(UNTIL_BYE.read_text()).render(
                caller=caller,
                first_digit_ms=first_digit_ms + lead_ms,
                pcap=dtmf_pcap.write(keyed, Path(tmp))[0],
                bye_timeout_ms=int(timeout * 1000),
            )
        else:
            scenario = Template((SCENARIOS / "uac_dtmf.xml.j2").read_text()).render(
                caller=caller,
                caller_name="Load caller",
                first_digit_ms=first_digit_ms,
                hold_ms=int(hold_seconds * 1000),
                digit_pcaps=digit_steps(digits, Path(tmp)),
            )
        xml, stats = Path(tmp) / "uac.xml", Path(tmp) / "stats.csv"
        xml.write_text(scenario)
        media = free_port()
        media -= media % 2
        argv = [
            sipp,
            f"{host}:{settings.sip_port}",
            "-sf",
            str(xml),
            "-s",
            number,
            "-m",
            str(calls),
            "-l",
            str(calls),
            "-r",
            f"{rate:g}",
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
            "-nostdin",
            "-trace_stat",
            "-stf",
            str(stats),
            "-fd",
            "1",
            "-max_socket",
            str(max(1024, calls * 8)),
        ]
        started = time.monotonic()
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 30, cwd=tmp)
        elapsed = time.monotonic() - started
        completed, failed = _totals(stats)
    return LoadResult(
        completed=completed,
        failed=failed if completed + failed else calls,
        seconds=elapsed,
        exit_code=proc.returncode,
        output=(proc.stdout + proc.stderr)[-3000:],
    )


def _totals(stats: Path) -> tuple[int, int]:
    """Cumulative successful and failed calls from sipp's last statistics line."""
    if not stats.exists():
        return 0, 0
    with stats.open() as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    if len(rows) < 2:
        return 0, 0
    head, last = rows[0], rows[-1]
    value = dict(zip(head, last))
    return int(value.get("SuccessfulCall(C)", 0) or 0), int(value.get("FailedCall(C)", 0) or 0)
