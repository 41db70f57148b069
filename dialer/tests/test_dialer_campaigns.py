"""Campaign settings, states, do-not-call (on SQLite and PostgreSQL) and the scheduling rules (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from api.audit.models import AuditLog
from centralita.db import session_scope
from dialer import service
from dialer.errors import Conflict, DialerError
from dialer.models import Campaign, Contact
from dialer.scheduling import apply_outcome, callable_now, in_window, zone

UTC = UTC


def create(name="cobros", **values):
    with session_scope() as s:
        return service.create_campaign(s, name, values).id


def test_defaults_and_every_bad_setting_names_its_field(stack_env):
    cid = create(queue_name="cobranza", caller_id="+50422000000", retry_delays={"busy": 120})
    with session_scope() as s:
        c = s.get(Campaign, cid)
        assert (c.mode, c.state, c.abandon_target, c.default_timezone) == (
            "predictive",
            "stopped",
            0.03,
            "America/Tegucigalpa",
        )
        assert c.retry_delays["busy"] == 120 and c.retry_delays["no_answer"] == 3600
    bad = [
        ({"mode": "robocall"}, "mode"),
        ({"abandon_target": 0.05}, "abandon_target"),
        ({"abandon_target": 0}, "abandon_target"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"retry_delays": {"sale": 5}}, "retry_delays"),
        ({"window_days": [7]}, "window_days"),
        ({"window_start": "9am"}, "window_start"),
        ({"window_start": "21:00"}, "window_end"),
        ({"default_timezone": "Mars/Base"}, "default_timezone"),
        ({"caller_id": "abc"}, "caller_id"),
        ({"queue_name": "no spaces"}, "queue_name"),
        ({"colour": "red"}, "colour"),
    ]
    for values, field in bad:
        with pytest.raises(DialerError) as err:
            create("otra", **values)
        assert err.value.field == field, values
    with pytest.raises(Conflict):
        create("cobros")
    with session_scope() as s:
        assert len(service.list_campaigns(s)) == 1  # nothing half-written by the failures


def test_start_needs_queue_caller_id_and_a_list_then_pause_stop(stack_env):
    cid = create()
    with session_scope() as s:
        with pytest.raises(DialerError) as err:
            service.change_state(s, s.get(Campaign, cid), "start")
        assert err.value.field == "queue_name"
        service.update_campaign(s, s.get(Campaign, cid), {"queue_name": "cobranza", "caller_id": "22000000"})
    with session_scope() as s, pytest.raises(DialerError) as err:
        service.change_state(s, s.get(Campaign, cid), "start")
    assert err.value.field == "lists"
    with session_scope() as s:
        service.create_list(s, "morosos", campaign="cobros")
        assert service.change_state(s, s.get(Campaign, cid), "start", client="test").state == "running"
    with session_scope() as s:
        with pytest.raises(Conflict):
            service.update_campaign(s, s.get(Campaign, cid), {"mode": "preview"})
        with pytest.raises(Conflict):
            service.change_state(s, s.get(Campaign, cid), "start")
        service.change_state(s, s.get(Campaign, cid), "pause")
        service.change_state(s, s.get(Campaign, cid), "stop")
        actions = [a.action for a in s.exec(select(AuditLog).order_by(AuditLog.id)).all()]
    assert actions[-3:] == ["dialer.campaign.start", "dialer.campaign.pause", "dialer.campaign.stop"]


def test_broadcast_needs_a_message_but_no_queue(stack_env):
    cid = create("aviso", mode="broadcast", caller_id="22000000")
    with session_scope() as s:
        service.create_list(s, "vecinos", campaign=cid)
        with pytest.raises(DialerError) as err:
            service.change_state(s, s.get(Campaign, cid), "start")
        assert err.value.field == "broadcast_message"
        service.update_campaign(s, s.get(Campaign, cid), {"broadcast_message": "Su cita es mañana"})
        assert service.change_state(s, s.get(Campaign, cid), "start").state == "running"


def test_dnc_closes_pending_contacts_and_due_contacts_skip_them(stack_env):
    from dialer.imports import import_file

    cid = create(queue_name="q", caller_id="22000000")
    with session_scope() as s:
        cl = service.create_list(s, "l1", campaign=cid)
        import_file(s, cl, b"telefono\n91234567\n92345678\n", "f.csv")
    with session_scope() as s:
        service.add_dnc(s, "+504 9123 4567", "pidio no llamar")
        with pytest.raises(Conflict):
            service.add_dnc(s, "91234567")
    with session_scope() as s:
        due = service.due_contacts(s, s.get(Campaign, cid), datetime.now(UTC))
        assert [c.phone for c in due] == ["+50492345678"]
        assert s.exec(select(Contact).where(Contact.phone == "+50491234567")).one().status == "dnc"
        assert service.is_blocked(s, "+50491234567")
        with pytest.raises(DialerError) as err:
            service.add_dnc(s, "12")
        assert err.value.field == "phone"


# Pure scheduling rules ----------------------------------------------------------------------------
def campaign(**kw) -> Campaign:
    return Campaign(name="c", default_timezone="America/Tegucigalpa", **kw)


def test_call_window_is_read_in_the_contacts_zone():
    c = campaign(window_days=[0, 1, 2, 3, 4], window_start="09:00", window_end="20:00")
    monday_15_utc = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 09:00 in Tegucigalpa, 16:00 in Madrid
    assert in_window(c, zone("America/Tegucigalpa"), monday_15_utc)
    assert not in_window(c, zone("America/Tegucigalpa"), monday_15_utc - timedelta(minutes=1))
    assert in_window(c, zone("Europe/Madrid"), monday_15_utc)
    assert not in_window(c, zone("Europe/Madrid"), monday_15_utc + timedelta(hours=4))  # 20:00 Madrid
    saturday = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    assert not in_window(c, zone("America/Tegucigalpa"), saturday)


def test_outcomes_retry_close_reschedule_and_exhaust():
    now = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    c = campaign(max_attempts=2, window_days=[0, 1, 2, 3, 4])
    contact = Contact(list_id=1, phone="+50491234567")
    assert callable_now(c, contact, now)
    apply_outcome(c, contact, "busy", now)
    assert (contact.status, contact.attempts, contact.next_attempt_at) == ("scheduled", 1, now + timedelta(seconds=600))
    assert not callable_now(c, contact, now + timedelta(seconds=599))
    apply_outcome(c, contact, "no_answer", now)
    assert contact.status == "exhausted" and contact.next_attempt_at is None
    other = Contact(list_id=1, phone="+50492345678")
    apply_outcome(c, other, "connected", now, disposition="callback", callback_at=now + timedelta(days=1))
    assert other.status == "scheduled" and other.next_attempt_at == now + timedelta(days=1)
    apply_outcome(c, other, "connected", now, disposition="pago_prometido")
    assert other.status == "done" and other.last_disposition == "pago_prometido"
    with pytest.raises(DialerError):
        apply_outcome(c, Contact(list_id=1, phone="+1"), "exploded", now)
    with pytest.raises(DialerError):
        apply_outcome(c, Contact(list_id=1, phone="+1"), "connected", now, disposition="callback")
