"""The soak itself: start the stack, run the mixed traffic, drain, account for every call, report.

Calls are short on purpose (IVR ≈ 17 s, queue ≈ 6 s, campaign ≈ 7 s) so that two shared
cores keep up with Asterisk, the services, sipp and the recorder's transcription at once: the soak
tests holding the rate for long, not long calls. Every wait is bounded; all traffic is on loopback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

from centralita.soak import phones, probe, rate, stack

IVR_DIGITS = "123455"  # a taxpayer of the demo integration (Luhn-valid): the lookup finds a debt
IVR_HOLD_S, QUEUE_HOLD_S, FAR_END_TALK_MS = 14.0, 5.0, 6000
AGENT_SAYS = "Buenos días, le atiende la municipalidad. ¿En qué le puedo ayudar?"
SAMPLE_INTERVAL = 5.0
GROWTH_LIMIT_PCT = 10.0
# The worker's recognizers fill their decoding-graph caches over their first minutes of work (measured:
# 737 MB after 1 min of traffic, 773 after 2, 795 after 3, 806 after 5, then about +1 MB/min): growth is
# measured from there, not from the model's first load.
WARMUP_S = 120.0
MONITORED = ("api", "recorder-worker")


class Sampler:
    """RSS and open files of the API and the recorder worker every few seconds (a background thread)."""

    def __init__(self, pids: dict[str, int]):
        self.pids = {name: pids[name] for name in MONITORED}
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-sampler", daemon=True)

    def take(self) -> dict:
        sample = {"t": time.monotonic()} | {name: probe.process(pid) for name, pid in self.pids.items()}
        self.samples.append(sample)
        return sample

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL):
            self.take()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


def _growth(start: dict | None, end: dict | None) -> dict:
    if not start or not end:
        return {"start": start, "end": end, "ok": False}
    rss = 100.0 * (end["rss_mb"] - start["rss_mb"]) / start["rss_mb"]
    fds = 100.0 * (end["fds"] - start["fds"]) / start["fds"]
    return {
        "start": start,
        "end": end,
        "rss_growth_pct": round(rss, 1),
        "fds_growth_pct": round(fds, 1),
        "ok": rss < GROWTH_LIMIT_PCT and fds < GROWTH_LIMIT_PCT,
    }


def _dialer_status(settings) -> dict:
    """The campaign's attempts by outcome, read from the database the API writes, and the connected
    calls that ended without a disposition yet (id, agent)."""
    from sqlmodel import Session, col, select

    from centralita import db
    from dialer.models import Attempt, Contact

    with Session(db.get_engine()) as session:
        attempts = session.exec(select(Attempt)).all()
        left = len(session.exec(select(Contact).where(col(Contact.status).in_(("new", "scheduled")))).all())
    outcomes: dict[str, int] = {}
    for a in attempts:
        outcomes[a.outcome or "in_progress"] = outcomes.get(a.outcome or "in_progress", 0) + 1
    undisposed = [
        (a.id, a.agent_name) for a in attempts if a.outcome == "connected" and a.ended_at and not a.disposition
    ]
    return {"attempts": len(attempts), "outcomes": outcomes, "contacts_left": left, "undisposed": undisposed}


class Dispositions:
    """Each campaign agent closes its connected calls through the API, as an agent's screen would."""

    def __init__(self, soak: stack.SoakStack, passwords: dict[str, str]):
        self.soak, self.passwords = soak, passwords
        self.tokens: dict[str, str] = {}
        self.given, self.refused = 0, 0
        self.done: set[int] = set()

    def give(self, undisposed: list[tuple[int, str]]) -> None:
        for attempt_id, agent in undisposed:
            if attempt_id in self.done or agent not in self.passwords:
                continue
            if agent not in self.tokens:
                self.tokens[agent] = self.soak.token(self.passwords[agent], agent)
            body = {"disposition": "promesa_pago"}
            response = self.soak.post(f"/api/dialer/attempts/{attempt_id}/disposition", self.tokens[agent], body)
            self.done.add(attempt_id)
            if response.status_code == 200:
                self.given += 1
            else:
                self.refused += 1


def _paths() -> dict[str, int]:
    """Call records per IVR path: a completed IVR call must have looked the number up and reached the
    queue (`flow:soak/v1>lookup:ok>queue:atencion`), not merely lasted."""
    from sqlmodel import Session, func, select

    from api.calls.models import CallRecord
    from centralita import db

    with Session(db.get_engine()) as session:
        return dict(session.exec(select(CallRecord.path, func.count()).group_by(CallRecord.path)).all())


