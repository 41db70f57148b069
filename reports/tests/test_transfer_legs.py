"""A call transferred to an agent's extension (blind REFER, attended *2): queue_log writes nothing for the
agent who takes it on, so their part comes from the call's CDRs — in report_agent_legs, the KPIs per agent
and the queue history — with the talk time worked out by hand below; answered stays one per visit. On
SQLite and PostgreSQL, through the real ingesters, whichever of queue_log and the CDRs arrives first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, delete, select

from reports.tests import transfers
from reports.tests.conftest import ingest, kpi
from reports.tests.test_incremental import TABLES, snapshot

SINCE, UNTIL = transfers.INTERVAL, transfers.INTERVAL + timedelta(minutes=15)


@pytest.fixture
def env(engine_env):
    from queues.models import AgentEndpoint

    session, paths = engine_env
    for username, extension in transfers.AGENTS:
        session.add(AgentEndpoint(username=username, sip_password="x", extension=extension))
    session.commit()
    return session, paths


def _run(session: Session) -> None:
    from centralita.settings import get_settings
    from reports import incremental

    incremental.process_all(session, get_settings())


def _legs(session: Session) -> dict[tuple[str, str], list[tuple]]:
    from reports.models import ReportAgentLeg

    out: dict[tuple[str, str], list[tuple]] = {}
    for leg in session.exec(
        select(ReportAgentLeg).order_by(col(ReportAgentLeg.callid), col(ReportAgentLeg.queue), col(ReportAgentLeg.seq))
    ):
        out.setdefault((leg.callid, leg.queue), []).append(
            (leg.agent, round(leg.talk_s, 3), leg.ended_by, leg.wrapup_s)
        )
    return out


def _at(offset: float):
    return transfers.INTERVAL + timedelta(seconds=offset)


EXPECTED = {
    # b1: agent1 40 s (BLINDTRANSFER calltime), then agent2 from the caller's Dial record: 67.2 − 45.2 = 22 s
    ("b1", "ventas"): [("agent1", 40.0, "blindtransfer", 5.0), ("agent2", 22.0, "hangup", 0.0)],
    # a1: agent1 38 s (ATTENDEDTRANSFER calltime, the consultation included); agent2's phone answered the
    # consultation at 133.5 and stayed until 170.3 (its last record): 36.8 s
    ("a1", "ventas"): [("agent1", 38.0, "attendedtransfer", 5.0), ("agent2", 36.8, "hangup", 0.0)],
    # q1: transferred into a queue: agent3's leg is the soporte visit's (CONNECT), no part from the CDR
    ("q1", "ventas"): [("agent1", 20.0, "blindtransfer", 5.0)],
    ("q1", "soporte"): [("agent3", 30.0, "caller", 0.0)],
}


def test_each_agent_is_credited_their_own_part(env):
    session, paths = env
    ingest(session, paths, transfers.QUEUE_LOG, transfers.CDRS)
    _run(session)
    assert _legs(session) == EXPECTED
    from reports.models import ReportAgentLeg, ReportQueueVisit

    [part] = session.exec(select(ReportAgentLeg).where(ReportAgentLeg.callid == "b1", ReportAgentLeg.agent == "agent2"))
    assert part.connected_at.replace(tzinfo=None) == _at(45.2).replace(tzinfo=None)
    assert part.ended_at is not None and part.ended_at.replace(tzinfo=None) == _at(67.2).replace(tzinfo=None)
    visit = session.exec(select(ReportQueueVisit).where(ReportQueueVisit.callid == "a1")).one()
    # one visit, answered once, by agent1; its handle time is both agents' talk
    assert (visit.outcome, visit.agent, visit.legs, visit.transfers) == ("answered", "agent1", 2, 1)
    assert visit.talk_s == pytest.approx(38.0 + 36.8)
    assert visit.ended_at is not None and visit.ended_at.replace(tzinfo=None) == _at(170.3).replace(tzinfo=None)


def test_kpis_count_the_answer_once_and_each_agents_talk(env):
    session, paths = env
    ingest(session, paths, transfers.QUEUE_LOG, transfers.CDRS)
    _run(session)
    [ventas] = kpi(session, since=SINCE, until=UNTIL, queue=["ventas"])
    # offered and answered: b1 a1 q1, once each; transfers: the three queue_log transfer lines
    assert (ventas["offered"], ventas["answered"], ventas["transfers"]) == (3, 3, 3)
    # legs that ended: agent1 ×3 and agent2's two parts = 5; talk 40 + 38 + 20 + 22 + 36.8 = 156.8;
    # wrap-up 5 s after agent1's three legs (none for a call that reached agent2 outside the queue)
    assert ventas["talk_s"] == pytest.approx(156.8) and ventas["wrapup_s"] == 15.0
    assert ventas["aht_s"] == pytest.approx((156.8 + 15.0) / 5, abs=0.01)
    by_agent = {r["agent"]: r for r in kpi(session, since=SINCE, until=UNTIL, queue=["ventas"], group_by="agent")}
    assert set(by_agent) == {"agent1", "agent2"}
    assert (by_agent["agent1"]["answered"], by_agent["agent1"]["talk_s"]) == (3, 98.0)
    assert by_agent["agent1"]["aht_s"] == pytest.approx((98.0 + 15.0) / 3, abs=0.01)
    assert (by_agent["agent2"]["answered"], by_agent["agent2"]["talk_s"]) == (0, pytest.approx(58.8))
    assert by_agent["agent2"]["aht_s"] == pytest.approx(58.8 / 2, abs=0.01)
    [soporte] = kpi(session, since=SINCE, until=UNTIL, queue=["soporte"])
    assert (soporte["offered"], soporte["answered"], soporte["talk_s"]) == (1, 1, 30.0)


@pytest.mark.parametrize("cdrs_first", [False, True])
def test_incremental_in_either_order_equals_a_rebuild(env, cdrs_first):
    """The CDRs come at the end of the call, after the queue_log lines (or, the ingesters being separate
    loops, before them): the engine re-folds the visit either way, and a rebuild gives the same rows."""
    from centralita.settings import get_settings
    from reports import incremental, models

    session, paths = env
    if cdrs_first:
        ingest(session, paths, [], transfers.CDRS)
        _run(session)
        ingest(session, paths, transfers.QUEUE_LOG, [])
        _run(session)
    else:
        ingest(session, paths, transfers.QUEUE_LOG[:3], [])  # b1 without its CDRs: agent1's part only
        _run(session)
        assert _legs(session) == {("b1", "ventas"): [("agent1", 40.0, "blindtransfer", 5.0)]}
        ingest(session, paths, transfers.QUEUE_LOG[3:], transfers.CDRS[:2])
        _run(session)
        ingest(session, paths, [], transfers.CDRS[2:])  # one CDR batch later: a1's part appears
        _run(session)
    assert _legs(session) == EXPECTED
    live = snapshot(session)
    for name in TABLES:
        session.exec(delete(getattr(models, name)))
    session.commit()
    incremental.rebuild(session, SINCE - timedelta(hours=1), UNTIL + timedelta(hours=1), get_settings())
    session.commit()
    assert snapshot(session) == live


def test_the_queue_history_shows_each_agents_part(env):
    from queues import history

    session, paths = env
    ingest(session, paths, transfers.QUEUE_LOG, transfers.CDRS)  # no engine run: the history reads raw records
    rows = {(r["callid"], r["queue"]): r for r in history.calls(session, None, 100)}
    b1 = rows[("b1", "ventas")]
    assert (b1["agent"], b1["talk_seconds"]) == ("agent1", 40.0)
    assert [(p["agent"], p["via"], p["talk_seconds"], p["ended_by"]) for p in b1["agents"]] == [
        ("agent1", "queue", 40.0, "blindtransfer"),
        ("agent2", "transfer", 22.0, "hangup"),
    ]
    a1 = rows[("a1", "ventas")]
    assert [(p["agent"], p["via"], p["talk_seconds"]) for p in a1["agents"]] == [
        ("agent1", "queue", 38.0),
        ("agent2", "transfer", 36.8),
    ]
    assert [p["agent"] for p in rows[("q1", "ventas")]["agents"]] == ["agent1"]
    assert [p["agent"] for p in rows[("q1", "soporte")]["agents"]] == ["agent3"]
    # the same legs the engine stores
    _run(session)
    stored = _legs(session)
    for key, row in rows.items():
        assert [(p["agent"], p["talk_seconds"], p["ended_by"]) for p in row["agents"]] == [s[:3] for s in stored[key]]


def test_a_transferred_to_agent_who_hands_the_call_on(env):
    """agent2 takes b1 on and blind-transfers it to agent3's extension 12 s later: agent2's part ends by
    `transfer` (another agent went on), agent3's is the third part of the same visit."""
    session, paths = env
    cdrs = [
        transfers.cdr("b1", 0, "b1", 0.0, 0.2, 45.1, "PJSIP/trunk-00000001", "PJSIP/agent1-00000002"),
        transfers.cdr("b1", 3, "b1", 45.2, 45.2, 57.2, "PJSIP/trunk-00000001", "PJSIP/agent2-00000003", "Dial"),
        transfers.cdr("b1", 5, "b1", 57.3, 57.3, 80.3, "PJSIP/trunk-00000001", "PJSIP/agent3-0000000a", "Dial"),
        # agent1's phone rung again and never answered: no part
        transfers.cdr("b1.9", 0, "b1", 57.3, None, 60.0, "PJSIP/agent1-0000000b", "", "", disposition="NO ANSWER"),
    ]
    ingest(session, paths, transfers.QUEUE_LOG[:3], cdrs)
    _run(session)
    assert _legs(session) == {
        ("b1", "ventas"): [
            ("agent1", 40.0, "blindtransfer", 5.0),
            ("agent2", 12.0, "transfer", 0.0),
            ("agent3", 23.0, "hangup", 0.0),
        ]
    }


