"""The comparison of an A/B test: each version's figures over the test's period, the difference B − A
with a 95 % confidence interval, and a verdict in plain words.

Proportions use the normal approximation of the difference (Wald; each version's own interval is
Wilson's, which stays inside 0–1 for small counts); means use Welch's standard error. Below
MIN_CALLS calls in either version no verdict is given: the interval would be mostly noise."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from gettext import gettext as _  # marked for translation; the catalog is installed with the pages' one

from sqlmodel import Session, col, select

from centralita.timeutil import utcnow
from ivr.flowdef import is_nps_question
from ivr.metrics import CallFigures, calls_by_version
from ivr.models import Flow, FlowSplit, FlowVersion, SurveyAnswer
from ivr.split import flow_of
from queues.models import QueueCall

Z95 = 1.959964
MIN_CALLS = 30


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    kind: str  # rate | mean
    unit: str  # "s" | "pts" | ""
    better: int  # +1: higher is better, −1: lower is better, 0: neither (e.g. transfers)


MEASURES = (
    Measure("self_service_rate", _("el autoservicio"), "rate", "pts", +1),
    Measure("to_agent_rate", _("las transferencias a un agente"), "rate", "pts", 0),
    Measure("abandoned_rate", _("los abandonos en el IVR"), "rate", "pts", -1),
    Measure("ivr_seconds", _("el tiempo en el IVR"), "mean", "s", -1),
    Measure("queue_wait", _("la espera en cola"), "mean", "s", -1),
    Measure("csat", _("la satisfacción (CSAT)"), "mean", "", +1),
)


def compare(session: Session, split: FlowSplit) -> dict:
    flow = flow_of(session, split)
    until = split.ended_at or utcnow()
    by_version = calls_by_version(session, flow.name, split.started_at, until)
    arms = {"a": split.base_version, "b": split.version}
    calls = {arm: by_version.get(v, []) for arm, v in arms.items()}
    samples = {arm: _samples(session, flow.name, arms[arm], calls[arm]) for arm in arms}
    versions = {arm: _figures(arms[arm], calls[arm], samples[arm]) for arm in arms}
    differences = [_difference(m, samples["a"][m.key], samples["b"][m.key]) for m in MEASURES]
    return {
        "flow": flow.name,
        "split": {
            "id": split.id,
            "version": split.version,
            "base_version": split.base_version,
            "share": split.share,
            "by": split.by,
            "started_at": split.started_at,
            "started_by": split.started_by,
            "ended_at": split.ended_at,
            "ended_by": split.ended_by,
            "outcome": split.outcome,
            "running": split.ended_at is None,
        },
        "period": {"since": split.started_at, "until": until},
        "observed_share": _share(len(calls["a"]), len(calls["b"])),
        "versions": versions,
        "differences": differences,
    }


def _samples(session: Session, flow: str, version: int, calls: list[CallFigures]) -> dict[str, list[float]]:
    """Per measure, one value per call (0/1 for rates) or per answer (CSAT)."""
    ids = [c.linkedid for c in calls]
    return {
        "self_service_rate": [float(c.kind == "self_service") for c in calls],
        "to_agent_rate": [float(c.kind == "agent") for c in calls],
        "abandoned_rate": [float(c.kind == "abandoned") for c in calls],
        "ivr_seconds": [c.ivr_seconds for c in calls],
        "queue_wait": _queue_waits(session, ids),
        "csat": _csat(session, flow, version, ids),
    }


def _queue_waits(session: Session, linkedids: list[str]) -> list[float]:
    """The wait of each queue stay these calls had after the IVR (answered or not)."""
    out: list[float] = []
    for start in range(0, len(linkedids), 500):
        chunk = linkedids[start : start + 500]
        waits = session.exec(select(QueueCall.wait_seconds).where(col(QueueCall.callid).in_(chunk)))
        out += [float(w) for w in waits if w is not None]
    return out


def _csat(session: Session, flow: str, version: int, linkedids: list[str]) -> list[float]:
    """CSAT answers (1–5) of these calls; NPS questions (0–10) are a different scale and left out."""
    definition = (
        session.exec(
            select(FlowVersion.definition)
            .join(Flow, col(Flow.id) == col(FlowVersion.flow_id))
            .where(Flow.name == flow, FlowVersion.version == version)
        ).first()
        or {}
    )
    node = (definition.get("nodes") or {}).get(definition.get("survey") or "")
    questions = list(node.get("questions") or []) if isinstance(node, dict) else []
    out: list[float] = []
    for start in range(0, len(linkedids), 500):
        chunk = linkedids[start : start + 500]
        for question, answer in session.exec(
            select(SurveyAnswer.question, SurveyAnswer.answer).where(col(SurveyAnswer.linkedid).in_(chunk))
        ):
            nps = 0 < question <= len(questions) and is_nps_question(questions[question - 1])
            if not nps:
                out.append(float(answer))
    return out


def _share(a: int, b: int) -> float | None:
    return round(100 * b / (a + b), 1) if a + b else None


def _figures(version: int, calls: list[CallFigures], samples: dict[str, list[float]]) -> dict:
    out: dict = {
        "version": version,
        "calls": len(calls),
        "option_choices": dict(Counter(choice for c in calls for choice in c.choices)),
    }
    for m in MEASURES:
        out[m.key] = _estimate(m, samples[m.key])
    return out


def _estimate(m: Measure, values: list[float]) -> dict:
    n = len(values)
    if not n:
        return {"value": None, "low": None, "high": None, "n": 0}
    mean = sum(values) / n
    if m.kind == "rate":
        low, high = _wilson(mean, n)
    else:
        half = Z95 * math.sqrt(_variance(values) / n) if n > 1 else float("nan")
        low, high = mean - half, mean + half
    return {"value": _round(mean, m), "low": _round(low, m), "high": _round(high, m), "n": n}


def _difference(m: Measure, a: list[float], b: list[float]) -> dict:
    out: dict = {"key": m.key, "label": m.label, "unit": m.unit, "diff": None, "half_width": None, "verdict": ""}
    if len(a) < 2 or len(b) < 2:
        out["verdict"] = _("Aún no hay datos para comparar {label}.").format(label=m.label)
        return out
    scale = 100.0 if m.kind == "rate" else 1.0  # rates are compared in percentage points
    diff = (sum(b) / len(b) - sum(a) / len(a)) * scale
    half = Z95 * math.sqrt(_variance(a) / len(a) + _variance(b) / len(b)) * scale
    out["diff"], out["half_width"] = round(diff, 2), round(half, 2)
    out["significant"] = abs(diff) > half
    out["verdict"] = verdict(m, diff, half, min(len(a), len(b)))
    return out


def verdict(m: Measure, diff: float, half: float, n: int) -> str:
    """e.g. "B reduce el tiempo en el IVR en 18 s ± 6 s"."""
    amount = f"{_number(abs(diff))} {_unit(m)} ± {_number(half)} {_unit(m)}".replace("  ", " ").strip()
    if n < MIN_CALLS:
        return _("Pocas llamadas aún ({n}) para concluir sobre {label}.").format(n=n, label=m.label)
    if abs(diff) <= half:
        return _("Sin diferencia clara en {label} (B − A = {diff} ± {half}).").format(
            label=m.label, diff=f"{_number(diff)} {_unit(m)}".strip(), half=f"{_number(half)} {_unit(m)}".strip()
        )
    if m.kind == "rate":
        text = _("B sube {label} en {amount}") if diff > 0 else _("B baja {label} en {amount}")
    else:
        text = _("B aumenta {label} en {amount}") if diff > 0 else _("B reduce {label} en {amount}")
    return text.format(label=m.label, amount=amount)


def _unit(m: Measure) -> str:
    return {"pts": _("puntos"), "s": "s"}.get(m.unit, "")


def _number(x: float) -> str:
    return f"{x:.1f}".replace(".", ",") if abs(x) < 10 else f"{x:.0f}"


def _variance(values: list[float]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return sum((v - mean) ** 2 for v in values) / (n - 1)


def _wilson(p: float, n: int) -> tuple[float, float]:
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _round(x: float, m: Measure) -> float | None:
    if math.isnan(x):
        return None
    return round(x, 4 if m.kind == "rate" else 2)
