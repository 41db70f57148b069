"""Callbacks never dial out what the caller chose to present: a foreign or premium number is refused,
logged and audited; a local number is placed (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from api.audit.models import AuditLog
from centralita import db
from centralita.phones import callback_refusal
from queues import callbacks
from queues.models import Callback


@pytest.mark.parametrize(
    ("number", "region", "reason"),
    [
        ("5551002", "HN", ""),
        ("+50499001122", "HN", ""),
        ("+448712345678", "HN", "outside the region"),
        ("0044871234567", "HN", "outside the region"),
        ("01144871234567", "US", "outside the region"),
        ("19005551234", "US", "premium rate"),
        ("+19005551234", "US", "premium rate"),
        ("803123456", "ES", "premium rate"),
        ("912345678", "ES", ""),
        ("anonymous", "HN", "not a phone number"),
        ("", "HN", "not a phone number"),
    ],
)
def test_callback_refusal(number, region, reason):
    assert callback_refusal(number, region) == reason


def test_claim_refuses_foreign_and_premium_numbers_and_audits_them(stack_env, monkeypatch):
    monkeypatch.setenv("CENTRALITA_DEFAULT_REGION", "US")
    from centralita.settings import reset_settings_cache

    reset_settings_cache()
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    with Session(db.get_engine()) as session:
        for callid, number in (("c1", "+19005551234"), ("c2", "+448712345678"), ("c3", "2025550143")):
            session.add(Callback(callid=callid, queue="atencion", number=number, entered_at=at))
        session.commit()
    placed = callbacks._claim()
    assert [cb["number"] for cb in placed] == ["2025550143"]
    with Session(db.get_engine()) as session:
        status = {cb.number: cb.status for cb in session.exec(select(Callback))}
        assert status == {"+19005551234": "refused", "+448712345678": "refused", "2025550143": "queued"}
        audits = session.exec(select(AuditLog).where(AuditLog.action == "queues.callback_refused")).all()
        assert sorted((a.target, a.detail["reason"]) for a in audits) == [
            ("+19005551234", "premium rate"),
            ("+448712345678", "outside the region"),
        ]
