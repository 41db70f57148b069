"""The hand-written reports_scheduled_0001 migration builds exactly the tables reports/scheduled/models.py
declares, and goes back down."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import centralita.models  # noqa: F401  (registers every table)
from centralita import db

TABLES = ("report_schedules", "report_runs", "report_run_files")


def scheduled_diffs() -> list:
    with db.get_engine().connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    return [d for d in diffs if any(f"'{t}'" in str(d) or f"Table('{t}'" in str(d) for t in TABLES)]


def test_migration_matches_models_and_downgrades(stack_env):
    assert scheduled_diffs() == []
    command.downgrade(db.alembic_config(), "reports_scheduled@0001")
    assert scheduled_diffs()  # the tables are gone
    db.upgrade()
    assert scheduled_diffs() == []
