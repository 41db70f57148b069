"""The hand-written reports_0001 migration builds exactly the tables reports/models.py declares, and
goes back down."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel

import centralita.models  # noqa: F401  (registers every table)
from centralita import db

TABLES = (
    "report_queue_settings",
    "report_queue_visits",
    "report_agent_legs",
    "report_calls",
    "report_kpi_15m",
    "report_agent_15m",
    "report_kpi_day",
    "report_center_15m",
    "report_cursors",
)


def report_diffs() -> list:
    with db.get_engine().connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    return [d for d in diffs if any(f"'{t}'" in str(d) or f"Table('{t}'" in str(d) for t in TABLES)]


def test_migration_matches_models_and_downgrades(stack_env):
    assert report_diffs() == []
    command.downgrade(db.alembic_config(), "reports@0001")
    assert report_diffs()  # the tables are gone
    db.upgrade()
    assert report_diffs() == []


def test_reports_0002_fills_the_centers_rollup_from_what_was_aggregated(engine_env):
    """An upgraded installation reports its past periods whole: the migration writes the same
    report_center_15m rows as the engine's recompute_center."""
    from sqlmodel import select

    from reports.models import ReportCenter15m
    from reports.tests import golden
    from reports.tests.conftest import feed, kpi
    from reports.tests.test_incremental import snapshot

    session, paths = engine_env
    feed(session, paths, golden.QUEUE_LOG, golden.CDRS)
    assert len(session.exec(select(ReportCenter15m)).all()) == 2  # 09:00 (calls) and 09:15 (agent time only)
    by_engine, report = snapshot(session)["ReportCenter15m"], kpi(session, group_by="interval")
    session.close()
    command.downgrade(db.alembic_config(), "reports_0001")
    command.upgrade(db.alembic_config(), "reports@head")
    kpis_column = [c.name for c in ReportCenter15m.__table__.columns if c.name != "id"].index("kpis")
    with Session(db.get_engine()) as fresh:
        # The same sums; the KPIs are not stored by the migration (NULL), so the report computes them:
        # the same report.
        assert [r[kpis_column] for r in snapshot(fresh)["ReportCenter15m"]] == [None, None]
        strip = [r[:kpis_column] + r[kpis_column + 1 :] for r in by_engine]
        assert [r[:kpis_column] + r[kpis_column + 1 :] for r in snapshot(fresh)["ReportCenter15m"]] == strip
        assert kpi(fresh, group_by="interval") == report
