"""Facts from the durable records only: queue visits and agent legs from queue_log_entries (plus, after a
transfer to an extension, the next agents' parts from cdr_entries), calls from call_records +
ivr_survey_answers + dialer_attempts. Nothing here reads what only the live runtime knows
(queue_calls.wait_seconds is refined from AMI, so it is not used), which is why a rebuild gives the
same rows as the incremental path."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from api.calls.models import CallRecord, CdrEntry
from centralita.telephony.endpoints import agent_of
from dialer.models import Attempt, Campaign
from ivr.flowdef import is_nps_question
from ivr.metrics import classify
from ivr.models import Flow, FlowVersion, SurveyAnswer
from queues.models import AgentEndpoint, Queue, QueueLogEntry
from reports.models import ReportAgentLeg, ReportCall, ReportQueueSetting, ReportQueueVisit

QUARTER = timedelta(minutes=15)
VISIT_EVENTS = {
    "ENTERQUEUE",
    "CONNECT",
    "COMPLETECALLER",
    "COMPLETEAGENT",
    "ABANDON",
    "EXITWITHTIMEOUT",
    "EXITWITHKEY",
    "EXITEMPTY",
    "RINGNOANSWER",
    "TRANSFER",
    "BLINDTRANSFER",
    "ATTENDEDTRANSFER",
    "OVERFLOW",
    "CALLBACK",
    "CALLBACKDIAL",
    "HOLD",
    "UNHOLD",
}
TRANSFERS = {"TRANSFER": "transfer", "BLINDTRANSFER": "blindtransfer", "ATTENDEDTRANSFER": "attendedtransfer"}
TRANSFER_ENDS = set(TRANSFERS.values())
SLACK = timedelta(seconds=1)  # queue_log has whole seconds, CDRs microseconds
ENDS = {"ABANDON": "abandoned", "EXITWITHTIMEOUT": "timeout", "EXITWITHKEY": "exitkey", "EXITEMPTY": "empty"}
RESTART = "QUEUESTART"


def floor15(at: datetime) -> datetime:
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def _int(data: list, index: int) -> int:
    try:
        return int(data[index])
    except (IndexError, ValueError, TypeError):
        return 0


@dataclass
class Config:
    """What a fact depends on besides the raw lines: per-queue thresholds and wrap-up, the FCR window."""

    sl: dict[str, int] = field(default_factory=dict)
    short: dict[str, int] = field(default_factory=dict)
    wrapup: dict[str, int] = field(default_factory=dict)
    default_sl: int = 20
    default_short: int = 5
    fcr_days: int = 7

    @classmethod
    def load(cls, session: Session, settings) -> Config:
        cfg = cls(
            default_sl=settings.report_sl_threshold_s,
            default_short=settings.report_short_abandon_s,
            fcr_days=settings.report_fcr_days,
        )
        for row in session.exec(select(ReportQueueSetting)):
            cfg.sl[row.queue], cfg.short[row.queue] = row.sl_threshold_s, row.short_abandon_s
        for name, wrap in session.exec(select(Queue.name, Queue.wrapup_seconds)):
            cfg.wrapup[name] = wrap
        return cfg

    def threshold(self, queue: str) -> int:
        return self.sl.get(queue, self.default_sl)

    def short_abandon(self, queue: str) -> int:
        return self.short.get(queue, self.default_short)


# -- queue visits ------------------------------------------------------------------------------------
@dataclass
class _Leg:
    agent: str
    connected_at: datetime
    hold_started: datetime | None = None
    hold_s: float = 0.0
    ended_at: datetime | None = None
    ended_by: str = "open"
    talk_s: float = 0.0


def _fold_visit(
    lines: list[QueueLogEntry], restart_at: datetime | None, crash_at: datetime | None, cfg: Config, queue: str
):
    """One visit's lines (in order) → (visit fields, legs). `restart_at`: the first QUEUESTART after the
    visit's last line, when it never ended; `crash_at`: the last line Asterisk wrote before it."""
    v: dict = {
        "outcome": "waiting",
        "left_by": "",
        "wait_s": 0.0,
        "transfers": 0,
        "callback_requested": False,
        "callback_made": False,
    }
    legs: list[_Leg] = []
    open_leg: _Leg | None = None
    ended = False
    for line in lines:
        ev, data = line.event, line.data or []
        if ev == "ENTERQUEUE":
            v.setdefault("entered_at", line.at)
            v["caller"] = (data[1] if len(data) > 1 else "")[:80]
        elif ev == "CONNECT":
            v["outcome"], v["wait_s"] = "answered", float(_int(data, 0))
            v.setdefault("agent", line.agent)
            open_leg = _Leg(agent=line.agent, connected_at=line.at)
            legs.append(open_leg)
        elif ev in ("COMPLETECALLER", "COMPLETEAGENT") and open_leg is not None:
            open_leg.talk_s, open_leg.ended_at = float(_int(data, 1)), line.at
            open_leg.ended_by = "caller" if ev == "COMPLETECALLER" else "agent"
            open_leg, ended = None, True
        elif ev in TRANSFERS and open_leg is not None:
            # BLINDTRANSFER exten|context|hold|call|pos; ATTENDEDTRANSFER BRIDGE|x|… or LINK|a|b|hold|call|pos
            # (Local channels); TRANSFER exten|context|hold|call[|pos]: count from the end where the length varies.
            calltime = _int(data, 3) if ev == "TRANSFER" else _int(data, len(data) - 2)
            open_leg.talk_s, open_leg.ended_at, open_leg.ended_by = float(calltime), line.at, TRANSFERS[ev]
            v["transfers"] += 1
            open_leg, ended = None, True
        elif ev == "HOLD" and open_leg is not None:
            open_leg.hold_started = line.at
        elif ev == "UNHOLD" and open_leg is not None and open_leg.hold_started is not None:
            open_leg.hold_s += (line.at - open_leg.hold_started).total_seconds()
            open_leg.hold_started = None
        elif ev in ENDS:
            v["outcome"] = ENDS[ev]
            v["left_by"] = "abandon" if ev == "ABANDON" else ENDS[ev]
            v["wait_s"] = float(_int(data, 3 if ev == "EXITWITHKEY" else 2))
            v["ended_at"], ended = line.at, True
        elif ev == "OVERFLOW":
            v["outcome"], ended = "overflow", True
            v.setdefault("ended_at", line.at)
        elif ev == "CALLBACK":
            v["outcome"], v["callback_requested"], ended = "callback", True, True
            v.setdefault("ended_at", line.at)
        elif ev == "CALLBACKDIAL":
            v["callback_made"] = True
    v.setdefault("entered_at", lines[0].at)
    v.setdefault("caller", "")
    v.setdefault("agent", "")
    v["restart"] = False
    if restart_at is not None and (open_leg is not None or not ended):
        # Asterisk restarted mid-visit: the visit ends at the last line it wrote before going down.
        v["restart"] = True
        end = crash_at or restart_at
        if open_leg is not None:
            open_leg.talk_s = max(0.0, (end - open_leg.connected_at).total_seconds())
            open_leg.ended_at, open_leg.ended_by = end, "restart"
            open_leg = None
        elif v["outcome"] == "waiting":
            v["outcome"], v["wait_s"] = "restart_lost", max(0.0, (end - v["entered_at"]).total_seconds())
        v["ended_at"] = end
    wrap = cfg.wrapup.get(queue, 0)
    out_legs = []
    for seq, leg in enumerate(legs):
        if leg.hold_started is not None and leg.ended_at is not None:
            leg.hold_s += (leg.ended_at - leg.hold_started).total_seconds()
        closed = leg.ended_at is not None
        # queue_log's calltime includes hold: talk is the rest. Wrap-up is the queue's wrapuptime, which
        # Asterisk imposes after every call the member ends (none after a restart).
        out_legs.append(
            {
                "seq": seq,
                "agent": leg.agent,
                "connected_at": leg.connected_at,
                "interval_start": floor15(leg.connected_at),
                "ended_at": leg.ended_at,
                "ended_by": leg.ended_by,
                "talk_s": max(0.0, leg.talk_s - leg.hold_s),
                "hold_s": leg.hold_s,
                "wrapup_s": float(wrap) if closed and leg.ended_by != "restart" else 0.0,
                "via": "queue",
            }
        )
    threshold, short = cfg.threshold(queue), cfg.short_abandon(queue)
    v["sl_threshold_s"] = threshold
    v["short_abandon"] = v["outcome"] == "abandoned" and v["wait_s"] < short
    v["within_sl"] = v["outcome"] in ("answered", "abandoned") and v["wait_s"] <= threshold
    v["interval_start"] = floor15(v["entered_at"])
    return v, out_legs


