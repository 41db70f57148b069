"""A/B tests of flow versions (SQLite and PostgreSQL): starting, replacing, ending and promoting a
test; the compiled entry context; the assignment rule; the comparison against figures computed here
by hand from the call records written for it; the API's roles and errors and the CLI."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from ivr.tests.flows import sample_flow

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # the test's period, fixed: nothing here reads the clock


def _two_versions(session):
    from ivr import service

    service.save(session, "tramites", sample_flow())
    service.publish(session, "tramites")
    changed = sample_flow()
    changed["nodes"]["main"]["timeout_s"] = 7
    service.save(session, "tramites", changed, comment="longer wait")
    session.commit()


def test_takes_b_is_sticky_per_caller_and_matches_the_share():
    from ivr.split import takes_b

    numbers = [f"+5073{n:07d}" for n in range(10_000)]
    chosen = [takes_b("caller", 30, n, "tramites:1") for n in numbers]
    assert abs(100 * sum(chosen) / len(numbers) - 30) < 1.5  # a fixed hash: the same figure every run
    assert chosen == [takes_b("caller", 30, n, "tramites:1") for n in numbers]  # sticky
    again = [takes_b("caller", 30, n, "tramites:2") for n in numbers]  # a new test reshuffles callers
    both = sum(a and b for a, b in zip(chosen, again, strict=True))
    assert 0.05 < both / len(numbers) < 0.13  # independent draws: about 30 % × 30 % = 9 %
    # Per call, and for callers without a number, every call is a fresh draw (injected here).
    assert takes_b("call", 30, "+50731234567", "x", draw=lambda n: 2_999) is True
    assert takes_b("call", 30, "+50731234567", "x", draw=lambda n: 3_000) is False
    assert takes_b("caller", 30, "anonymous", "x", draw=lambda n: 0) is True


def test_start_replace_end_promote_and_their_errors(session):
    from api.audit.models import AuditLog
    from centralita import errors
    from ivr import service, split
    from ivr.models import FlowSplit

    service.save(session, "borrador", sample_flow())
    with pytest.raises(errors.FieldError, match="not published"):
        split.start(session, "borrador", 1, 20, "call")
    _two_versions(session)
    for version, share, by, field in (
        (2, 0, "call", "share"),
        (2, 100, "call", "share"),
        (2, 20, "day", "by"),
        (1, 20, "call", "version"),
        (9, 20, "call", "version"),
    ):
        with pytest.raises(errors.FieldError) as failure:
            split.start(session, "tramites", version, share, by)
        assert failure.value.field == field and failure.value.status == 422
    with pytest.raises(errors.NotFound):
        split.end(session, "tramites")

    first = split.start(session, "tramites", 2, 20, "call")
    session.commit()
    assert (first.version, first.base_version, first.ended_at) == (2, 1, None)
    second = split.start(session, "tramites", 2, 30, "caller")  # a new period; the first one ends
    session.commit()
    session.refresh(first)
    assert first.outcome == "superseded" and first.ended_at is not None and second.ended_at is None
    assert split.latest(session, "tramites").id == second.id

    promoted = split.promote(session, "tramites")
    session.commit()
    assert promoted.outcome == "promoted" and service.get_flow(session, "tramites").published_version == 2
    assert session.exec(select(FlowSplit).where(FlowSplit.ended_at == None)).all() == []  # noqa: E711
    actions = [a.action for a in session.exec(select(AuditLog).order_by(AuditLog.id))]
    assert actions.count("ivr.flow.split.start") == 2 and "ivr.flow.split.promote" in actions
    assert actions.count("ivr.flow.split.end") == 2

    # Publishing by hand while a test runs ends it: it compared against a version no longer published.
    third = split.start(session, "tramites", 1, 50, "call")
    service.publish(session, "tramites", 1)
    session.commit()
    session.refresh(third)
    assert third.outcome == "superseded"


def test_the_entry_context_asks_the_split_step_and_falls_back_to_the_published_version(session):
    from centralita.settings import get_settings
    from ivr import service, split

    _two_versions(session)
    row = split.start(session, "tramites", 2, 20, "caller")
    session.commit()
    contexts = {c.name: c for c in service.dialplan_contexts(session, get_settings())}
    assert contexts["ivr-tramites"].lines == [
        "exten => s,1,Set(CENTRALITA_SPLIT=)",
        f" same => n,AGI(${{FASTAGI}}/ivr/split?flow=tramites&split={row.id}&share=20&by=caller)",
        ' same => n,GotoIf($["${AGISTATUS}" = "SUCCESS" & "${CENTRALITA_SPLIT}" = "b"]?ivr-tramites-v2,s,1)',
        " same => n,Goto(ivr-tramites-v1,s,1)",
    ]
    assert "ivr-tramites-v2-main" in contexts  # the tested version is compiled though never published
    split.end(session, "tramites")
    session.commit()
    alias = next(c for c in service.dialplan_contexts(session, get_settings()) if c.name == "ivr-tramites")
    assert alias.lines == ["exten => s,1,Goto(ivr-tramites-v1,s,1)"]


def test_the_split_step_sets_the_arm_from_the_url_alone():
    import asyncio

    from ivr.agi_app import run_split
    from ivr.split import takes_b

    class Call:
        caller = "+50761234567"
        params = {"flow": "tramites", "split": "4", "share": "50", "by": "caller"}
        values: dict = {}

        async def set_variable(self, name, value):
            self.values[name] = value

    call = Call()
    asyncio.run(run_split(call))
    expected = "b" if takes_b("caller", 50, Call.caller, "tramites:4") else "a"
    assert call.values == {"CENTRALITA_SPLIT": expected}


def _calls(session, version: int, kinds: list[str], seconds: list[float], offset: int):
    """Call records of one version: `kinds` say how each ended; each starts inside the period."""
    from api.calls.models import CallRecord

    paths = {
        "self_service": f"flow:tramites/v{version}>main:1>debt:ok",
        "agent": f"flow:tramites/v{version}>main:2>queue:ventas",
        "abandoned": f"flow:tramites/v{version}>main:t",
    }
    ids = []
    for i, (kind, duration) in enumerate(zip(kinds, seconds, strict=True)):
        start = T0 + timedelta(minutes=offset + i)
        linkedid = f"v{version}-{i}"
        session.add(
            CallRecord(
                linkedid=linkedid,
                start=start,
                end=start + timedelta(seconds=duration),
                duration=duration,
                billsec=duration,
                path=paths[kind],
            )
        )
        ids.append(linkedid)
    return ids


def test_the_comparison_equals_the_figures_computed_from_the_records(session):
    from api.calls.models import CallRecord
    from ivr import split, split_compare
    from ivr.models import SurveyAnswer
    from queues.models import QueueCall

    _two_versions(session)
    row = split.start(session, "tramites", 2, 50, "call")
    row.started_at = T0
    session.commit()
    a_kinds = ["self_service"] * 10 + ["agent"] * 25 + ["abandoned"] * 5
    b_kinds = ["self_service"] * 20 + ["agent"] * 15 + ["abandoned"] * 5
    a_secs = [50.0 + i % 21 for i in range(40)]
    b_secs = [30.0 + i % 21 for i in range(40)]
    a_ids = _calls(session, 1, a_kinds, a_secs, 0)
    b_ids = _calls(session, 2, b_kinds, b_secs, 100)
    # Outside the period: not counted.
    session.add(
        CallRecord(
            linkedid="before",
            start=T0 - timedelta(hours=1),
            end=T0,
            duration=9,
            billsec=9,
            path="flow:tramites/v2>main:1>debt:ok",
        )
    )
    a_waits = [float(10 + i) for i in range(25)]
    b_waits = [float(5 + i % 7) for i in range(15)]
    for ids, waits in ((a_ids[10:35], a_waits), (b_ids[20:35], b_waits)):
        for linkedid, wait in zip(ids, waits, strict=True):
            session.add(
                QueueCall(callid=linkedid, queue="ventas", entered_at=T0, outcome="answered", wait_seconds=wait)
            )
    a_csat, b_csat = [3, 4, 2, 5, 3, 4], [5, 4, 5, 4, 5, 3]
    for ids, answers, version in ((a_ids, a_csat, 1), (b_ids, b_csat, 2)):
        for linkedid, answer in zip(ids, answers, strict=False):
            session.add(SurveyAnswer(linkedid=linkedid, flow="tramites", version=version, question=1, answer=answer))
    split.end(session, "tramites")
    row.ended_at = T0 + timedelta(days=1)
    session.commit()

    result = split_compare.compare(session, row)
    a, b = result["versions"]["a"], result["versions"]["b"]
    assert (a["version"], a["calls"], b["version"], b["calls"]) == (1, 40, 2, 40)
    assert result["observed_share"] == 50.0
    assert a["option_choices"] == {"main:1": 10, "main:2": 25} and b["option_choices"] == {"main:1": 20, "main:2": 15}
    assert a["self_service_rate"]["value"] == 0.25 and b["self_service_rate"]["value"] == 0.5
    assert b["abandoned_rate"]["value"] == 0.125 and a["to_agent_rate"]["value"] == 0.625
    assert a["ivr_seconds"]["value"] == round(statistics.mean(a_secs), 2)
    assert a["queue_wait"] == {
        "value": round(statistics.mean(a_waits), 2),
        "n": 25,
        "low": pytest.approx(statistics.mean(a_waits) - 1.959964 * statistics.stdev(a_waits) / 5, abs=0.01),
        "high": pytest.approx(statistics.mean(a_waits) + 1.959964 * statistics.stdev(a_waits) / 5, abs=0.01),
    }
    assert b["csat"]["value"] == round(statistics.mean(b_csat), 2) and b["csat"]["n"] == 6

    diffs = {d["key"]: d for d in result["differences"]}
    # Time in the IVR: B − A is −20 s exactly (the same spread shifted); Welch's half-width by hand.
    half = 1.959964 * math.sqrt(statistics.variance(a_secs) / 40 + statistics.variance(b_secs) / 40)
    assert diffs["ivr_seconds"]["diff"] == -20.0 and diffs["ivr_seconds"]["half_width"] == round(half, 2)
    assert diffs["ivr_seconds"]["verdict"] == f"B reduce el tiempo en el IVR en 20 s ± {half:.1f} s".replace(".", ",")
    # Self-service: +25 points; the 0/1 samples' variances give the half-width.
    ss_half = (
        100
        * 1.959964
        * math.sqrt(
            statistics.variance([1.0] * 10 + [0.0] * 30) / 40 + statistics.variance([1.0] * 20 + [0.0] * 20) / 40
        )
    )
    assert diffs["self_service_rate"]["diff"] == 25.0
    assert diffs["self_service_rate"]["half_width"] == round(ss_half, 2) and diffs["self_service_rate"]["significant"]
    assert diffs["self_service_rate"]["verdict"].startswith("B sube el autoservicio en 25 puntos ±")
    # Abandons are equal: no clear difference. CSAT has 6 answers a side: too few to conclude.
    assert diffs["abandoned_rate"]["diff"] == 0.0 and diffs["abandoned_rate"]["verdict"].startswith(
        "Sin diferencia clara"
    )
    assert diffs["csat"]["verdict"].startswith("Pocas llamadas aún (6)")


def test_api_roles_errors_and_the_whole_cycle(client, stack_env):
    from sqlmodel import Session

    from api.users import service as users
    from centralita import db

    with Session(db.get_engine()) as s:
        users.create_user(s, "ana", "agent-password-1", role="agent")
        s.commit()
    agent = {
        "Authorization": "Bearer "
        + client.post("/api/auth/token", json={"username": "ana", "password": "agent-password-1"}).json()[
            "access_token"
        ]
    }
    h = client.admin
    assert client.put("/api/ivr/flows/tramites", json={"definition": sample_flow()}, headers=h).status_code == 201
    assert client.post("/api/ivr/flows/tramites/publish", json={}, headers=h).status_code == 200
    assert client.put("/api/ivr/flows/tramites", json={"definition": sample_flow()}, headers=h).status_code == 201

    assert client.get("/api/ivr/flows/tramites/split", headers=client.sup).status_code == 404
    body = {"version": 2, "share": 30, "by": "caller"}
    assert client.put("/api/ivr/flows/tramites/split", json=body, headers=client.sup).status_code == 403
    assert client.get("/api/ivr/flows/tramites/split", headers=agent).status_code == 403
    r = client.put("/api/ivr/flows/tramites/split", json={**body, "share": 100}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "share"
    r = client.put("/api/ivr/flows/tramites/split", json={**body, "version": 1}, headers=h)
    assert r.status_code == 422 and "already the published" in r.text
    assert client.put("/api/ivr/flows/ghost/split", json=body, headers=h).status_code == 404

    r = client.put("/api/ivr/flows/tramites/split", json=body, headers=h)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("flow", "version", "base_version", "share", "by", "outcome")} == {
        "flow": "tramites",
        "version": 2,
        "base_version": 1,
        "share": 30,
        "by": "caller",
        "outcome": "",
    }
    shown = client.get("/api/ivr/flows/tramites/split", headers=client.sup).json()
    assert shown["split"]["running"] and shown["versions"]["a"]["calls"] == 0
    assert client.post("/api/ivr/flows/tramites/split/promote", headers=client.sup).status_code == 403
    r = client.post("/api/ivr/flows/tramites/split/promote", headers=h)
    assert r.status_code == 200 and r.json()["outcome"] == "promoted"
    assert client.get("/api/ivr/flows/tramites", headers=h).json()["published_version"] == 2
    assert client.delete("/api/ivr/flows/tramites/split", headers=h).status_code == 404  # none running now
    assert client.get("/api/ivr/flows/tramites/split", headers=client.sup).json()["split"]["outcome"] == "promoted"


def test_cli_starts_shows_and_ends_a_test(session):
    from centralita.cli import _register, app

    _register()
    _two_versions(session)
    runner = CliRunner()
    r = runner.invoke(app, ["flow", "split", "start", "tramites", "--version", "2", "--share", "25"])
    assert r.exit_code == 0 and "v2 takes 25 % of calls by call (v1 the rest)" in r.output, r.output
    r = runner.invoke(app, ["flow", "split", "start", "tramites", "--version", "2", "--share", "25", "--by", "day"])
    assert r.exit_code == 2 and "by:" in r.output
    r = runner.invoke(app, ["flow", "split", "show", "tramites"])
    assert r.exit_code == 0 and '"running": true' in r.output
    r = runner.invoke(app, ["flow", "split", "end", "tramites"])
    assert r.exit_code == 0 and "A/B test ended" in r.output
    r = runner.invoke(app, ["flow", "split", "end", "tramites"])
    assert r.exit_code == 2 and "no A/B test running" in r.output
