"""The hand-written recorder migration builds exactly the tables recorder/models.py declares
(FTS objects aside), and goes back down."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import centralita.models  # noqa: F401  (registers every table)
from centralita import db

TABLES = ("recordings", "retention_policies", "recording_settings", "qa_", "recording_exports")


def recorder_diffs() -> list:
    with db.get_engine().connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    # The FTS virtual table / GIN index live outside the models on purpose.
    return [d for d in diffs if any(t in str(d) for t in TABLES) and "fts" not in str(d)]


def test_migration_matches_models_and_downgrades(stack_env):
    assert recorder_diffs() == []
    command.downgrade(db.alembic_config(), "recorder@0001")
    assert recorder_diffs()  # the tables are gone
    db.upgrade()
    assert recorder_diffs() == []
