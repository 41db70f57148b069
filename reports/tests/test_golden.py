"""Golden figures: the hand-written queue_log and CDR file of golden.py through the real ingesters and the
engine, on SQLite and PostgreSQL; every KPI equals the value worked out by hand in the comments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from reports.tests import golden
from reports.tests.conftest import feed, kpi


@pytest.fixture
def loaded(engine_env):
    session, paths = engine_env
    feed(session, paths, golden.QUEUE_LOG, golden.CDRS)
    return session


def test_ventas(loaded):
    [row] = kpi(loaded, queue=["ventas"])
    # Visits entered in ventas: c1 c2 c3 c4 c5 c6 c7 c8 c9 c12 c13 = 11
    assert row["offered"] == 11
    # answered: c1 c2 c8 c9 c12 (c12 cut by the restart, but it was answered) = 5
    assert row["answered"] == 5
    # long abandons c4 (12 s) and c5 (40 s); short: c3 (3 s < 5 s)
    assert (row["abandoned"], row["short_abandoned"]) == (2, 1)
    # c6 timed out and overflowed; c7 left with the key and asked for a callback, CALLBACKDIAL made it
    assert (row["timeouts"], row["overflows"], row["exits_key"]) == (1, 1, 1)
    assert (row["callbacks_requested"], row["callbacks_made"]) == (1, 1)
    # c8 blind, c9 attended
    assert row["transfers"] == 2
    # c13 was waiting when Asterisk went down
    assert row["restart_lost"] == 1
    # answered within 20 s: c1 (15) c8 (5) c9 (10) c12 (10) = 4; c2 (30) not
    assert row["sl_answered"] == 0.8  # 4 / 5 answered
    assert row["sl_offered"] == 0.4  # 4 / (11 offered − 1 short)
    assert row["sl_inclusive"] == 0.5  # (4 + c4 abandoned within 20 s) / 10
    assert row["asa_s"] == 14.0  # (15 + 30 + 5 + 10 + 10) / 5
    # waits of the visits that ended, short abandon excluded:
    # c1 15 + c2 30 + c4 12 + c5 40 + c6 300 + c7 10 + c8 5 + c9 10 + c12 10 + c13 10 (730 − 720) = 442 / 10
    assert row["mean_wait_s"] == 44.2
    assert row["max_wait_s"] == 300.0
    assert row["abandon_rate"] == 0.2  # 2 long abandons / 10 (offered − short)
    # legs: c1 agent1 100 s, c2 agent2 60, c8 agent1 60 (until the blind transfer), c9 agent2 90 of
    # calltime of which 30 on hold → talk 60, c12 agent2 20 (710 → 730, the last line before the restart)
    assert (row["talk_s"], row["hold_s"]) == (300.0, 30.0)
    assert row["wrapup_s"] == 20.0  # 5 s after c1 c2 c8 c9; none after the restart
    assert row["aht_s"] == 70.0  # (300 + 30 + 20) / 5 legs
    # FCR: c1's caller came back with c8 (another call, 190 s later) → not resolved; c2 c8 c9 c12 are
    assert row["fcr"] == 0.8
    # surveys: CSAT answers 5, 3 (c1) and 4 (c2) → mean 4.0, share of 4–5 = 2/3; NPS answers 9 and 5
    # → one promoter, one detractor → 0
    assert (row["csat"], row["csat_top2"], row["csat_n"]) == (4.0, 0.6667, 3)
    assert (row["nps"], row["nps_n"]) == (0.0, 2)
    # c1 and c2 came through the IVR and reached an agent
    assert row["ivr_self_service"] == 0.0
    # agent time in ventas: agent1 and agent2 logged in 0 → 1000 s = 2000 s; paused: agent2 break 60 s,
    # agent1 lunch 730 → 1000 = 270 s → 330 s; ready 1670 s
    assert (row["logged_in_s"], row["paused_s"], row["ready_s"]) == (2000.0, 330.0, 1670.0)
    assert row["paused_by_reason"] == {"break": 60.0, "lunch": 270.0}
    # occupancy: (talk + hold 330 + wrap-up 20) / 1670
    assert row["occupancy"] == round(350 / 1670, 4)


def test_soporte(loaded):
    [row] = kpi(loaded, queue=["soporte"])
    # c6 (overflowed in), c8 (blind-transferred in), c10, c11; all answered within its 30 s threshold
    assert (row["offered"], row["answered"], row["abandoned"]) == (4, 4, 0)
    assert row["sl_answered"] == 1.0 and row["sl_offered"] == 1.0
    assert row["asa_s"] == 5.25  # (9 + 4 + 6 + 2) / 4
    # c10: Local-channel attended transfer (LINK) after 50 s; c11: old TRANSFER after 40 s
    assert row["transfers"] == 2
    assert row["talk_s"] == 210.0  # c6 60 + c8 60 + c10 50 + c11 40
    assert row["aht_s"] == 52.5  # 210 / 4, no wrap-up in soporte
    assert row["fcr"] == 1.0
    # agent3 and agent1 logged in 1000 s each, no pause in soporte: occupancy 210 / 2000
    assert (row["logged_in_s"], row["paused_s"]) == (2000.0, 0.0)
    assert row["occupancy"] == 0.105


def test_whole_center_and_ivr(loaded):
    [row] = kpi(loaded, group_by="none")
    assert row["offered"] == 15 and row["answered"] == 9
    # IVR: c1 c2 (to an agent), c20 (self-service), c21 (hung up in the menu) → 1 / 4
    assert row["ivr_self_service"] == 0.25
    # agents across queues (union of sessions): 3 × 1000 s; paused 270 + 60
    assert (row["logged_in_s"], row["paused_s"]) == (3000.0, 330.0)
    # busy: ventas 330 + 20 wrap, soporte 210 → 560 / 2670
    assert row["occupancy"] == round(560 / 2670, 4)


def test_agent_credit_across_transfers(loaded):
    rows = {r["agent"]: r for r in kpi(loaded, group_by="agent")}
    # agent1: c1 (100 s + 5 wrap), c8 until the blind transfer (60 + 5), c10 until the Local transfer (50)
    a1 = rows["agent1"]
    assert (a1["answered"], a1["talk_s"], a1["wrapup_s"]) == (3, 210.0, 10.0)
    assert a1["aht_s"] == round(220 / 3, 2)
    # agent1's own time: 1000 s logged in (both queues, counted once), 270 s lunch → ready 730
    assert (a1["logged_in_s"], a1["ready_s"]) == (1000.0, 730.0)
    assert a1["occupancy"] == round(220 / 730, 4)
    # agent3 got c8 after the blind transfer (60 s), c6 (60) and c11 (40)
    assert (rows["agent3"]["answered"], rows["agent3"]["talk_s"]) == (3, 160.0)
    # agent2: c2 60, c9 60 + 30 hold, c12 20
    assert (rows["agent2"]["talk_s"], rows["agent2"]["hold_s"]) == (140.0, 30.0)


def test_groupings_split_the_same_sums(loaded):
    by_did = {r["did"]: r for r in kpi(loaded, queue=["ventas"], group_by="did")}
    # c1 and c2 came in on DID 8001 (their CDRs); the other visits have no CDR here
    assert by_did["8001"]["offered"] == 2 and by_did[""]["offered"] == 9
    by_version = kpi(loaded, group_by="flow_version")
    assert {r["flow_version"]: r["offered"] for r in by_version} == {"": 13, "main/v2": 2}
    # the time groupings: everything in hour 9 (UTC zone), Monday, one 15-minute interval with visits
    [hour] = kpi(loaded, group_by="hour")
    assert hour["hour"] == 9 and hour["offered"] == 15
    [weekday] = kpi(loaded, group_by="weekday")
    assert weekday["weekday"] == 1
    intervals = kpi(loaded, group_by="interval")
    assert [r["interval"] for r in intervals] == [golden.INTERVAL.isoformat(), golden.NEXT.isoformat()]
    # the 09:15 interval has only agent time: 100 s of each of the 3 agents, 100 s of agent1's lunch
    assert intervals[1]["offered"] == 0 and intervals[1]["logged_in_s"] == 300.0
    assert intervals[1]["paused_by_reason"] == {"lunch": 100.0}


def test_restart_closes_visits_and_queue_calls(loaded):
    from queues.models import QueueCall
    from reports.models import ReportAgentLeg, ReportQueueVisit

    c12 = loaded.exec(select(ReportQueueVisit).where(ReportQueueVisit.callid == "c12")).one()
    c13 = loaded.exec(select(ReportQueueVisit).where(ReportQueueVisit.callid == "c13")).one()
    assert (c12.outcome, c12.restart, c12.talk_s) == ("answered", True, 20.0)
    assert (c13.outcome, c13.restart, c13.wait_s) == ("restart_lost", True, 10.0)
    [leg] = loaded.exec(select(ReportAgentLeg).where(ReportAgentLeg.callid == "c12")).all()
    assert leg.ended_by == "restart"
    # the queues' own history is closed too
    calls = {c.callid: c for c in loaded.exec(select(QueueCall))}
    assert calls["c13"].outcome == "restart" and calls["c13"].ended_at is not None
    assert calls["c12"].ended_at is not None


def test_transfers_close_queue_calls_with_each_agents_part(loaded):
    from queues.models import QueueCall

    calls = {(c.callid, c.queue): c for c in loaded.exec(select(QueueCall))}
    assert (calls[("c8", "ventas")].agent, calls[("c8", "ventas")].talk_seconds) == ("agent1", 60)
    assert (calls[("c8", "soporte")].agent, calls[("c8", "soporte")].talk_seconds) == ("agent3", 60)
    assert calls[("c9", "ventas")].talk_seconds == 90  # Asterisk's calltime (hold included)
    assert calls[("c10", "soporte")].talk_seconds == 50 and calls[("c10", "soporte")].ended_at is not None
    assert calls[("c11", "soporte")].talk_seconds == 40
    assert calls[("c8", "ventas")].ended_at == golden.INTERVAL + timedelta(seconds=265)


def test_drill_down_lists_the_visits(loaded):
    from reports import service
    from reports.schemas import parse_query

    q = parse_query(queue=["ventas"], since=golden.INTERVAL, until=golden.NEXT)
    rows = service.calls(loaded, q, limit=100, offset=0)
    assert [r["callid"] for r in rows] == ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c12", "c13"]
    assert rows[0]["outcome"] == "answered" and rows[0]["agent"] == "agent1" and rows[0]["linkedid"] == "c1"
    assert rows[2]["short_abandon"] is True


def test_abandoned_today_and_callback(loaded):
    from queues.models import Callback
    from reports import service

    now = golden.INTERVAL + timedelta(minutes=30)
    rows = service.abandoned_today(loaded, ["ventas"], now)
    # long abandons only (c3 was short), newest first
    assert [r["callid"] for r in rows] == ["c5", "c4"]
    service.request_callback(loaded, "c5")
    loaded.commit()
    cb = loaded.exec(select(Callback).where(Callback.callid == "c5")).one()
    assert (cb.number, cb.status, cb.queue) == ("5551005", "requested", "ventas")
    assert [r["callid"] for r in service.abandoned_today(loaded, ["ventas"], now)] == ["c4"]


def test_the_whole_centers_rollup_gives_the_per_queue_sums(loaded):
    # No queue named: report_center_15m; every queue named: report_kpi_15m's per-queue roll-up rows.
    every_queue = sorted({r["queue"] for r in kpi(loaded, group_by="queue")})
    assert every_queue == ["", "soporte", "ventas"]  # '': the IVR's calls that never reached a queue
    # Agent time differs by design (the center counts an agent in two queues once: test_whole_center_and_ivr).
    agent_time = {"logged_in_s", "paused_s", "ready_s", "paused_by_reason", "occupancy"}

    def calls_only(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k not in agent_time} for r in rows]

    for group_by in ("interval", "none", "hour"):
        center = kpi(loaded, group_by=group_by)
        assert center and calls_only(center) == calls_only(kpi(loaded, group_by=group_by, queue=every_queue))


def test_whole_days_come_from_the_daily_rollup_with_the_same_figures(loaded):
    from datetime import UTC, datetime

    by_quarter = kpi(loaded, group_by="queue")
    day = {"since": datetime(2026, 11, 30, tzinfo=UTC), "until": datetime(2026, 12, 1, tzinfo=UTC)}
    assert kpi(loaded, group_by="queue", **day) == by_quarter  # one whole day: report_kpi_day only
    # ragged start, two whole days, ragged end: both tables, still the same sums
    ragged = {"since": datetime(2026, 11, 29, 7, 45, tzinfo=UTC), "until": datetime(2026, 12, 2, 6, tzinfo=UTC)}
    assert kpi(loaded, group_by="queue", **ragged) == by_quarter
    [month] = kpi(loaded, group_by="month", **ragged)
    [none] = kpi(loaded, group_by="none")
    assert month["month"] == "2026-11" and {k: v for k, v in month.items() if k != "month"} == none


def test_the_centers_time_zone_decides_days_and_hours(loaded, monkeypatch):
    from centralita.settings import get_settings, reset_settings_cache
    from reports import incremental

    monkeypatch.setenv("CENTRALITA_REPORT_TIMEZONE", "America/Panama")  # UTC−5, no DST
    reset_settings_cache()
    incremental.rebuild(loaded, golden.INTERVAL, golden.NEXT + timedelta(minutes=15), get_settings())
    loaded.commit()
    [hour] = kpi(loaded, group_by="hour")
    assert hour["hour"] == 4 and hour["offered"] == 15  # 09:00 UTC is 04:00 in Panama
    [day] = kpi(loaded, group_by="day")
    assert day["day"] == "2026-11-30" and day["offered"] == 15
