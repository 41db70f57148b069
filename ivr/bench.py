"""`centralita bench ivr`: the same flow with a lookup step, run three ways against a real Asterisk of
its own (temporary data dir, own ports): our FastAGI server, a process-per-call AGI script (pyst2), and
pure dialplan (CURL + JSON_DECODE) as the ceiling. sipp places the calls and keys the digits.

Figures per way: completed and failed calls (sipp), calls/s, the step's own work time per call
(agi_p50/p99_ms, from each call's CDR), the AGI side's CPU per call and the machine's (Asterisk, our
processes and the scripts Asterisk spawned, the lookup service; not sipp)."""

from __future__ import annotations

import csv
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from centralita.settings import REPO_ROOT

VARIANTS = {"fastagi": "7100", "process_agi": "7101", "dialplan_only": "7102"}
WARMUP = {"fastagi": "7200", "process_agi": "7201", "dialplan_only": "7202"}  # not measured
FLOWS = {"fastagi": "bench-fastagi", "process_agi": "bench-process", "dialplan_only": "bench-dialplan"}
DIGITS = "123456"
FIRST_DIGIT_MS = 1200  # callers key their number once the short prompt has started, not at the answer
CLK = os.sysconf("SC_CLK_TCK")


def _flow(lookup_url: str) -> dict:
    return {
        "start": "lookup",
        "operator_digit": False,
        "nodes": {
            "lookup": {
                "type": "lookup",
                "prompt": "bench-number",
                "min_digits": 6,
                "max_digits": 6,
                "tries": 1,
                "url": lookup_url + "/{digits}",
                "timeout_s": 3.0,
                "say": [{"field": "amount", "say": "number"}],
                "next": {"type": "node", "node": "info"},
                "fallback": {"type": "hangup"},
            },
            # The info message keeps each call in the IVR for a while, so many are inside at once.
            "info": {"type": "play", "prompt": "bench-info", "next": {"type": "node", "node": "bye"}},
            "bye": {"type": "hangup"},
        },
    }


def _free_tcp() -> int:
    from centralita.telephony.sipp import free_port

    return free_port(1)


def _env(data_dir: Path) -> dict[str, str]:
    from centralita.telephony.sipp import free_port

    rtp = 30000 + (os.getpid() % 40) * 250
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENTRALITA_") and k not in ("DATABASE_URL",)}
    env.update(
        {
            "CENTRALITA_DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{data_dir / 'bench.db'}",
            "CENTRALITA_SECRET_KEY": secrets.token_hex(16),
            "CENTRALITA_AMI_SECRET": secrets.token_hex(8),
            "CENTRALITA_ARI_SECRET": secrets.token_hex(8),
            "CENTRALITA_SIP_PORT": str(free_port()),
            "CENTRALITA_AMI_PORT": str(_free_tcp()),
            "CENTRALITA_ARI_PORT": str(_free_tcp()),
            "CENTRALITA_FASTAGI_PORT": str(_free_tcp()),
            "CENTRALITA_API_PORT": str(_free_tcp()),
            "CENTRALITA_REDIS_PORT": str(_free_tcp()),
            "CENTRALITA_RTP_START": str(rtp),
            "CENTRALITA_RTP_END": str(rtp + 1999),
        }
    )
    return env


@contextmanager
def _environment(env: dict[str, str]):
    """This process uses the bench's settings and database while the bench runs, then its own again."""
    from centralita import db
    from centralita.settings import reset_settings_cache

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    reset_settings_cache()
    db.reset_engine_cache()
    try:
        yield
    finally:
        db.reset_engine_cache()
        os.environ.clear()
        os.environ.update(saved)
        reset_settings_cache()


def _seed(settings, lookup_url: str) -> None:
    from sqlmodel import Session

    from centralita import db
    from centralita.telephony.models import Trunk
    from ivr import service
    from ivr.prompts import save_prompt

    db.upgrade()
    with Session(db.get_engine()) as session:
        session.add(Trunk(name="bench", match="127.0.0.1"))
        save_prompt(
            session,
            "bench-info",
            text="Gracias por llamar. Le informamos que los trámites en línea están disponibles todos los días.",
        )
        save_prompt(session, "bench-number", text="Marque su número.")
        session.flush()
        for variant, flow in FLOWS.items():
            service.save(session, flow, _flow(lookup_url))
            service.publish(session, flow)
            service.set_did(session, VARIANTS[variant], flow)
            service.set_did(session, WARMUP[variant], flow)
        session.commit()