def test_the_history_route_names_each_agents_talk(env):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.users import service

    session, paths = env
    ingest(session, paths, transfers.QUEUE_LOG, transfers.CDRS)
    service.create_user(session, "sup", "super-password-1", role="supervisor")
    service.create_user(session, "ana", "agent-password-1", role="agent")
    session.commit()
    with TestClient(create_app(with_runtime=False)) as client:

        def auth(user, password):
            token = client.post("/api/auth/token", json={"username": user, "password": password}).json()
            return {"Authorization": f"Bearer {token['access_token']}"}

        r = client.get("/api/queues/history/calls", params={"queue": "ventas"}, headers=auth("sup", "super-password-1"))
        assert r.status_code == 200, r.text
        b1 = next(c for c in r.json() if c["callid"] == "b1")
        assert b1["agents"][1] == {
            "agent": "agent2",
            "via": "transfer",
            "connected_at": b1["agents"][1]["connected_at"],
            "ended_at": b1["agents"][1]["ended_at"],
            "talk_seconds": 22.0,
            "hold_seconds": 0.0,
            "ended_by": "hangup",
        }
        assert b1["agents"][1]["connected_at"].startswith("2026-11-30T10:00:45.2")
        # the history is the supervisors': an agent gets 403
        assert client.get("/api/queues/history/calls", headers=auth("ana", "agent-password-1")).status_code == 403


