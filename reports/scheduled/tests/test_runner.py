"""Running schedules against a real SMTP server process (aiosmtpd on loopback), on SQLite and PostgreSQL,
with "now" injected: a run reaches the server with its XLSX/PDF attachments; a stack down across several
due times catches up once (the latest missed period), never twice, even with several tickers racing;
SMTP down → the run fails with the reason, keeps no file, and the next tick sends it."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import openpyxl
import pytest
from sqlmodel import Session, col, select

from centralita import db
from centralita.db import session_scope
from centralita.settings import get_settings
from messaging.tests.smtp_sink import SmtpSink
from reports.scheduled import service
from reports.scheduled.models import ReportRun, ReportRunFile
from reports.scheduled.runner import Runner
from reports.scheduled.schemas import ScheduleIn
from reports.scheduled.tests.test_exports import pdf_text

CREATED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday, 07:00 in Panama (UTC-5)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


class HandRows:
    """The KPI function of the contract, fed by hand: returns one row per queue asked and keeps each query."""

    def __init__(self) -> None:
        self.queries: list[dict] = []

    def __call__(self, session: Session, query: dict) -> list[dict]:
        self.queries.append(query)
        return [
            {"queue": q, "offered": 40, "answered": 36, "abandoned": 4, "sl_answered": 0.75} for q in query["queue"]
        ]


@pytest.fixture
def world(stack_env):
    from api.users import service as users
    from queues.models import Queue

    with session_scope() as session:
        users.create_user(session, "sofia", "supervisor-pass-1", role="supervisor")
        session.add(Queue(name="atencion"))
    sink = SmtpSink().start()
    overrides = {"report_timezone": "America/Panama", "report_day_start": "00:00", "smtp_host": "127.0.0.1"}
    overrides |= {"smtp_port": sink.port, "smtp_starttls": False, "smtp_from": "Centralita <informes@example.org>"}
    settings = SimpleNamespace(**{**get_settings().model_dump(), **overrides})
    rows = HandRows()
    yield SimpleNamespace(sink=sink, settings=settings, rows=rows, runner=Runner(settings, db.get_engine(), kpi=rows))
    sink.stop()


def add_schedule(**kw) -> int:
    from api.users.models import User

    body = {"name": "Diario atención", "frequency": "daily", "hour": 7, "queues": ["atencion"]}
    body |= {"recipients": ["jefa@example.org"], "formats": ["xlsx", "pdf"]} | kw
    with session_scope() as session:
        sofia = session.exec(select(User).where(User.username == "sofia")).one()
        row = service.create_schedule(session, ScheduleIn(**body), sofia, CREATED)
        session.flush()
        return db.saved_id(row)


def runs() -> list[ReportRun]:
    with Session(db.get_engine()) as session:
        return list(session.exec(select(ReportRun).order_by(col(ReportRun.period_start))).all())


def files(run_id: int) -> list[ReportRunFile]:
    with Session(db.get_engine()) as session:
        return list(session.exec(select(ReportRunFile).where(ReportRunFile.run_id == run_id)).all())


def test_a_run_reaches_the_smtp_server_with_its_attachments(world):
    add_schedule()
    assert world.runner.tick(at(21, 11, 59)).started == []  # 06:59 in Panama: nothing due yet
    result = world.runner.tick(at(21, 12, 0))
    [run] = runs()
    assert result.sent == [run.id] and run.status == "sent" and run.attempts == 1
    assert (run.period_start, run.period_end) == (at(20, 5), at(21, 5))  # Friday 20 Nov, local day
    assert world.rows.queries == [{"queue": ["atencion"], "since": at(20, 5), "until": at(21, 5), "group_by": "queue"}]
    [(mail_from, rcpt, message)] = world.sink.messages
    assert mail_from == "informes@example.org" and rcpt == ["jefa@example.org"]
    assert message["Subject"] == "Diario atención — 20/11/2026" and message["Message-ID"] == run.message_id
    attached = {p.get_filename(): p.get_content() for p in message.iter_attachments()}
    assert sorted(attached) == ["diario-atencion_2026-11-20.pdf", "diario-atencion_2026-11-20.xlsx"]
    sheet = openpyxl.load_workbook(io.BytesIO(attached["diario-atencion_2026-11-20.xlsx"]))["KPI"]
    assert sheet["A1"].value == "Diario atención"
    assert [c.value for c in sheet[8]][:4] == ["atencion", 40, 36, 4]
    pdf = attached["diario-atencion_2026-11-20.pdf"]
    assert pdf.startswith(b"%PDF") and b"Diario atenci" in pdf_text(pdf)
    kept = {f.format: f.content for f in files(run.id)}  # the same bytes are kept for download
    assert kept == {"xlsx": attached["diario-atencion_2026-11-20.xlsx"], "pdf": pdf}


def test_a_stack_down_across_due_times_catches_up_once(world):
    add_schedule()
    world.runner.tick(at(21, 12, 5))  # Saturday 07:05: Friday's report
    # The stack is down from Saturday 07:05 until Tuesday 10:00 local: Sunday's, Monday's and Tuesday's
    # 07:00 runs were missed. On start, only the latest (Tuesday 07:00, for Monday 23 Nov) runs, once.
    back = at(24, 15, 0)
    assert len(world.runner.tick(back).sent) == 1
    assert [(r.period_start, r.due_at) for r in runs()] == [(at(20, 5), at(21, 12)), (at(23, 5), at(24, 12))]
    for later in (back, back + timedelta(minutes=1), at(25, 11, 59)):  # more ticks before Wednesday 07:00
        assert world.runner.tick(later).started == []
    other = Runner(world.settings, db.get_engine(), kpi=world.rows)  # a second process, same database
    assert other.tick(back).started == []
    assert len(world.sink.messages) == 2 and len(runs()) == 2
    assert len(world.runner.tick(at(25, 12, 0)).sent) == 1  # Wednesday: Tuesday's report, as usual
    assert [r.period_start for r in runs()][-1] == at(24, 5)


def test_racing_tickers_claim_a_period_once(world):
    add_schedule()
    barrier = threading.Barrier(4)
    results = []

    def tick() -> None:
        runner = Runner(world.settings, db.get_engine(), kpi=world.rows)
        barrier.wait()
        results.append(runner.tick(at(21, 12, 0)))

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(r.started) for r in results) == 1
    assert len(runs()) == 1 and len(world.sink.messages) == 1


def test_smtp_down_fails_the_run_with_the_reason_and_the_next_tick_sends_it(world):
    add_schedule()
    port = world.sink.port
    world.sink.stop()
    result = world.runner.tick(at(21, 12, 0))
    [run] = runs()
    assert result.failed == [run.id] and run.status == "failed" and run.attempts == 1
    assert f"SMTP server 127.0.0.1:{port} unreachable" in run.error
    assert files(run.id) == []  # nothing half-written: no file without a sent run
    world.sink.start()  # the server is back on the same port
    result = world.runner.tick(at(21, 12, 1))
    [run] = runs()
    assert result.sent == [run.id] and run.status == "sent" and run.attempts == 2 and run.error == ""
    assert sorted(f.format for f in files(run.id)) == ["pdf", "xlsx"]
    assert len(world.sink.messages) == 1
    assert world.runner.tick(at(21, 12, 2)).started == []


def test_retries_stop_at_the_limit_and_a_run_left_running_is_taken_over(world):
    world.settings.report_schedule_max_attempts = 2
    add_schedule()
    world.sink.stop()
    world.runner.tick(at(21, 12, 0))
    world.runner.tick(at(21, 12, 1))
    assert world.runner.tick(at(21, 12, 2)).started == []
    [run] = runs()
    assert (run.status, run.attempts) == ("failed", 2)
    world.sink.start()
    world.settings.report_schedule_max_attempts = 5
    with session_scope() as session:  # as if the process had died mid-run
        row = session.get(ReportRun, run.id)
        row.status, row.started_at = "running", at(21, 12, 2)
        session.add(row)
    assert world.runner.tick(at(21, 12, 10)).started == []  # maybe still working: left alone
    assert world.runner.tick(at(21, 12, 20)).sent == [run.id]  # 18 minutes: its process is gone
    assert len(world.sink.messages) == 1


def test_weekly_and_monthly_periods_and_a_disabled_schedule(world):
    add_schedule(name="Semanal", frequency="weekly", weekday=0, hour=6, formats=["csv"])
    add_schedule(name="Mensual", frequency="monthly", day_of_month=1, hour=8, group_by="queue,day")
    add_schedule(name="Apagado", enabled=False)
    world.runner.tick(datetime(2026, 12, 1, 14, tzinfo=UTC))  # Tuesday 1 Dec, 09:00 local
    got = {(r.schedule_id, r.period_start, r.period_end) for r in runs()}
    assert len(got) == 2
    assert {(s, e) for _, s, e in got} == {
        (at(23, 5), at(30, 5)),
        (datetime(2026, 11, 1, 5, tzinfo=UTC), at(30, 5) + timedelta(days=1)),
    }
    subjects = sorted(m["Subject"] for _, _, m in world.sink.messages)
    assert subjects == ["Mensual — noviembre de 2026", "Semanal — semana del 23/11/2026"]


def test_a_changed_rule_counts_due_times_from_the_change_only(world):
    from api.users.models import User
    from reports.scheduled.schemas import ScheduleUpdate

    add_schedule()
    with session_scope() as session:
        sofia = session.exec(select(User).where(User.username == "sofia")).one()
        service.update_schedule(
            session, "Diario atención", ScheduleUpdate(frequency="weekly", weekday=0), sofia, at(24, 15)
        )
    assert world.runner.tick(at(24, 15, 1)).started == []  # Monday 23 Nov 07:00 came before the change
    assert len(world.runner.tick(at(30, 12, 0)).sent) == 1
    [run] = runs()
    assert (run.period_start, run.period_end) == (at(23, 5), at(30, 5))


def test_retries_back_off_doubling_from_the_next_tick(world):
    add_schedule()
    world.sink.stop()
    tried = [m for m in range(16) if world.runner.tick(at(21, 12, m)).started]
    assert tried == [0, 1, 3, 7, 15]  # the first retry at the next tick (60 s), then 2, 4, 8 minutes after
    [run] = runs()
    assert (run.status, run.attempts) == ("failed", 5)
