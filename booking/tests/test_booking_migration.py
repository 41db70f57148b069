"""The hand-written booking migrations build exactly the tables booking/models.py declares (the CHECK,
the partial unique index included), and go back down: booking_0002 alone (the partial index survives
its plain ADD COLUMNs), then the whole branch."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import centralita.models  # noqa: F401  (registers every table)
from centralita import db

TABLES = (
    "booking_services",
    "booking_exceptions",
    "booking_slots",
    "booking_holds",
    "booking_bookings",
    "booking_waitlist",
    "booking_notifications",
)


def booking_diffs() -> list:
    with db.get_engine().connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    return [d for d in diffs if any(f"'{t}'" in str(d) or f"Table('{t}'" in str(d) for t in TABLES)]


def test_migration_matches_models_and_downgrades(stack_env):
    assert booking_diffs() == []
    indexes = {i["name"]: i for i in inspect(db.get_engine()).get_indexes("booking_bookings")}
    assert indexes["uq_booking_active_identity"]["unique"]
    command.downgrade(db.alembic_config(), "booking@-1")  # booking_0002 only
    engine = db.get_engine()
    assert "booking_notifications" not in inspect(engine).get_table_names()
    assert "phone" not in {c["name"] for c in inspect(engine).get_columns("booking_bookings")}
    assert inspect(engine).get_indexes("booking_bookings")  # booking_0001's indexes stand
    command.downgrade(db.alembic_config(), "booking@base")
    assert set(TABLES).isdisjoint(inspect(db.get_engine()).get_table_names())
    db.upgrade()
    assert booking_diffs() == []
    indexes = {i["name"]: i for i in inspect(db.get_engine()).get_indexes("booking_bookings")}
    assert indexes["uq_booking_active_identity"]["unique"]
