"""The BI views (reports/bi.py, migration reports_bi_0001) on SQLite and PostgreSQL: every view answers
with the same columns on both, the values of a small hand-made data set, a clean downgrade and
upgrade, and the models-vs-migrations comparison never sees them (views are not tables)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel

import centralita.models  # noqa: F401  (registers every table)
from centralita import db
from reports import bi

T = datetime(2026, 11, 30, 9, 7, 30, tzinfo=UTC)  # Monday; quarter hour 09:00

COLUMNS = {
    "dim_date": "date_key date year quarter month year_month day_of_month iso_year iso_week year_week weekday "
    "is_weekend",
    "dim_time_15m": "time_key hhmm hour minute interval_index",
    "dim_queue": "queue_key label strategy wrapup_s max_wait_s sl_threshold_s short_abandon_s active",
    "dim_agent": "agent_key extension user_id name role active",
    "dim_flow_version": "flow_version_key flow version comment created_by created_at published_at is_published",
    "fact_call": "call_id linkedid date_key time_key started_at queue_key agent_key flow_version_key did campaign "
    "ivr_outcome ivr_call self_service duration_s csat_sum csat_n csat_top2 nps_promoters nps_detractors nps_n",
    "fact_queue_visit": "visit_id callid linkedid date_key time_key entered_at ended_at queue_key agent_key "
    "flow_version_key did campaign outcome left_by offered answered abandoned short_abandoned timeout overflow "
    "within_sl sl_threshold_s wait_s talk_s hold_s wrapup_s handle_s legs transfers callback_requested "
    "callback_made repeat_within_fcr restart",
    "fact_agent_interval": "agent_interval_id date_key time_key interval_start agent_key queue_key all_queues "
    "local_day local_week local_month local_hour local_weekday logged_in_s paused_s ready_s talk_s wrapup_s "
    "paused_by_reason",
    "fact_survey": "answer_id linkedid date_key time_key answered_at queue_key agent_key flow_version_key question "
    "answer",
    "fact_dialer_attempt": "attempt_id linkedid date_key time_key started_at answered_at connected_at ended_at "
    "disposed_at campaign campaign_mode queue_key agent_key contact_id outcome disposition amd_status right_party "
    "answered connected ring_s talk_s",
}


def _at(h: int, m: int, s: int = 0) -> datetime:
    return datetime(2026, 11, 30, h, m, s, tzinfo=UTC)


@pytest.fixture
def bi_data(stack_env):
    from api.users.models import User
    from dialer.models import Attempt, Campaign, Contact, ContactList
    from ivr.models import Flow, FlowVersion, SurveyAnswer
    from queues.models import AgentEndpoint, Queue
    from reports.models import ReportAgent15m, ReportCall, ReportQueueSetting, ReportQueueVisit

    with Session(db.get_engine()) as s:
        ana = User(username="ana", full_name="Ana Pérez", role="agent", password_hash="x")
        s.add(ana)
        s.flush()
        s.add(AgentEndpoint(username="agent1", sip_password="p", extension="1001", user_id=ana.id))
        s.add(AgentEndpoint(username="agent2", sip_password="p", extension="1002"))
        s.add(Queue(name="ventas", label="Ventas", wrapup_seconds=5, max_wait_seconds=300))
        s.add(ReportQueueSetting(queue="soporte", sl_threshold_s=30, short_abandon_s=4))  # a deleted queue
        flow = Flow(name="main", definition={}, published_version=2)
        s.add(flow)
        s.flush()
        s.add(FlowVersion(flow_id=flow.id, version=1, definition={}, comment="primera"))
        s.add(FlowVersion(flow_id=flow.id, version=2, definition={}, comment="segunda"))
        common = {"queue": "ventas", "did": "8001", "flow_version": "main/v2", "linkedid": "c1"}
        s.add(
            ReportQueueVisit(
                callid="c1",
                caller="5551001",
                entered_at=T,
                interval_start=_at(9, 0),
                ended_at=_at(9, 10),
                outcome="answered",
                wait_s=15,
                agent="agent1",
                talk_s=100,
                hold_s=10,
                wrapup_s=5,
                legs=1,
                within_sl=True,
                repeat_within_fcr=False,
                **common,
            )
        )
        s.add(
            ReportQueueVisit(
                callid="c3",
                linkedid="c3",
                queue="ventas",
                entered_at=_at(23, 59, 59),
                interval_start=_at(23, 45),
                ended_at=_at(23, 59, 59),
                outcome="abandoned",
                short_abandon=True,
                left_by="abandon",
                wait_s=3,
            )
        )
        s.add(
            ReportQueueVisit(
                callid="c4",
                linkedid="c4",
                queue="ventas",
                entered_at=_at(9, 20),
                interval_start=_at(9, 15),
                ended_at=_at(9, 20, 40),
                outcome="abandoned",
                left_by="abandon",
                wait_s=40,
            )
        )
        s.add(
            ReportCall(
                linkedid="c1",
                start=_at(9, 7),
                interval_start=_at(9, 0),
                caller="5551001",
                did="8001",
                flow="main",
                flow_version="main/v2",
                ivr_outcome="agent",
                queue="ventas",
                agent="agent1",
                duration_s=180.5,
                csat_sum=5,
                csat_n=1,
                csat_top2=1,
                nps_promoters=1,
                nps_n=1,
            )
        )
        s.add(
            ReportCall(
                linkedid="c20",
                start=_at(10, 1),
                interval_start=_at(10, 0),
                did="8002",
                flow="main",
                flow_version="main/v2",
                ivr_outcome="self_service",
                duration_s=60,
            )
        )
        reasons = {"break": 60.0}
        for agent, queue in (("agent1", "ventas"), ("agent1", "*"), ("*", "ventas"), ("*", "*")):
            s.add(
                ReportAgent15m(
                    interval_start=_at(9, 0),
                    agent=agent,
                    queue=queue,
                    local_day="2026-11-30",
                    local_week="2026-W49",
                    local_month="2026-11",
                    local_hour=9,
                    local_weekday=1,
                    logged_in_s=900,
                    paused_s=60,
                    paused_by_reason=reasons,
                    talk_s=100,
                    wrapup_s=5,
                )
            )
        s.add(
            SurveyAnswer(
                linkedid="c1",
                flow="main",
                version=2,
                question=1,
                answer=5,
                queue="ventas",
                agent="agent1",
                at=_at(9, 12),
            )
        )
        camp = Campaign(name="cobranza", mode="progressive", queue_name="ventas")
        s.add(camp)
        s.flush()
        lst = ContactList(name="lista", campaign_id=camp.id)
        s.add(lst)
        s.flush()
        contact = Contact(list_id=lst.id, phone="+593999000111")
        s.add(contact)
        s.flush()
        s.add(
            Attempt(
                campaign_id=camp.id,
                contact_id=contact.id,
                phone=contact.phone,
                started_at=_at(10, 0),
                answered_at=_at(10, 0, 12),
                connected_at=_at(10, 0, 14),
                ended_at=_at(10, 2, 14),
                outcome="answered",
                disposition="promesa",
                agent_name="agent1",
                right_party=True,
                linkedid="d1",
            )
        )
        s.add(
            Attempt(
                campaign_id=camp.id,
                contact_id=contact.id,
                phone=contact.phone,
                started_at=_at(11, 0),
                ended_at=_at(11, 0, 25),
                outcome="no_answer",
            )
        )
        s.commit()
    yield


def _rows(view: str, order: str) -> tuple[list[str], list[dict]]:
    with db.get_engine().connect() as conn:
        result = conn.exec_driver_sql(f"SELECT * FROM {view} ORDER BY {order}")
        names = list(result.keys())
        return names, [dict(zip(names, row, strict=True)) for row in result]


def _day(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def test_every_view_has_the_same_columns_and_the_known_values(bi_data):
    orders = {
        "dim_date": "date_key",
        "dim_time_15m": "time_key",
        "dim_queue": "queue_key",
        "dim_agent": "agent_key",
        "dim_flow_version": "flow_version_key",
        "fact_call": "call_id",
        "fact_queue_visit": "visit_id",
        "fact_agent_interval": "all_queues",
        "fact_survey": "answer_id",
        "fact_dialer_attempt": "attempt_id",
    }
    rows = {}
    for view in bi.VIEWS:
        names, rows[view] = _rows(view, orders[view])
        assert names == COLUMNS[view].split(), view

    dates = {r["date_key"]: r for r in rows["dim_date"]}
    assert len(dates) == 7671  # 2020-01-01 … 2040-12-31, contiguous
    monday = dates[20261130]
    assert _day(monday["date"]) == "2026-11-30"
    assert (monday["year"], monday["quarter"], monday["month"], monday["day_of_month"]) == (2026, 4, 11, 30)
    assert (monday["year_week"], monday["weekday"], monday["is_weekend"], monday["year_month"]) == (
        "2026-W49",
        1,
        0,
        "2026-11",
    )
    sunday = dates[20210103]  # ISO week 53 of 2020
    assert (sunday["iso_year"], sunday["iso_week"], sunday["weekday"], sunday["is_weekend"]) == (2020, 53, 7, 1)
    assert dates[20400101]["year_week"] == "2039-W52"

    times = {r["time_key"]: r for r in rows["dim_time_15m"]}
    assert len(times) == 96
    assert times[915] == {"time_key": 915, "hhmm": "09:15", "hour": 9, "minute": 15, "interval_index": 37}
    assert times[2345]["hhmm"] == "23:45"

    assert [
        (r["queue_key"], r["label"], r["wrapup_s"], r["sl_threshold_s"], r["active"]) for r in rows["dim_queue"]
    ] == [
        ("soporte", "", None, 30, 0),
        ("ventas", "Ventas", 5, None, 1),
    ]
    assert [(r["agent_key"], r["extension"], r["name"], r["active"]) for r in rows["dim_agent"]] == [
        ("agent1", "1001", "Ana Pérez", 1),
        ("agent2", "1002", None, None),
    ]
    assert [(r["flow_version_key"], r["flow"], r["version"], r["is_published"]) for r in rows["dim_flow_version"]] == [
        ("main/v1", "main", 1, 0),
        ("main/v2", "main", 2, 1),
    ]

    c1, c20 = rows["fact_call"]
    assert (c1["date_key"], c1["time_key"], c1["queue_key"], c1["agent_key"], c1["flow_version_key"]) == (
        20261130,
        900,
        "ventas",
        "agent1",
        "main/v2",
    )
    assert (c1["ivr_call"], c1["self_service"], c1["csat_sum"], c1["nps_promoters"], c1["duration_s"]) == (
        1,
        0,
        5,
        1,
        180.5,
    )
    assert (c20["queue_key"], c20["agent_key"], c20["self_service"], c20["time_key"]) == (None, None, 1, 1000)

    v1, v3, v4 = rows["fact_queue_visit"]
    assert (v1["callid"], v1["date_key"], v1["time_key"], v1["answered"], v1["abandoned"], v1["within_sl"]) == (
        "c1",
        20261130,
        900,
        1,
        0,
        1,
    )
    assert (v1["handle_s"], v1["repeat_within_fcr"], v1["agent_key"], v1["offered"]) == (115, 0, "agent1", 1)
    assert (v3["time_key"], v3["short_abandoned"], v3["abandoned"], v3["agent_key"], v3["repeat_within_fcr"]) == (
        2345,
        1,
        0,
        None,
        None,
    )
    assert (v4["abandoned"], v4["short_abandoned"], v4["within_sl"], v4["time_key"]) == (1, 0, 0, 915)

    per_queue, union = rows["fact_agent_interval"]  # the '*' agent rows are not exposed
    assert (per_queue["agent_key"], per_queue["queue_key"], per_queue["all_queues"]) == ("agent1", "ventas", 0)
    assert (union["agent_key"], union["queue_key"], union["all_queues"]) == ("agent1", None, 1)
    assert (per_queue["ready_s"], per_queue["time_key"], per_queue["local_day"], per_queue["date_key"]) == (
        840,
        900,
        "2026-11-30",
        20261130,
    )
    assert per_queue["paused_by_reason"].replace(" ", "") == '{"break":60.0}'

    (answer,) = rows["fact_survey"]
    assert (answer["flow_version_key"], answer["time_key"], answer["question"], answer["answer"]) == (
        "main/v2",
        900,
        1,
        5,
    )

    done, missed = rows["fact_dialer_attempt"]
    assert (done["campaign"], done["queue_key"], done["agent_key"], done["right_party"]) == (
        "cobranza",
        "ventas",
        "agent1",
        1,
    )
    assert (done["answered"], done["connected"], done["ring_s"], done["talk_s"], done["time_key"]) == (
        1,
        1,
        12,
        120,
        1000,
    )
    assert (missed["answered"], missed["ring_s"], missed["talk_s"], missed["agent_key"], missed["right_party"]) == (
        0,
        None,
        None,
        None,
        None,
    )


def _view_names() -> set[str]:
    return set(inspect(db.get_engine()).get_view_names()) & set(bi.VIEWS)


def test_downgrade_drops_the_views_and_upgrade_brings_them_back(bi_data):
    assert _view_names() == set(bi.VIEWS)
    command.downgrade(db.alembic_config(), "reports_bi@0001")
    assert _view_names() == set()
    db.upgrade()
    assert _view_names() == set(bi.VIEWS)
    _, visits = _rows("fact_queue_visit", "visit_id")
    assert [v["callid"] for v in visits] == ["c1", "c3", "c4"]  # the tables were never touched


def test_engine_downgrade_takes_the_views_first(bi_data):
    """The views depend on reports_0001: downgrading the engine's branch removes them before its tables."""
    command.downgrade(db.alembic_config(), "reports@0001")
    assert _view_names() == set()
    db.upgrade()
    assert _view_names() == set(bi.VIEWS)


def test_models_vs_migrations_comparison_ignores_the_views(stack_env):
    with db.get_engine().connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert not [d for d in diffs if any(v in str(d) for v in bi.VIEWS)]