def _asterisk_log(settings) -> dict:
    """Counts of the two warnings this soak must not see (an expression with an empty operand; CEL
    rows Asterisk could not write) in the instance's messages log."""
    from centralita.telephony.pbx import instance_paths

    paths = instance_paths(settings)
    log = paths.host(f"{paths.log}/messages.log")
    text = log.read_text(errors="replace") if log.exists() else ""
    return {
        "expression_syntax_warnings": text.count("ast_yyerror"),
        "cel_write_errors": text.count("Unable to write CEL"),
        "log": str(log),
    }


def _live_copy(soak: stack.SoakStack, token: str, settings) -> dict:
    """After the traffic, the Redis copy (`centralita queues live`) and /api/queues/live agree."""
    import redis

    from centralita.bus import redis_url
    from queues.runtime import LIVE_KEY

    api = soak.get("/api/queues/live", token)
    client = redis.Redis.from_url(redis_url(settings), decode_responses=True, socket_timeout=5)
    try:
        stored = json.loads(client.get(LIVE_KEY) or "{}")
    finally:
        client.close()
    return {
        "api_channels": len(api.get("channels", [])),
        "redis_channels": len(stored.get("channels", [])),
        "api_calls": len(api.get("calls", [])),
        "redis_calls": len(stored.get("calls", [])),
        "match": api.get("channels") == stored.get("channels") and api.get("calls") == stored.get("calls"),
    }


