"""Running schedules: claim what is due, build the files, email them, store the outcome.

Exactly once per schedule × period, whoever ticks and however late:
- `claim_due(now)`: for each enabled schedule, the latest due time ≤ now (periods.latest_due) names one
  period; a run row for it is INSERTed (status running) and committed before any work. The UNIQUE key
  (schedule_id, period_start) refuses a second claim — a second process, a tick racing the start-up
  catch-up, a manual run — so a period done is never repeated, and after a stack down across several
  due times only the latest missed one runs, once.
- `claim_retries(now)`: failed runs (and runs left "running" by a process that died) are taken again
  by a conditional UPDATE on their (status, attempts), so two tickers never retry the same run twice:
  at the next tick, then with a doubling wait (`backoff`), until settings.report_schedule_max_attempts.
- `execute(run)`: KPI rows → files → one email; then ONE commit marks the run sent with its files. On
  any failure the work is rolled back and the run is marked failed with the reason; no file is kept.
  The one window left: a process killed after the SMTP server accepted the message and before that
  commit sends it again on the retry (SMTP has no idempotency key); the Message-ID is stored when sent.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, and_, col, or_, select

from centralita.db import saved_id
from messaging.email import Attachment, Sent, SmtpConfig, send_email
from reports.scheduled import exports, periods
from reports.scheduled.labels import FREQUENCY_LABELS, MONTHS
from reports.scheduled.models import ReportRun, ReportRunFile, ReportSchedule
from reports.scheduled.service import aware, query_kwargs

log = logging.getLogger("centralita.reports.scheduled")
KpiFn = Callable[[Session, dict], list[dict]]
SendFn = Callable[..., Sent]
STALE_RUNNING = timedelta(minutes=15)  # a run "running" this long belongs to a process that died


def engine_kpi(session: Session, query: dict) -> list[dict]:
    """The KPI engine's rows (reports.service.kpi with a reports.schemas.KpiQuery), as GET /api/reports/kpi."""
    # Imported by name: this package is written beside the engine and must load without it.
    try:
        kpi_service = importlib.import_module("reports.service")
        schemas = importlib.import_module("reports.schemas")
    except ImportError as exc:
        raise RuntimeError(f"the KPI engine (reports.service.kpi) is not installed: {exc}") from None
    return kpi_service.kpi(session, schemas.KpiQuery(**query))


@dataclass
class TickResult:
    started: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


