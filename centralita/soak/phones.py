"""The soak's SIP user agents: sipp softphones that answer as queue agents, and the far end of the
dialer's trunk (answers, says "¿Aló?" so AMD hears a person, talks, hangs up). All on loopback."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from pathlib import Path

from jinja2 import Template

from centralita.settings import SettingsError
from centralita.telephony.sipp import SCENARIOS


def speech(directory: Path, name: str, text: str, pad_seconds: float) -> str:
    """espeak-ng Spanish, then `pad_seconds` of silence, as raw A-law for sipp's rtp_stream (looped)."""
    wav, out = directory / f"{name}.wav", directory / f"{name}.al"
    subprocess.run(
        ["espeak-ng", "-v", "es-419", "-s", "160", "-w", str(wav), text], check=True, capture_output=True, timeout=30
    )
    subprocess.run(
        ["sox", str(wav), "-r", "8000", "-c", "1", "-e", "a-law", "-t", "raw", str(out), "pad", "0", str(pad_seconds)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return str(out)


class UserAgent:
    """One sipp process answering calls on a fixed loopback port (a softphone or the trunk's far end)."""

    def __init__(self, workdir: Path, name: str, port: int, rtp_port: int, audio: str, hangup_ms: int = 0):
        sipp = shutil.which("sipp")
        if not sipp:
            raise SettingsError("sipp is not installed (apt-get install sip-tester)")
        self.name, self.log = name, workdir / f"{name}.log"
        xml = workdir / f"{name}.xml"
        xml.write_text(
            Template((SCENARIOS / "uas_agent.xml.j2").read_text()).render(
                user=name, ring_ms=300, audio=audio, hangup_ms=hangup_ms
            )
        )
        self._out = (workdir / f"{name}.out").open("wb")
        # A UAS answers any number of calls; -timeout only bounds a forgotten process.
        argv = [sipp, "-sf", str(xml), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1", "-mp", str(rtp_port)]
        argv += ["-nostdin", "-trace_logs", "-log_file", str(self.log), "-timeout", "7200s"]
        self.proc = subprocess.Popen(
            argv, cwd=workdir, stdout=self._out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    def count(self, label: str) -> int:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return len(re.findall(rf"^{label} ", text, re.M))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)  # sipp: dump logs and quit
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._out.close()


class Callers:
    """One sipp process placing `calls` calls at `rate` a second to `number` (the uac_dtmf scenario
    the demo call uses: key `digits`, stay `hold_seconds`, hang up). Unlike ivr.load.run_load it runs
    in the background, so the soak can stop it at its deadline or on Ctrl-C."""

    def __init__(self, workdir: Path, settings, name: str, number: str, calls: int, rate: float, **call):
        from centralita.telephony.sipp import digit_steps, free_port

        sipp = shutil.which("sipp")
        if not sipp:
            raise SettingsError("sipp is not installed (apt-get install sip-tester)")
        directory = workdir / name
        directory.mkdir()
        scenario = Template((SCENARIOS / "uac_dtmf.xml.j2").read_text()).render(
            caller=call["caller"],
            caller_name=f"Soak {name}",
            first_digit_ms=call["first_digit_ms"],
            hold_ms=int(call["hold_seconds"] * 1000),
            digit_pcaps=digit_steps(call["digits"], directory),
        )
        (directory / "uac.xml").write_text(scenario)
        self.stats = directory / "stats.csv"
        media = free_port()
        media -= media % 2
        argv = [sipp, f"127.0.0.1:{settings.sip_port}", "-sf", str(directory / "uac.xml"), "-s", number]
        argv += ["-m", str(calls), "-l", str(calls), "-r", f"{rate:g}", "-i", "127.0.0.1", "-p", str(free_port())]
        argv += ["-mi", "127.0.0.1", "-mp", str(media), "-timeout", f"{int(call['timeout'])}s", "-nostdin"]
        argv += ["-trace_stat", "-stf", str(self.stats), "-fd", "1", "-max_socket", str(max(1024, calls * 8))]
        self._out = (directory / "sipp.out").open("wb")
        self.proc = subprocess.Popen(
            argv, cwd=directory, stdout=self._out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    def done(self) -> bool:
        return self.proc.poll() is not None

    def totals(self) -> dict[str, int]:
        """Calls created, successful and failed (cumulative), from sipp's last statistics line."""
        import csv

        rows = list(csv.reader(self.stats.open(), delimiter=";")) if self.stats.exists() else []
        value = dict(zip(rows[0], rows[-1])) if len(rows) >= 2 else {}
        names = {"placed": "TotalCallCreated", "completed": "SuccessfulCall(C)", "failed": "FailedCall(C)"}
        return {key: int(value.get(column) or 0) for key, column in names.items()}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)  # dump the statistics, then quit
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._out.close()