def _totals(v: dict, legs: list[dict]) -> None:
    """The visit's handle time: every leg's, the parts taken after a transfer included."""
    if legs and all(leg["ended_at"] is not None for leg in legs):
        v["ended_at"] = max(leg["ended_at"] for leg in legs if isinstance(leg["ended_at"], datetime))
    v["talk_s"] = sum(leg["talk_s"] for leg in legs)
    v["hold_s"] = sum(leg["hold_s"] for leg in legs)
    v["wrapup_s"] = sum(leg["wrapup_s"] for leg in legs)
    v["legs"] = len(legs)


# -- the parts taken after a transfer to an extension -------------------------------------------------
def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _covered(spans: list[tuple[datetime, datetime]]) -> float:
    """Seconds covered by the spans (overlaps once)."""
    total, reach = 0.0, None
    for a, b in sorted(spans):
        if reach is not None and a < reach:
            a = reach
        if b > a:
            total += (b - a).total_seconds()
        reach = b if reach is None else max(reach, b)
    return total


def transfer_parts(
    visits: dict[tuple[str, str], list[dict]], cdrs: list[CdrEntry], agents: set[str]
) -> dict[tuple[str, str], list[dict]]:
    """The legs of agents a call reached by a transfer to their extension, from the call's CDRs: queue_log
    writes nothing for them. `visits`: the queue_log legs of every visit of one call (one linkedid).

    Each agent channel (`PJSIP/<agent>-…`, or the browser phone's `PJSIP/<agent>-web-…`, of a known agent)
    on the call is one part, from its first answered CDR (dstchannel or channel) to its last one, its
    talk the seconds covered by them (a consultation before an attended transfer completes is theirs
    too: their phone was on the call). A
    channel the queue rang (a CONNECT of that agent while it was up) is the queue_log leg, not a part.
    A part belongs to the visit whose transferring leg is the latest to have started before it; it ended
    by `transfer` when another agent took the call on after it, `agent` when the call went on without
    them (a survey, an IVR), `hangup` when it ended with the call (CDRs do not say who hung up)."""
    handoffs = sorted(
        (_utc(leg["connected_at"]), key)
        for key, legs in visits.items()
        for leg in legs
        if leg["ended_by"] in TRANSFER_ENDS
    )
    if not handoffs or not cdrs:
        return {}
    connects = [(leg["agent"], _utc(leg["connected_at"])) for legs in visits.values() for leg in legs]
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    owner: dict[str, str] = {}
    for c in cdrs:
        if c.answer is None or c.disposition != "ANSWERED" or c.end <= c.answer:
            continue
        for name in {c.channel, c.dstchannel}:
            agent = agent_of(name, agents)
            if agent:
                spans[name].append((_utc(c.answer), _utc(c.end)))
                owner[name] = agent
    bounds = {name: (min(a for a, _ in s), max(b for _, b in s)) for name, s in spans.items()}
    call_end = max(_utc(c.end) for c in cdrs)
    out: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for name in sorted(bounds, key=lambda n: (bounds[n], n)):
        lo, hi = bounds[name]
        if any(agent == owner[name] and lo - SLACK <= at <= hi + SLACK for agent, at in connects):
            continue  # the queue rang this phone: queue_log has its leg
        before = [key for at, key in handoffs if at <= lo + SLACK]
        if not before:
            continue
        if any(o != name and bounds[o][0] >= lo and bounds[o][1] > hi + SLACK for o in bounds):
            ended_by = "transfer"
        else:
            ended_by = "agent" if call_end > hi + SLACK else "hangup"
        out[before[-1]].append(
            {
                "agent": owner[name],
                "connected_at": lo,
                "interval_start": floor15(lo),
                "ended_at": hi,
                "ended_by": ended_by,
                "talk_s": round(_covered(spans[name]), 3),
                "hold_s": 0.0,  # CDRs record no hold
                "wrapup_s": 0.0,  # Asterisk imposes wrapuptime after queue calls only
                "via": "transfer",
            }
        )
    return dict(out)