@dataclass
class Runner:
    settings: object
    engine: Engine
    kpi: KpiFn = engine_kpi
    send: SendFn = send_email

    @property
    def tz(self):
        return periods.zone_of(self.settings)

    def tick(self, now: datetime, schedule_id: int | None = None) -> TickResult:
        """One check: new due periods first, then retries; each claimed run is executed here."""
        result = TickResult()
        claimed = self.claim_due(now, schedule_id)
        if schedule_id is None:
            claimed += self.claim_retries(now)
        for run_id in claimed:
            result.started.append(run_id)
            (result.sent if self.execute(run_id, now) else result.failed).append(run_id)
        return result

    def claim_due(self, now: datetime, schedule_id: int | None = None) -> list[int]:
        tz, day_start = self.tz, periods.day_start_of(self.settings)
        claimed = []
        with Session(self.engine) as session:
            query = select(ReportSchedule).where(col(ReportSchedule.enabled).is_(True))
            if schedule_id is not None:
                query = query.where(ReportSchedule.id == schedule_id)
            schedules = session.exec(query.order_by(col(ReportSchedule.id))).all()
            for schedule in schedules:
                due = periods.latest_due(schedule, now, tz)
                if due is None:
                    continue
                start, end = periods.period_for(schedule.frequency, due, tz, day_start)
                done = select(ReportRun.id).where(ReportRun.schedule_id == schedule.id, ReportRun.period_start == start)
                if session.exec(done).first() is not None:
                    continue
                run = ReportRun(
                    schedule_id=saved_id(schedule),
                    period_start=start,
                    period_end=end,
                    due_at=due,
                    attempts=1,
                    started_at=now,
                )
                session.add(run)
                try:
                    session.commit()
                except IntegrityError:  # another ticker claimed this period first
                    session.rollback()
                    continue
                claimed.append(saved_id(run))
                late = now - due
                if late > timedelta(seconds=2 * float(getattr(self.settings, "report_schedule_tick_s", 60))):
                    log.info("catching up %s for %s (due %s, %s late)", schedule.name, start.date(), due, late)
        return claimed

    def claim_retries(self, now: datetime) -> list[int]:
        limit = int(getattr(self.settings, "report_schedule_max_attempts", 10))
        tick = float(getattr(self.settings, "report_schedule_tick_s", 60))
        claimed = []
        with Session(self.engine) as session:
            stale = now - STALE_RUNNING
            candidates = session.exec(
                select(col(ReportRun.id), ReportRun.status, ReportRun.attempts, ReportRun.finished_at).where(
                    ReportRun.attempts < limit,
                    or_(
                        ReportRun.status == "failed",
                        and_(col(ReportRun.status) == "running", col(ReportRun.started_at) < stale),
                    ),
                )
            ).all()
            for run_id, status, attempts, finished_at in candidates:
                assert run_id is not None
                if (
                    status == "failed"
                    and finished_at is not None
                    and now < aware(finished_at) + backoff(tick, attempts)
                ):
                    continue
                taken = session.execute(
                    update(ReportRun)
                    .where(col(ReportRun.id) == run_id, col(ReportRun.status) == status)
                    .where(col(ReportRun.attempts) == attempts)
                    .values(status="running", attempts=attempts + 1, started_at=now)
                )
                session.commit()
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(run_id)
        return claimed

    def execute(self, run_id: int, now: datetime) -> bool:
        with Session(self.engine) as session:
            run = session.get(ReportRun, run_id)
            schedule = session.get(ReportSchedule, run.schedule_id) if run is not None else None
            if run is None or schedule is None:
                return False
            start, end = aware(run.period_start), aware(run.period_end)
            meta = exports.ReportMeta(
                title=schedule.name,
                since=start,
                until=end,
                tz=self.tz,
                group_by=schedule.group_by,
                queues=list(schedule.queues),
                generated_at=now,
            )
            recipients, formats = list(schedule.recipients), list(schedule.formats)
            try:
                rows = self.kpi(session, query_kwargs(schedule, start, end))
                files = [
                    ReportRunFile(
                        run_id=run_id,
                        format=fmt,
                        filename=exports.filename(schedule.name, meta, fmt),
                        content_type=exports.FORMATS[fmt],
                        content=exports.render(fmt, rows, meta),
                    )
                    for fmt in formats
                ]
                attachments = [Attachment(f.filename, f.content, f.content_type.split(";")[0]) for f in files]
                subject, text = message_text(schedule, meta, len(rows), [f.filename for f in files])
                sent = self.send(SmtpConfig.from_settings(self.settings), recipients, subject, text, attachments)
            except Exception as exc:  # anything: the run says why, and the next tick retries it
                session.rollback()
                reason = f"{exc}" if isinstance(exc, RuntimeError | ValueError) else f"{type(exc).__name__}: {exc}"
                self._finish(session, run_id, "failed", now, error=reason)
                log.warning("scheduled report %s (%s) failed: %s", schedule.name, start.date(), reason)
                return False
            for f in files:
                f.size = len(f.content)
                session.add(f)
            self._finish(session, run_id, "sent", now, message_id=sent.message_id, refused=sent.refused, rows=len(rows))
            log.info("scheduled report %s (%s) sent to %d recipients", schedule.name, start.date(), len(recipients))
            return True

    @staticmethod
    def _finish(session: Session, run_id: int, status: str, now: datetime, **values) -> None:
        run = session.get(ReportRun, run_id)
        assert run is not None
        run.status, run.finished_at = status, now
        run.error = str(values.pop("error", ""))[:500]
        for key, value in values.items():
            setattr(run, key, value)
        session.add(run)
        session.commit()


def backoff(tick_s: float, attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: the next tick, then doubling up to an hour (an SMTP server down
    for an afternoon still gets the report with the default 10 attempts: about 4 h 15 min of retrying)."""
    return timedelta(seconds=min(3600.0, tick_s * 2 ** (attempts - 1))) - timedelta(milliseconds=1)


def period_label(frequency: str, meta: exports.ReportMeta) -> str:
    start = meta.since.astimezone(meta.tz)
    if frequency == "monthly":
        return f"{MONTHS[start.month - 1]} de {start.year}"
    if frequency == "weekly":
        return f"semana del {start:%d/%m/%Y}"
    return f"{start:%d/%m/%Y}"


def message_text(schedule: ReportSchedule, meta: exports.ReportMeta, rows: int, names: list[str]) -> tuple[str, str]:
    label = period_label(schedule.frequency, meta)
    subject = f"{schedule.name} — {label}"
    lines = [
        f"Informe {FREQUENCY_LABELS.get(schedule.frequency, schedule.frequency)} «{schedule.name}».",
        "",
        *meta.lines(),
        f"Filas: {rows}",
        "",
        "Adjuntos: " + ", ".join(names),
        "",
        "Definiciones de cada indicador: reports/KPIS.md.",
        "Este mensaje lo envía Centralita automáticamente; el informe queda también para descargar en la aplicación.",
    ]
    return subject, "\n".join(lines)