def _process_script(pbx) -> str:
    """The pyst2 script as Asterisk runs it: executable, with this interpreter (bind-mounted into the
    chroot at the same path) and the repository on its path."""
    inside = f"{pbx.paths.lib}/bench_agi"
    host = pbx.paths.host(inside)
    host.parent.mkdir(parents=True, exist_ok=True)
    host.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(REPO_ROOT)!r})\n"
        "from ivr.bench_agi import main\nmain()\n"
    )
    host.chmod(0o755)
    return inside


def _start_asterisk(pbx, log: Path) -> subprocess.Popen:
    """Asterisk in a private mount namespace where this Python and the repository are bind-mounted
    (read-only) at their own paths inside the chroot, so process-per-call scripts can run there."""
    pbx.prepare_dirs()
    argv = pbx._argv("-f", "-n")  # the same command the stack runs
    if pbx.paths.chrooted:
        wanted = sorted({str(Path(sys.executable).resolve().parents[2]), str(Path(sys.prefix)), str(REPO_ROOT)})
        sources = [s for s in wanted if not any(s != o and s.startswith(o + "/") for o in wanted)]
        mounts = " && ".join(
            f"mkdir -p {pbx.paths.root}{src} && mount --bind {src} {pbx.paths.root}{src} && "
            f"mount -o remount,bind,ro {pbx.paths.root}{src}"
            for src in sources
        )
        argv = ["unshare", "-m", "--propagation", "private", "--", "sh", "-c", f'{mounts} && exec "$@"', "sh", *argv]
    out = log.open("ab")
    proc = subprocess.Popen(
        argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
    )
    pbx.wait_booted(60, proc)
    return proc


def _cpu(pid: int) -> tuple[float, float]:
    """(own CPU seconds, CPU seconds of reaped children) of a process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime) / CLK, (cutime + cstime) / CLK


def _step_times(cdr_file: Path, did: str) -> tuple[list[float], dict[str, int]]:
    """The lookup step's own time of every call whose lookup succeeded (its path says `lookup:ok`):
    a call only counts as completed if the caller's digits were read, looked up and the answer said.
    Also how every call's lookup ended (ok, fail, invalid, or none if the call never got there)."""
    from api.calls.service import CDR_COLUMNS

    times: list[float] = []
    outcomes: dict[str, int] = {}
    if not cdr_file.exists():
        return times, outcomes
    with cdr_file.open() as fh:
        for row in csv.reader(fh):
            value = dict(zip(CDR_COLUMNS, row))
            if value.get("did") != did:
                continue
            step = next((p for p in value.get("path", "").split(">") if p.startswith("lookup:")), "lookup:none")
            outcomes[step[len("lookup:") :]] = outcomes.get(step[len("lookup:") :], 0) + 1
            if step == "lookup:ok" and value.get("userfield", "").startswith("agi_ms="):
                times.append(float(value["userfield"][len("agi_ms=") :]))
    return times, outcomes


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 2)


def _run_variant(settings, variant: str, calls: int, rate: float, pids: dict[str, int], cdr_file: Path) -> dict:
    from ivr.load import run_load

    measured = {
        "fastagi": ["asterisk", "fastagi", "lookup"],
        "process_agi": ["asterisk", "lookup"],
        "dialplan_only": ["asterisk", "lookup"],
    }[variant]
    # One call first, not measured: a server that runs all day is warm (pools, caches); scripts never are.
    run_load(
        settings,
        WARMUP[variant],
        calls=1,
        rate=1,
        digits=DIGITS,
        hold_seconds=0,
        first_digit_ms=FIRST_DIGIT_MS,
        timeout=60,
        until_bye=True,
    )
    before = {name: _cpu(pids[name]) for name in measured}
    result = run_load(
        settings,
        VARIANTS[variant],
        calls=calls,
        rate=rate,
        digits=DIGITS,
        hold_seconds=0,
        first_digit_ms=FIRST_DIGIT_MS,
        timeout=120,
        until_bye=True,
    )
    time.sleep(1.0)  # the last CDRs and reaped scripts
    after = {name: _cpu(pids[name]) for name in measured}
    own = {name: after[name][0] - before[name][0] for name in measured}
    children = after["asterisk"][1] - before["asterisk"][1]  # the spawned AGI scripts
    agi_cpu = {"fastagi": own.get("fastagi", 0.0), "process_agi": children, "dialplan_only": 0.0}[variant]
    total = sum(own.values()) + children
    times, outcomes = _step_times(cdr_file, VARIANTS[variant])
    completed = min(len(times), result.completed)  # sipp saw the whole flow and the lookup answered
    done = max(completed, 1)
    return {
        "completed": completed,
        "failed": calls - completed,
        "calls_per_s": round(completed / result.seconds, 2) if result.seconds else 0.0,
        "agi_p50_ms": _percentile(times, 0.50),
        "agi_p99_ms": _percentile(times, 0.99),
        "agi_cpu_s_per_call": round(agi_cpu / done, 5),
        "cpu_s_per_call": round(total / done, 5),
        "seconds": round(result.seconds, 1),
        "sip_completed": result.completed,
        "sip_failed": result.failed,
        "lookup_outcomes": outcomes,
    }


