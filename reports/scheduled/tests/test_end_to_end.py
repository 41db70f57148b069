"""End to end, on SQLite and PostgreSQL: the engine's golden queue_log and CDRs through the real ingesters and
the KPI engine (reports.service.kpi), a schedule made and ticked through the CLI with "now" given, the
email received by a real SMTP server (aiosmtpd) with the XLSX carrying the engine's figures; the same
tick again sends nothing."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import openpyxl
from typer.testing import CliRunner

from centralita.settings import reset_settings_cache
from messaging.tests.smtp_sink import SmtpSink
from reports.scheduled.cli import app
from reports.tests import golden
from reports.tests.conftest import engine_env, feed  # noqa: F401  (engine_env is a fixture)


def test_golden_day_is_emailed_with_the_engines_figures(engine_env, monkeypatch):
    session, paths = engine_env
    feed(session, paths, golden.QUEUE_LOG, golden.CDRS)
    sink = SmtpSink()
    # The environment before the server's thread starts: setenv while another thread reads the environment
    # (libfaketime does, on every clock call, under scripts/test-at-clock.sh) crashed the process.
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port), "SMTP_STARTTLS": "false",
                       "SMTP_FROM": "informes@example.org", "REPORT_TIMEZONE": "UTC"}.items():  # fmt: skip
        monkeypatch.setenv(f"CENTRALITA_{key}", value)
    sink.start()
    try:
        reset_settings_cache()
        from api.users import service as users

        users.create_user(session, "sofia", "supervisor-pass-1", role="supervisor")
        session.commit()
        cli = CliRunner()
        made = cli.invoke(app, ["add", "Ventas diario", "--owner", "sofia", "--to", "jefa@example.org",
                                "--queue", "ventas", "--hour", "7", "--format", "xlsx"])  # fmt: skip
        assert made.exit_code == 0, made.output
        # `add` stamps the real "now"; the golden day is in the past, so date the schedule before it
        from sqlmodel import select

        from reports.scheduled.models import ReportSchedule

        row = session.exec(select(ReportSchedule)).one()
        row.created_at = row.active_since = datetime(2026, 11, 29, tzinfo=UTC)
        session.add(row)
        session.commit()
        ticked = cli.invoke(app, ["tick", "--at", "2026-12-01T07:00:00Z", "--json"])
        assert ticked.exit_code == 0, ticked.output
        assert len(json.loads(ticked.output)["sent"]) == 1
        [(_, rcpt, message)] = sink.messages
        assert rcpt == ["jefa@example.org"] and message["Subject"] == "Ventas diario — 30/11/2026"
        [part] = list(message.iter_attachments())
        sheet = openpyxl.load_workbook(io.BytesIO(part.get_content()))["KPI"]
        headers = [c.value for c in sheet[7]]
        values = dict(zip(headers, [c.value for c in sheet[8]], strict=True))
        # test_golden.py's hand-worked figures for ventas on that day
        assert values["Cola"] == "ventas"
        assert (values["Ofrecidas"], values["Atendidas"], values["Abandonadas"]) == (11, 5, 2)
        assert values["Nivel de servicio (atendidas)"] == 0.8
        again = cli.invoke(app, ["tick", "--at", "2026-12-01T07:05:00Z", "--json"])
        assert json.loads(again.output)["started"] == [] and len(sink.messages) == 1
        listed = cli.invoke(app, ["runs"])
        assert "Ventas diario\t2026-11-30 00:00Z\tsent\tattempts 1\txlsx" in listed.output
    finally:
        sink.stop()
        reset_settings_cache()