def test_a_part_the_call_outlived_ended_by_the_agent():
    """agent2 hangs up and the caller goes on (the survey): `agent`; a call nobody handed on gets no part."""
    from api.calls.models import CdrEntry
    from reports.facts import transfer_parts

    def row(sequence: int, start: float, end: float, dstchannel: str = "", lastapp: str = "Dial") -> CdrEntry:
        return CdrEntry(
            uniqueid="b1",
            sequence=sequence,
            linkedid="b1",
            start=_at(start),
            answer=_at(start),
            end=_at(end),
            duration=end - start,
            billsec=end - start,
            channel="PJSIP/trunk-00000001",
            dstchannel=dstchannel,
            lastapp=lastapp,
            disposition="ANSWERED",
        )

    cdrs = [
        row(0, 0.2, 45.1, "PJSIP/agent1-00000002", "Queue"),
        row(3, 45.2, 67.2, "PJSIP/agent2-00000003"),
        row(4, 67.2, 90.0, lastapp="AGI"),  # the survey, after agent2 hung up
    ]
    agent1 = {"agent": "agent1", "connected_at": _at(5), "ended_by": "blindtransfer"}
    parts = transfer_parts({("b1", "ventas"): [agent1]}, cdrs, {"agent1", "agent2"})
    assert [(p["agent"], p["talk_s"], p["ended_by"], p["via"]) for p in parts[("b1", "ventas")]] == [
        ("agent2", 22.0, "agent", "transfer")
    ]
    assert transfer_parts({("b1", "ventas"): [{**agent1, "ended_by": "caller"}]}, cdrs, {"agent1", "agent2"}) == {}
