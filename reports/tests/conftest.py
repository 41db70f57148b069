"""Engine fixtures: a migrated database on each backend (the root conftest's stack_env), the golden
queues, and helpers that push raw lines through the real ingesters and then the engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from reports.tests import golden


@pytest.fixture
def engine_env(stack_env, tmp_path):
    from centralita import db
    from ivr.models import Flow, FlowVersion
    from queues.models import Queue
    from reports.models import ReportQueueSetting

    with Session(db.get_engine()) as session:
        session.add(Queue(name="ventas", wrapup_seconds=5))
        session.add(Queue(name="soporte", wrapup_seconds=0))
        session.add(ReportQueueSetting(queue="soporte", sl_threshold_s=30, short_abandon_s=5))
        flow = Flow(name="main", definition=golden.FLOW, published_version=2)
        session.add(flow)
        session.flush()
        session.add(FlowVersion(flow_id=flow.id, version=1, definition={}))
        session.add(FlowVersion(flow_id=flow.id, version=2, definition=golden.FLOW))
        session.commit()
        paths = {"queue_log": tmp_path / "queue_log", "cdr": tmp_path / "Master.csv"}
        yield session, paths


def add_survey(session: Session, rows=golden.SURVEY) -> None:
    from ivr.models import SurveyAnswer

    for linkedid, question, answer, queue, agent in rows:
        session.add(
            SurveyAnswer(
                linkedid=linkedid,
                flow="main",
                version=2,
                question=question,
                answer=answer,
                queue=queue,
                agent=agent,
                at=golden.INTERVAL,
            )
        )
    session.commit()


def ingest(session: Session, paths: dict[str, Path], lines: list[str], cdrs: list[list[str]]) -> None:
    """The raw records only, through the real ingesters (as the runtimes do)."""
    from api.calls.service import ingest_file as ingest_cdr
    from queues.queuelog import ingest_file as ingest_queue_log

    if lines:
        golden.write_queue_log(paths["queue_log"], lines)
        ingest_queue_log(session, paths["queue_log"])
    if cdrs:
        golden.write_cdr_csv(paths["cdr"], cdrs)
        ingest_cdr(session, paths["cdr"])


def feed(session: Session, paths: dict[str, Path], lines: list[str], cdrs: list[list[str]], survey: bool = True):
    from centralita.settings import get_settings
    from reports import incremental

    ingest(session, paths, lines, cdrs)
    if survey:
        add_survey(session)
    return incremental.process_all(session, get_settings())


def kpi(session: Session, **params) -> list[dict]:
    from reports import service
    from reports.schemas import parse_query

    params.setdefault("since", golden.INTERVAL)
    params.setdefault("until", golden.NEXT + (golden.NEXT - golden.INTERVAL))  # both quarter hours
    return service.kpi(session, parse_query(**params))
