"""The hand-written reports_0001 migration builds exactly the tables reports/models.py declares, and
goes back down."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

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