def _restart_after(session: Session, at: datetime) -> tuple[datetime | None, datetime | None]:
    """The first QUEUESTART at or after `at`, and the last other line before it (≈ when Asterisk died)."""
    restart = session.exec(
        select(QueueLogEntry)
        .where(QueueLogEntry.event == RESTART, QueueLogEntry.at >= at)
        .order_by(col(QueueLogEntry.at), col(QueueLogEntry.id))
    ).first()
    if restart is None:
        return None, None
    crash = session.exec(
        select(QueueLogEntry.at)
        .where(QueueLogEntry.event != RESTART, col(QueueLogEntry.id) < restart.id, QueueLogEntry.at <= restart.at)
        .order_by(col(QueueLogEntry.at).desc(), col(QueueLogEntry.id).desc())
    ).first()
    return restart.at, crash


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_callid(keys: set[tuple[str, str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for callid, queue in keys:
        out[callid].add(queue)
    return out


def _whole_calls(session: Session, keys: set[tuple[str, str]]) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """The visits with every other visit of the same calls (one linkedid), and callid → linkedid: a part
    taken after a transfer depends on every visit of its call (which leg handed it on, which phone the
    queue rang), so they are always folded together, whichever of them a new line or CDR touched."""
    links = _linkedids(session, sorted({callid for callid, _ in keys}))
    more = visit_keys_for_linkedids(session, {i for i in links.values() if i}) - keys
    if more:
        links.update(_linkedids(session, sorted({callid for callid, _ in more} - set(links))))
    return keys | more, links


def _lines(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[QueueLogEntry]]:
    by_callid = _by_callid(keys)
    lines: dict[tuple[str, str], list[QueueLogEntry]] = defaultdict(list)
    for chunk in _chunks(sorted(by_callid)):
        for e in session.exec(
            select(QueueLogEntry)
            .where(col(QueueLogEntry.callid).in_(chunk), col(QueueLogEntry.event).in_(VISIT_EVENTS))
            .order_by(col(QueueLogEntry.at), col(QueueLogEntry.id))
        ):
            if e.queue in by_callid[e.callid]:
                lines[(e.callid, e.queue)].append(e)
    return lines


def _fold_calls(
    session: Session, keys: set[tuple[str, str]], links: dict[str, str], cfg: Config
) -> dict[tuple[str, str], tuple[dict, list[dict]]]:
    """(visit fields, legs) of each visit that has its ENTERQUEUE, the parts after transfers included."""
    lines = _lines(session, keys)
    folded: dict[tuple[str, str], tuple[dict, list[dict]]] = {}
    for key in sorted(keys):
        entries = lines.get(key)
        if not entries or not any(e.event == "ENTERQUEUE" for e in entries):
            continue
        fields, legs = _fold_visit(entries, None, None, cfg, key[1])
        if "ended_at" not in fields:  # still open: unless a later restart line closed it
            restart_at, crash_at = _restart_after(session, entries[-1].at)
            if restart_at is not None:
                fields, legs = _fold_visit(entries, restart_at, crash_at, cfg, key[1])
        folded[key] = (fields, legs)
    calls: dict[str, dict[tuple[str, str], list[dict]]] = defaultdict(dict)
    for key, (_, legs) in folded.items():
        calls[links.get(key[0], "")][key] = legs
    transferred = sorted(
        linkedid
        for linkedid, visits in calls.items()
        if linkedid and any(leg["ended_by"] in TRANSFER_ENDS for legs in visits.values() for leg in legs)
    )
    if transferred:
        agents = set(session.exec(select(AgentEndpoint.username)))
        cdrs: dict[str, list[CdrEntry]] = defaultdict(list)
        for chunk in _chunks(transferred):
            for c in session.exec(select(CdrEntry).where(col(CdrEntry.linkedid).in_(chunk)).order_by(col(CdrEntry.id))):
                cdrs[c.linkedid].append(c)
        for linkedid in transferred:
            for key, parts in transfer_parts(calls[linkedid], cdrs[linkedid], agents).items():
                folded[key][1].extend(parts)
    for fields, legs in folded.values():
        for seq, leg in enumerate(legs):
            leg["seq"] = seq
        _totals(fields, legs)
    return folded


def visit_legs(session: Session, keys: set[tuple[str, str]], cfg: Config) -> dict[tuple[str, str], list[dict]]:
    """Each visit's agent legs exactly as refresh_visits stores them (with `via`: queue | transfer), from
    the raw records, without reading or writing a report table: what the queue history shows."""
    whole, links = _whole_calls(session, set(keys))
    folded = _fold_calls(session, whole, links, cfg)
    return {key: folded[key][1] for key in keys if key in folded}


def refresh_visits(session: Session, keys: set[tuple[str, str]], cfg: Config) -> set[datetime]:
    """Recompute the visits (callid, queue) — and every other visit of the same calls — and their legs
    from queue_log and, after a transfer to an extension, the CDRs. Returns every interval whose sums
    may have changed (where the old and the new facts sit)."""
    touched: set[datetime] = set()
    keys, links = _whole_calls(session, keys)
    by_callid = _by_callid(keys)
    old_visits: dict[tuple[str, str], ReportQueueVisit] = {}
    for chunk in _chunks(sorted(by_callid)):
        for visit in session.exec(select(ReportQueueVisit).where(col(ReportQueueVisit.callid).in_(chunk))):
            if visit.queue in by_callid[visit.callid]:
                old_visits[(visit.callid, visit.queue)] = visit
        for leg in session.exec(select(ReportAgentLeg).where(col(ReportAgentLeg.callid).in_(chunk))):
            if leg.queue in by_callid[leg.callid]:
                touched.add(leg.interval_start)
                session.delete(leg)
    dims = _call_dims(session, sorted(set(links.values())))
    session.flush()
    folded = _fold_calls(session, keys, links, cfg)
    for key in sorted(keys):
        callid, queue = key
        old = old_visits.get(key)
        if old is not None:
            touched.add(old.interval_start)
        if key not in folded:
            if old is not None:  # before our history began (a rotated log): nothing to count
                session.delete(old)
            continue
        fields, legs = folded[key]
        fields.setdefault("ended_at", None)
        linkedid = links.get(callid, "")
        fields.update(linkedid=linkedid, **dims.get(linkedid, {"did": "", "flow_version": "", "campaign": ""}))
        visit = old or ReportQueueVisit(
            callid=callid, queue=queue, entered_at=fields["entered_at"], interval_start=fields["interval_start"]
        )
        for name, value in fields.items():
            setattr(visit, name, value)
        session.add(visit)
        touched.add(visit.interval_start)
        for part in legs:
            session.add(ReportAgentLeg(callid=callid, queue=queue, **part))
            touched.add(part["interval_start"])
    session.flush()
    return touched


def refresh_fcr(session: Session, callers: set[str], cfg: Config) -> set[datetime]:
    """A caller's answered visit is resolved at first contact unless the same caller entered a queue
    again (another call) within the window after it. Recomputed for every visit of these callers."""
    touched: set[datetime] = set()
    window = timedelta(days=cfg.fcr_days)
    for chunk in _chunks(sorted(c for c in callers if c)):
        visits = list(
            session.exec(
                select(ReportQueueVisit)
                .where(col(ReportQueueVisit.caller).in_(chunk))
                .order_by(col(ReportQueueVisit.caller), col(ReportQueueVisit.entered_at), col(ReportQueueVisit.id))
            )
        )
        by_caller: dict[str, list[ReportQueueVisit]] = defaultdict(list)
        for v in visits:
            by_caller[v.caller].append(v)
        for rows in by_caller.values():
            for v in rows:
                value = None
                if v.outcome == "answered":
                    value = any(
                        o.callid != v.callid and v.entered_at < o.entered_at <= v.entered_at + window for o in rows
                    )
                if v.repeat_within_fcr != value:
                    v.repeat_within_fcr = value
                    session.add(v)
                    touched.add(v.interval_start)
    session.flush()
    return touched


def _linkedids(session: Session, callids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for chunk in _chunks(callids):
        for uniqueid, linkedid in session.exec(
            select(CdrEntry.uniqueid, CdrEntry.linkedid).where(col(CdrEntry.uniqueid).in_(chunk))
        ):
            out.setdefault(uniqueid, linkedid)
    return out


def _call_dims(session: Session, linkedids: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for chunk in _chunks(linkedids):
        for call in session.exec(select(ReportCall).where(col(ReportCall.linkedid).in_(chunk))):
            out[call.linkedid] = {"did": call.did, "flow_version": call.flow_version, "campaign": call.campaign}
    return out


# -- calls -------------------------------------------------------------------------------------------
def _flow_of(path: str) -> tuple[str, str]:
    head = path.split(">", 1)[0]
    if not head.startswith("flow:") or "/v" not in head:
        return "", ""
    name = head[len("flow:") :].rsplit("/v", 1)[0]
    return name, head[len("flow:") :]


class _SurveyScales:
    """Which survey questions are NPS (0–10) in the flow version's survey node (ivr.flowdef.is_nps_question,
    the IVR's own rule). Every other question is CSAT (1–5). Versions are immutable: cached."""

    def __init__(self, session: Session):
        self.session = session
        self.cache: dict[tuple[str, int], list[str]] = {}

    def is_nps(self, flow: str, version: int, question: int) -> bool:
        key = (flow, version)
        if key not in self.cache:
            definition = (
                self.session.exec(
                    select(FlowVersion.definition)
                    .join(Flow, col(Flow.id) == col(FlowVersion.flow_id))
                    .where(Flow.name == flow, FlowVersion.version == version)
                ).first()
                or {}
            )
            prompts: list[str] = []
            survey = definition.get("survey")
            node = (definition.get("nodes") or {}).get(survey) if survey else None
            if isinstance(node, dict):
                prompts = list(node.get("questions") or [])
            self.cache[key] = prompts
        prompts = self.cache[key]
        return 0 < question <= len(prompts) and is_nps_question(prompts[question - 1])


def refresh_calls(session: Session, linkedids: set[str]) -> set[datetime]:
    touched: set[datetime] = set()
    ids = sorted(i for i in linkedids if i)
    scales = _SurveyScales(session)
    for chunk in _chunks(ids):
        records = {r.linkedid: r for r in session.exec(select(CallRecord).where(col(CallRecord.linkedid).in_(chunk)))}
        olds = {c.linkedid: c for c in session.exec(select(ReportCall).where(col(ReportCall.linkedid).in_(chunk)))}
        answers: dict[str, list[SurveyAnswer]] = defaultdict(list)
        for a in session.exec(
            select(SurveyAnswer).where(col(SurveyAnswer.linkedid).in_(chunk)).order_by(col(SurveyAnswer.id))
        ):
            answers[a.linkedid].append(a)
        campaigns: dict[str, str] = {}
        for linkedid, name in session.exec(
            select(Attempt.linkedid, Campaign.name)
            .join(Campaign, col(Campaign.id) == col(Attempt.campaign_id))
            .where(col(Attempt.linkedid).in_(chunk))
        ):
            campaigns[linkedid] = name
        for linkedid in chunk:
            old, record = olds.get(linkedid), records.get(linkedid)
            if old is not None:
                touched.add(old.interval_start)
            if record is None:
                if old is not None:
                    session.delete(old)
                continue
            flow, flow_version = _flow_of(record.path)
            call = old or ReportCall(linkedid=linkedid, start=record.start, interval_start=floor15(record.start))
            call.start, call.interval_start = record.start, floor15(record.start)
            call.caller, call.did, call.flow, call.flow_version = record.caller, record.did, flow, flow_version
            call.ivr_outcome = classify(record.path.split(">")) if flow else ""
            call.duration_s, call.campaign = record.duration, campaigns.get(linkedid, "")
            rows = answers.get(linkedid, [])
            call.queue = next((a.queue for a in rows if a.queue), "")
            call.agent = next((a.agent for a in rows if a.agent), "")
            csat = [a.answer for a in rows if not scales.is_nps(a.flow, a.version, a.question)]
            nps = [a.answer for a in rows if scales.is_nps(a.flow, a.version, a.question)]
            call.csat_sum, call.csat_n, call.csat_top2 = sum(csat), len(csat), sum(1 for x in csat if x >= 4)
            call.nps_n = len(nps)
            call.nps_promoters = sum(1 for x in nps if x >= 9)
            call.nps_detractors = sum(1 for x in nps if x <= 6)
            session.add(call)
            touched.add(call.interval_start)
    session.flush()
    return touched


def visit_keys_for_linkedids(session: Session, linkedids: set[str]) -> set[tuple[str, str]]:
    """The visits whose dimensions come from these calls (their channels' uniqueids are queue_log callids)."""
    uniqueids: set[str] = set()
    for chunk in _chunks(sorted(linkedids)):
        uniqueids |= set(session.exec(select(CdrEntry.uniqueid).where(col(CdrEntry.linkedid).in_(chunk))))
    keys: set[tuple[str, str]] = set()
    for chunk in _chunks(sorted(uniqueids)):
        keys |= set(
            session.exec(
                select(QueueLogEntry.callid, QueueLogEntry.queue).where(
                    col(QueueLogEntry.callid).in_(chunk), QueueLogEntry.event == "ENTERQUEUE"
                )
            )
        )
    return keys


def open_visit_keys(session: Session, before: datetime) -> set[tuple[str, str]]:
    """Visits that had not ended when a restart line arrived: the restart closes them."""
    rows = session.exec(
        select(ReportQueueVisit.callid, ReportQueueVisit.queue).where(
            col(ReportQueueVisit.ended_at).is_(None), ReportQueueVisit.entered_at <= before
        )
    )
    return set(rows)
