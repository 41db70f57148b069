"""The hand-written dialer migration builds exactly the tables dialer/models.py declares, and goes back down."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import centralita.models  # noqa: F401  (registers every table)
from centralita import db


def dialer_diffs() -> list:
    with db.get_engine().connect() as conn:
        return [d for d in compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) if "dialer" in str(d)]


def test_migration_matches_models_and_downgrades(stack_env):
    assert dialer_diffs() == []
    command.downgrade(db.alembic_config(), "dialer@0001")
    assert dialer_diffs()  # the tables are gone
    db.upgrade()
    assert dialer_diffs() == []
