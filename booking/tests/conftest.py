"""A migrated database on each backend (the root conftest's stack_env) with one service, and a fixed
'now' (Tuesday 2026-12-01 12:00 UTC = 07:00 in Panamá): nothing here reads the real clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
# Wednesday 2026-12-02 09:00 in Panamá (UTC-5, no DST).
SLOT = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
WEEK = {d: ["08:00-16:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def make_service(session: Session, name: str = "placas", **overrides):
    from booking import service
    from booking.schemas import ServiceIn

    body = {"name": name, "timezone": "America/Panama", "slot_minutes": 60, "capacity": 150, "opening": WEEK}
    body |= {"days_ahead": 30, "min_notice_minutes": 60} | overrides
    row = service.create_service(session, ServiceIn(**body))
    session.commit()
    return row


@pytest.fixture
def booking_db(stack_env):
    from centralita import db

    with Session(db.get_engine()) as session:
        make_service(session)
        yield session
