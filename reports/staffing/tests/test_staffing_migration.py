"""The hand-written staffing migration builds exactly the tables reports/staffing/models.py declares."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import centralita.models  # noqa: F401  (registers every table)
from centralita import db


def staffing_diffs() -> list:
    with db.get_engine().connect() as conn:
        return [
            d for d in compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) if "staffing" in str(d)
        ]


def test_migration_matches_models_and_downgrades(stack_env):
    assert staffing_diffs() == []
    command.downgrade(db.alembic_config(), "reports_staffing@0001")
    assert staffing_diffs()
    db.upgrade()
    assert staffing_diffs() == []