def run_bench(calls: int = 200, rate: float = 20.0, progress=None) -> dict:
    from centralita.settings import get_settings
    from centralita.telephony.pbx import Asterisk, instance_paths
    from centralita.telephony.render import render
    from ivr import render as ivr_render

    data_dir = Path(tempfile.mkdtemp(prefix="centralita-bench-ivr-"))
    env = _env(data_dir)
    procs: list[subprocess.Popen] = []
    say = progress or (lambda message: None)
    try:
        with _environment(env):
            settings = get_settings()
            lookup_port = _free_tcp()
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "ivr.bench_lookup", str(lookup_port)],
                    env=env,
                    cwd=REPO_ROOT,
                    start_new_session=True,
                )
            )
            say("seeding and rendering")
            _seed(settings, f"http://127.0.0.1:{lookup_port}")
            pbx = Asterisk(settings)
            ivr_render.COMPILE_MODES = {
                FLOWS["fastagi"]: {"record_step_ms": True},
                FLOWS["process_agi"]: {"lookup_mode": "process", "process_script": _process_script(pbx)},
                FLOWS["dialplan_only"]: {"lookup_mode": "dialplan"},
            }
            try:
                from sqlmodel import Session

                from centralita import db

                with Session(db.get_engine()) as session:
                    render(settings, instance_paths(settings), session)
            finally:
                ivr_render.COMPILE_MODES = {}
            say("starting Asterisk and the FastAGI server")
            (data_dir / "log").mkdir(exist_ok=True)
            asterisk = _start_asterisk(pbx, data_dir / "log" / "asterisk.log")
            procs.append(asterisk)
            fastagi = subprocess.Popen(
                [sys.executable, "-m", "centralita.cli", "serve", "fastagi"],
                env=env,
                cwd=data_dir,
                stdout=(data_dir / "log" / "fastagi.log").open("ab"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            procs.append(fastagi)
            _wait_fastagi(settings)
            pids = {"asterisk": pbx.pid() or asterisk.pid, "fastagi": fastagi.pid, "lookup": procs[0].pid}
            out: dict[str, Any] = {}  # one dict of figures per variant, then the ratios and the scenario
            for variant in VARIANTS:
                say(f"{variant}: {calls} calls at {rate:g}/s")
                out[variant] = _run_variant(settings, variant, calls, rate, pids, pbx.paths.cdr_dir / "Master.csv")
                time.sleep(2.0)
            pbx.stop()
    finally:
        for proc in reversed(procs):
            _stop(proc)
        shutil.rmtree(data_dir, ignore_errors=True)
    fast, proc_agi, dial = out["fastagi"], out["process_agi"], out["dialplan_only"]
    out["ratio_vs_process_agi"] = _ratio(proc_agi["agi_cpu_s_per_call"], fast["agi_cpu_s_per_call"])
    out["ratio_vs_dialplan"] = _ratio(dial["cpu_s_per_call"], fast["cpu_s_per_call"])
    out["scenario"] = {"calls": calls, "rate": rate, "digits": DIGITS, "cores": os.cpu_count()}
    return out


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def _wait_fastagi(settings, timeout: float = 20) -> None:
    import asyncio

    from centralita.telephony.fastagi import probe

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if asyncio.run(probe("127.0.0.1", settings.fastagi_port, 1.0)):
            return
        time.sleep(0.2)
    raise RuntimeError("the FastAGI server did not start")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