def run_soak(
    minutes: float | None = 20.0,
    calls: int | None = None,
    port_base: int = 32000,
    agents: int = 5,
    dialer_agents: int = 2,
    keep: bool = False,
    drain_seconds: float | None = None,
    progress=None,
) -> dict:
    from centralita.settings import get_settings
    from ivr.bench import _environment

    say = progress or (lambda message: None)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it like Ctrl-C: stack down, sipp stopped
    derived = rate.derive()
    per_s = derived["calls_per_s"]
    total = calls if calls is not None else round(per_s * (minutes or 0) * 60)
    counts = rate.plan(total)
    traffic_s = total / per_s
    p = stack.ports(port_base)
    data_dir = Path(tempfile.mkdtemp(prefix="centralita-soak-"))
    env = stack.environment(data_dir, port_base, per_s * rate.MIX["dialer"])
    load_start = os.getloadavg()
    started = time.monotonic()
    agents_uas: list[phones.UserAgent] = []
    callers: dict[str, phones.Callers] = {}
    soak = stack.SoakStack(data_dir, env)
    sampler: Sampler | None = None
    events: probe.EventProbe | None = None
    instance_dir: Path | None = None
    try:
        with _environment(env):
            settings = get_settings()
            instance_dir = _instance_dir(settings)
            say(f"seeding {data_dir}")
            password, agent_passwords = stack.seed(
                settings, data_dir, port_base, agents, dialer_agents, counts["dialer"]
            )
            work = data_dir / "sipp"
            work.mkdir()
            voice = phones.speech(work, "agent", AGENT_SAYS, 2)
            for i, (name, _queue) in enumerate(stack.agent_names(agents, dialer_agents)):
                agents_uas.append(phones.UserAgent(work, name, p["agents"] + i, p["agents_rtp"] + 20 * i, voice))
            hello = phones.speech(work, "hello", "¿Aló?", 6)
            far = phones.UserAgent(work, "far-end", p["far_end"], p["agents_rtp"] + 180, hello, FAR_END_TALK_MS)
            agents_uas.append(far)
            say("starting the stack (centralita up -d)")
            setup_s = time.monotonic() - started
            soak.up()
            pids = soak.pids()
            for name, _queue in stack.agent_names(agents, dialer_agents):
                stack.cli("queues", "login", name)
            token = soak.token(password)
            dispositions = Dispositions(soak, agent_passwords)
            events = probe.EventProbe(settings, token)
            events.start()
            sampler = Sampler(pids)
            boot = sampler.take()
            sampler.start()

            say(f"traffic: {counts} calls at {per_s:g}/s for {traffic_s:.0f} s")
            traffic_started = time.monotonic()
            up_s = traffic_started - started - setup_s
            if counts["dialer"]:
                stack.cli("dialer", "campaign", "start", "soak")
            kinds = {
                "ivr": (stack.IVR_DID, IVR_DIGITS, IVR_HOLD_S, 1500),
                "queue": (stack.QUEUE_NUMBER, "", QUEUE_HOLD_S, 500),
            }
            for i, (kind, (number, digits, hold, first_ms)) in enumerate(kinds.items()):
                if counts[kind]:
                    callers[kind] = phones.Callers(
                        work,
                        settings,
                        kind,
                        number,
                        counts[kind],
                        per_s * rate.MIX[kind],
                        caller=f"55570{i}",
                        digits=digits,
                        hold_seconds=hold,
                        first_digit_ms=first_ms,
                        timeout=traffic_s + 120,
                    )
            warm = None
            deadline = traffic_started + traffic_s + 180  # bounded: a stuck call cannot hold the soak
            while time.monotonic() < deadline:
                dialer = _dialer_status(settings)
                dispositions.give(dialer["undisposed"])
                dialed = dialer["attempts"] >= counts["dialer"] and "in_progress" not in dialer["outcomes"]
                if warm is None and _recordings(settings)["stages"].get("done", 0) >= 1:
                    if time.monotonic() - traffic_started >= max(WARMUP_S, 0.1 * traffic_s):
                        warm = sampler.take()
                if all(c.done() for c in callers.values()) and dialed:
                    break
                time.sleep(2.0)
            for c in callers.values():
                c.stop()
            traffic_s_real = time.monotonic() - traffic_started
            by_kind = {kind: c.totals() for kind, c in callers.items()}
            dialer = _dialer_status(settings)
            dispositions.give(dialer["undisposed"])
            connected = dialer["outcomes"].get("connected", 0)
            by_kind["dialer"] = {
                "placed": dialer["attempts"],
                "completed": connected,
                "failed": dialer["attempts"] - connected,
                "outcomes": dialer["outcomes"],
                "contacts_left": dialer["contacts_left"],
                "dispositions_given": dispositions.given,
                "dispositions_refused": dispositions.refused,
                "far_end_answered": far.count("CONNECTED"),
            }
            placed = sum(k["placed"] for k in by_kind.values())
            completed = sum(k["completed"] for k in by_kind.values())
            failed = sum(k["failed"] for k in by_kind.values())

            say("draining: call records and the recorder's backlog")
            done_at_traffic_end = _recordings(settings)["stages"].get("done", 0)
            drain_started = time.monotonic()
            drain_limit = drain_seconds if drain_seconds is not None else max(300.0, 0.5 * traffic_s)

            def drained():
                records = soak.get("/api/calls", token, limit=1)["total"]
                recs = _recordings(settings)
                return (records >= completed and recs["pending"] == 0 and recs["finished"] >= completed) and (
                    records,
                    recs,
                )

            soak.wait_for(drained, drain_limit, 2.0)
            time.sleep(3.0)  # anything late still lands in the figures below
            records = soak.get("/api/calls", token, limit=1)["total"]
            recordings = _recordings(settings)
            if warm is None:
                warm = sampler.take()
            end = sampler.take()
            drain_s = time.monotonic() - drain_started
            live = _live_copy(soak, token, settings)
            paths = _paths()
            asterisk_log = _asterisk_log(settings)
            pids_end = soak.pids()
    finally:
        for c in callers.values():
            c.stop()
        if events is not None:
            events.stop()
        if sampler is not None:
            sampler.stop()
        soak.down()
        for ua in agents_uas:
            ua.stop()
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
            if instance_dir is not None:  # the Asterisk instance inside the shared root (logs, CDRs)
                shutil.rmtree(instance_dir, ignore_errors=True)

    restarted = sorted(name for name in MONITORED if pids_end.get(name) != pids.get(name))
    procs = {name: _growth(warm[name], end[name]) | {"boot": boot[name]} for name in MONITORED}
    for name in MONITORED:
        if boot.get(name) and end.get(name):
            procs[name]["cpu_s"] = round(end[name]["cpu_s"] - boot[name]["cpu_s"], 1)
    for name in restarted:
        procs[name]["ok"] = False
        procs[name]["restarted"] = True
    peak = {name: max((s[name]["rss_mb"] for s in sampler.samples if s.get(name)), default=None) for name in MONITORED}
    stages = recordings["stages"]
    stored = sum(n for stage, n in stages.items() if stage not in ("failed", "purged"))
    done = stages.get("done", 0)
    latency = events.report()
    series, last = [], None
    for sample in sampler.samples:  # one row a minute: [seconds since traffic, api MB, api fds, worker MB, worker fds]
        if last is None or sample["t"] - last >= 60 or sample is sampler.samples[-1]:
            row = [round(sample["t"] - traffic_started)]
            for name in MONITORED:
                row += [sample[name]["rss_mb"], sample[name]["fds"]] if sample.get(name) else [None, None]
            series.append(row)
            last = sample["t"]
    doc = {
        "rate": derived | {"mix": rate.MIX, "calls_planned": total, "by_kind": counts},
        "calls": {"placed": placed, "completed": completed, "failed": failed, "by_kind": by_kind},
        "call_records": records,
        # Stored: a recording row with its WAV (any stage but failed/purged); done: through the whole
        # pipeline (transcribed, analysed, archived, indexed) within the bounded drain.
        "recordings": stored,
        "recordings_done": done,
        "recording_stages": {k: v for k, v in recordings["stages"].items() if v},
        "recorder": {
            "backlog_at_end": recordings["pending"],
            "done_at_traffic_end": done_at_traffic_end,
            "done_per_s_in_drain": round((done - done_at_traffic_end) / drain_s, 3) if drain_s else None,
            "drain_limit_s": drain_limit,
            # The worker's CPU (model load included) per recording it finished: what the rate needs.
            "worker_cpu_s_per_done": round(procs["recorder-worker"].get("cpu_s", 0) / done, 2) if done else None,
        },
        "paths": paths,
        "ivr_lookup_to_queue": sum(n for path, n in paths.items() if "lookup:ok" in path and "queue:" in path),
        "accounting_ok": placed == completed + failed,
        "records_ok": records == completed,
        "recordings_ok": stored == completed,
        "backlog_drained": recordings["pending"] == 0 and done == completed,
        "processes": procs,
        "peak_rss_mb": peak,
        "per_minute": {"columns": ["s", "api_mb", "api_fds", "worker_mb", "worker_fds"], "rows": series},
        "baseline": (
            "start = the first sample once the worker had finished a recording (its Vosk model is loaded by "
            f"its first job) and {WARMUP_S:g} s or 10 % of the traffic time (the longer) had passed; boot = right "
            "after `up`; end = after "
            f"the drain; growth limit {GROWTH_LIMIT_PCT:g} %"
        ),
        "event_stream_p95_ms": latency["call_events"]["p95_ms"],
        "events": latency,
        "live_copy": live,
        "asterisk_log": {k: v for k, v in asterisk_log.items() if k != "log"},
        "seconds": {
            "seed": round(setup_s, 1),
            "up": round(up_s, 1),
            "planned_traffic": round(traffic_s, 1),
            "traffic": round(traffic_s_real, 1),
            "drain": round(drain_s, 1),
            "total": round(time.monotonic() - started, 1),
        },
        "calls_kept_short": (
            f"IVR: digits after 1.5 s, then {IVR_HOLD_S:g} s (the debt said, queue, agent); queue: {QUEUE_HOLD_S:g} s "
            f"with the agent; campaign: the far end talks {FAR_END_TALK_MS / 1000:g} s. Short calls keep 2 shared "
            "cores ahead of Asterisk, sipp and the recorder's transcription; the soak is about holding the rate."
        ),
        "agents": {"inbound": agents, "campaign": dialer_agents},
        "machine": {"cores": os.cpu_count(), "load_avg_start": load_start, "load_avg_end": os.getloadavg()},
        "data_dir": str(data_dir) if keep else None,
    }
    doc["ok"] = all(
        [
            doc["accounting_ok"],
            doc["records_ok"],
            doc["recordings_ok"],
            doc["backlog_drained"],
            doc["ivr_lookup_to_queue"] == by_kind.get("ivr", {}).get("completed", 0),
            all(p["ok"] for p in procs.values()),
            live["match"],
            asterisk_log["expression_syntax_warnings"] == 0,
            asterisk_log["cel_write_errors"] == 0,
        ]
    )
    return doc


def _instance_dir(settings) -> Path | None:
    """This data directory's Asterisk instance, when it lives in the provisioned root (not in the
    data directory itself, as with a system Asterisk)."""
    from centralita.telephony.pbx import instance_paths

    paths = instance_paths(settings)
    return paths.host(paths.inside) if paths.chrooted else None


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt


def _recordings(settings) -> dict:
    from recorder.pipeline.sweep import backlog

    return backlog()
