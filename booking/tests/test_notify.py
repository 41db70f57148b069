"""Booking messages through a real Kannel (its fake SMSC reads what bearerbox sends) and a real SMTP server:
the place a cancellation frees goes to the first on the waitlist, who gets an SMS and an email; reminders
are queued once per offset, the nearest due one only; two runs at once, and a run killed after claiming,
send nothing twice; bad contacts and unknown bookings are clear errors. Every date is relative to the fixed
NOW of booking/tests/conftest.py (Tuesday 2026-12-01 07:00 in Panamá)."""

from __future__ import annotations

import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from booking import notify, service
from booking.models import Booking, BookingNotification, BookingWaitlist
from booking.runtime import run_once
from booking.tests.conftest import NOW, SLOT
from centralita import db
from centralita.errors import FieldError, NotFound
from centralita.settings import get_settings, reset_settings_cache
from messaging.tests.smtp_sink import SmtpSink

DAY = date(2026, 12, 2)
# Kannel lives for the whole session (both backends, every test): each test texts numbers of its own.
_NUMBERS = itertools.count(random.randrange(10**5) * 10)


def numbers(k: int) -> list[str]:
    """k Panamá mobile numbers (+507 6xxx xxxx) no other test of this process uses."""
    return [f"+5076{next(_NUMBERS) % 10**7:07d}" for _ in range(k)]


@pytest.fixture
def world(booking_db, kannel, monkeypatch):
    sink = SmtpSink().start()
    env = kannel.settings_env() | {"CENTRALITA_SMTP_HOST": "127.0.0.1", "CENTRALITA_SMTP_PORT": str(sink.port)}
    env |= {"CENTRALITA_SMTP_STARTTLS": "false", "CENTRALITA_SMTP_FROM": "Citas <citas@example.org>"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()
    yield sink
    sink.stop()


def deliverer() -> notify.Deliverer:
    return notify.Deliverer(get_settings(), db.get_engine())


def rows(session: Session) -> list[BookingNotification]:
    session.expire_all()
    return list(session.exec(select(BookingNotification).order_by(BookingNotification.id)).all())


def arrived(kannel, to: str, expect: int) -> list:
    """What fakesmsc got for `to`, once `expect` messages arrived (or the wait ended) and a moment more,
    so a duplicate arriving just after is counted too."""
    if expect:
        kannel.wait_for(expect, to=to)
    time.sleep(0.5)
    return kannel.wait_for(0, timeout=0, to=to)


def mails_to(sink: SmtpSink, address: str) -> list:
    with sink.lock:
        return [m for _f, rcpt, m in sink.messages if address in rcpt]


def test_a_cancelled_place_goes_to_the_first_waiting_with_sms_and_email(world, kannel):
    sink = world
    mine, ana_phone, third_phone = numbers(3)
    national = f"{ana_phone[4:8]}-{ana_phone[8:]}"  # as people type it: 6112-0001
    with Session(db.get_engine()) as session:
        first = service.book(session, "placas", "1001", SLOT, NOW, phone=mine)
        service.waitlist_add(session, "placas", DAY, "2002", phone=national, email="ana@example.org")
        service.waitlist_add(session, "placas", DAY, "3003", phone=third_phone)
        session.commit()
        assert rows(session) == []  # a booking alone queues nothing

        service.cancel(session, "placas", first.code, NOW)
        session.commit()
        [ana] = [w for w in service.waitlist(session, "placas", DAY) if w.identity == "2002"]
        given = session.get(Booking, ana.booking_id)
        assert ana.status == "booked" and given is not None
        assert (given.identity, given.start, given.status, given.phone) == ("2002", SLOT, "booked", ana_phone)
        assert [(r.kind, r.channel, r.status) for r in rows(session)] == [
            ("waitlist", "sms", "pending"),
            ("waitlist", "email", "pending"),
        ]
        slot = service.day_slots(session, service.get_service(session, "placas"), DAY, NOW)
        assert next(s["booked"] for s in slot if s["start"] == SLOT) == 1  # the freed place, taken again

        done = deliverer().deliver(NOW)
        assert len(done.sent) == 2 and not done.failed
        [sms] = arrived(kannel, ana_phone, 1)
        assert (
            given.code in sms.text and "miércoles 2 de diciembre a las 09:00. Codigo" in sms.text
        )  # GSM-7: é stays, ó goes
        [mail] = mails_to(sink, "ana@example.org")
        assert given.code in mail.get_content() and "placas" in mail["Subject"]
        assert all(r.status == "sent" and r.attempts == 1 and r.sent_at for r in rows(session))
        assert deliverer().deliver(NOW).sent == []  # delivered once

        # Ana cancels in turn: the place passes to the next, who has only a phone.
        service.cancel(session, "placas", given.code, NOW)
        session.commit()
        deliverer().deliver(NOW)
        [third] = arrived(kannel, third_phone, 1)
        assert "quedo reservado para usted" in third.text
        assert len(arrived(kannel, ana_phone, 1)) == 1 and len(mails_to(sink, "ana@example.org")) == 1


def test_who_is_skipped_and_when_nothing_is_offered(world):
    with Session(db.get_engine()) as session:
        mover = service.book(session, "placas", "1001", SLOT, NOW)
        other = service.book(session, "placas", "4004", SLOT + timedelta(hours=1), NOW)
        service.waitlist_add(session, "placas", DAY, "1001")  # the canceller (moving) is skipped
        service.waitlist_add(session, "placas", DAY, "4004")  # already holds a booking: skipped
        service.waitlist_add(session, "placas", DAY, "5005")
        session.commit()
        moved = service.move(session, "placas", mover.code, SLOT + timedelta(hours=2), NOW)
        session.commit()
        waiting = {w.identity: w for w in service.waitlist(session, "placas", DAY)}
        assert waiting["5005"].status == "booked" and waiting["1001"].status == "waiting"
        assert waiting["4004"].status == "waiting" and session.get(Booking, other.id).status == "booked"
        assert session.get(Booking, waiting["5005"].booking_id).start == SLOT
        assert moved.start == SLOT + timedelta(hours=2)

        # Too late to use the place (inside the 60 min notice): nobody is booked into it.
        service.waitlist_add(session, "placas", DAY, "6006")
        session.commit()
        service.cancel(session, "placas", moved.code, moved.start - timedelta(minutes=30))
        session.commit()
        assert {w.identity: w.status for w in service.waitlist(session, "placas", DAY)}["6006"] == "waiting"


def test_reminders_are_queued_once_and_only_the_nearest_due(booking_db):
    settings = get_settings()
    assert notify.offsets("24h,2h") == [1440, 120] and notify.offsets("90m,2h,90m") == [120, 90]
    with Session(db.get_engine()) as session:
        early = service.book(session, "placas", "1001", SLOT + timedelta(days=1), NOW, phone=numbers(1)[0])
        late = service.book(session, "placas", "2002", NOW + timedelta(hours=3), NOW, email="b@example.org")
        service.book(session, "placas", "3003", SLOT, NOW)  # no contact: never a reminder
        session.commit()

        def due_at(when) -> list[tuple]:
            notify.run_reminders(session, when, settings)
            session.commit()
            return [(r.booking_id, r.offset_minutes, r.channel) for r in rows(session)]

        # Now: 'late' (booked 3 h ahead) is not given the 24 h reminder; its 2 h one is not due yet.
        assert due_at(NOW) == []
        assert due_at(NOW + timedelta(hours=1)) == [(late.id, 120, "email")]
        assert due_at(NOW + timedelta(hours=1, minutes=30)) == [(late.id, 120, "email")]  # once
        # 'early' (2026-12-03 09:00 local = NOW + 50 h): the stack was down from before its 24 h until
        # inside its 2 h: only the 2 h reminder goes out.
        assert due_at(SLOT + timedelta(days=1, minutes=-90)) == [(late.id, 120, "email"), (early.id, 120, "sms")]
        # After the start, nothing more.
        assert len(due_at(SLOT + timedelta(days=1, hours=1))) == 2


def _five_due(session: Session) -> list[str]:
    """Five bookings with a phone and an email each, 2026-12-02 from 09:00 local, booked at NOW; their
    phones, read before the session closes (the rows themselves would be detached by then)."""
    made = [
        service.book(
            session, "placas", f"70{i}", SLOT + timedelta(hours=i), NOW, phone=phone, email=f"p{i}@example.org"
        )
        for i, phone in enumerate(numbers(5))
    ]
    session.commit()
    return [saved.phone or "" for saved in made]


def test_two_runs_at_once_send_each_message_once(world, kannel):
    sink = world
    with Session(db.get_engine()) as session:
        phones = _five_due(session)
    due = SLOT - timedelta(hours=20)  # every 24 h reminder is due, none of the 2 h ones
    barrier = threading.Barrier(3)
    outs: list[dict] = []

    def run() -> None:
        barrier.wait()
        outs.append(run_once(get_settings(), due))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(o["sent"] for o in outs) == 10 and sum(o["queued"] for o in outs) == 10, outs
    for i, phone in enumerate(phones):
        assert len(arrived(kannel, phone, 1)) == 1
        assert len(mails_to(sink, f"p{i}@example.org")) == 1
    with Session(db.get_engine()) as session:
        assert {(r.status, r.attempts, r.offset_minutes) for r in rows(session)} == {("sent", 1, 1440)}
    assert run_once(get_settings(), due) == {"queued": 0, "sent": 0, "failed": 0, "retry": 0}


def test_a_run_killed_after_claiming_sends_nothing_twice(world, kannel, tmp_path):
    """The API (here the CLI's reminder run, a real process) is SIGKILLed while it waits on smsbox with
    the first message claimed; the run after the restart sends every other message once and never that one."""
    sink = world
    with Session(db.get_engine()) as session:
        phones = _five_due(session)
    due = SLOT - timedelta(hours=20)
    with socket.socket() as silent:  # accepts, never answers: the killed run hangs inside the first send
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        env = dict(os.environ) | {
            "CENTRALITA_KANNEL_SENDSMS_URL": f"http://127.0.0.1:{silent.getsockname()[1]}/cgi-bin/sendsms",
            "CENTRALITA_KANNEL_TIMEOUT_S": "120",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "centralita.cli", "booking", "reminders", "run", "--now", due.isoformat()],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            with Session(db.get_engine()) as session:
                deadline = time.monotonic() + 60
                while not [r for r in rows(session) if r.status == "sending"]:
                    assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                    assert time.monotonic() < deadline, "the run never claimed a message"
                    time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
    with Session(db.get_engine()) as session:
        [claimed] = [r for r in rows(session) if r.status == "sending"]
        assert claimed.channel == "sms" and claimed.attempts == 1
        assert len(rows(session)) == 10  # the killed run had queued everything and committed it

    after = run_once(get_settings(), due)  # the restart, at once
    assert after == {"queued": 0, "sent": 9, "failed": 0, "retry": 0}
    later = run_once(get_settings(), due + notify.STALE_SENDING + timedelta(seconds=1))
    assert later["sent"] == 0
    with Session(db.get_engine()) as session:
        status = {r.recipient: (r.status, r.attempts) for r in rows(session)}
        assert status[claimed.recipient][0] == "failed"
        assert "interrupted while sending" in next(r.error for r in rows(session) if r.id == claimed.id)
    for i, number in enumerate(phones):
        expect = 0 if number == claimed.recipient else 1
        assert len(arrived(kannel, number, expect)) == expect
        assert len(mails_to(sink, f"p{i}@example.org")) == 1


def test_definite_failures_are_retried_and_stop(world, kannel, monkeypatch):
    """SMTP down: the email goes back to pending with a wait, then fails for good at the attempt limit;
    the SMS of the same reminder is not held up."""
    sink = world
    sink.stop()
    monkeypatch.setenv("CENTRALITA_BOOKING_NOTIFY_MAX_ATTEMPTS", "2")
    reset_settings_cache()
    [phone] = numbers(1)
    with Session(db.get_engine()) as session:
        service.book(session, "placas", "1001", SLOT, NOW, phone=phone, email="c@example.org")
        session.commit()
    due = SLOT - timedelta(hours=20)
    assert run_once(get_settings(), due) == {"queued": 2, "sent": 1, "failed": 0, "retry": 1}
    assert run_once(get_settings(), due)["retry"] == 0  # waiting for its backoff
    out = run_once(get_settings(), due + timedelta(minutes=5))
    assert out["failed"] == 1
    with Session(db.get_engine()) as session:
        [mail] = [r for r in rows(session) if r.channel == "email"]
        assert mail.status == "failed" and mail.attempts == 2 and "unreachable" in mail.error
    assert len(arrived(kannel, phone, 1)) == 1


def test_bad_contacts_and_unknown_bookings_are_named(booking_db):
    with Session(db.get_engine()) as session:
        with pytest.raises(FieldError, match="is not a mobile number to text") as err:
            service.book(session, "placas", "1001", SLOT, NOW, phone="12")
        assert err.value.field == "phone"
        session.rollback()
        with pytest.raises(FieldError, match="is not an email address") as err:
            service.waitlist_add(session, "placas", DAY, "1001", email="ana@")
        assert err.value.field == "email"
        session.rollback()
        assert session.exec(select(Booking)).all() == [] and session.exec(select(BookingWaitlist)).all() == []
        with pytest.raises(NotFound, match="no booking 999999"):
            service.notifications(session, "placas", code="999999")
        with pytest.raises(FieldError, match="give a booking code or a date"):
            service.notifications(session, "placas")


def test_a_commit_that_queued_wakes_the_deliverer(booking_db):
    woken: list[int] = []

    def wake() -> None:
        woken.append(1)

    notify.register_waker(wake)
    try:
        with Session(db.get_engine()) as session:
            first = service.book(session, "placas", "1001", SLOT, NOW)
            service.waitlist_add(session, "placas", DAY, "2002", phone=numbers(1)[0])
            session.commit()
            assert woken == []  # nothing queued
            service.cancel(session, "placas", first.code, NOW)
            assert woken == []  # not before the commit
            session.commit()
            assert woken == [1]
            session.commit()
            assert woken == [1]  # once
    finally:
        notify.unregister_waker(wake)


def test_api_and_cli(world, kannel, monkeypatch):
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from api.app import create_app
    from api.users import service as users
    from booking.cli import app as booking_cli

    sink = world
    monkeypatch.setattr("booking.routes.utcnow", lambda: NOW)
    monkeypatch.setattr("booking.cli.utcnow", lambda: NOW)
    with Session(db.get_engine()) as session:
        users.create_user(session, "sofia", "supervisor-pass-1", role="supervisor")
        users.create_user(session, "ana", "agent-password-1", role="agent")
        session.commit()
    mine, waiting = numbers(2)
    with TestClient(create_app(with_runtime=False)) as client:

        def auth(user: str, password: str) -> dict:
            r = client.post("/api/auth/token", json={"username": user, "password": password})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        sofia, ana = auth("sofia", "supervisor-pass-1"), auth("ana", "agent-password-1")
        body = {"service": "placas", "identity": "1001", "start": "2026-12-02T09:00:00-05:00"}
        bad = client.post("/api/booking/bookings", json=body | {"phone": "12"}, headers=ana)
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "phone"]
        assert "is not a mobile number to text" in bad.json()["detail"][0]["msg"]
        made = client.post("/api/booking/bookings", json=body | {"phone": mine}, headers=ana)
        assert made.status_code == 201, made.text
        code = made.json()["code"]
        r = client.post(
            "/api/booking/waitlist",
            json={
                "service": "placas",
                "date": "2026-12-02",
                "identity": "2002",
                "phone": waiting,
                "email": "w@example.org",
            },
            headers=ana,
        )
        assert r.status_code == 201 and r.json()["status"] == "waiting"

        assert (
            client.delete(f"/api/booking/bookings/{code}", params={"service": "placas"}, headers=ana).status_code == 200
        )
        [entry] = client.get(
            "/api/booking/waitlist", params={"service": "placas", "date": "2026-12-02"}, headers=ana
        ).json()
        assert entry["status"] == "booked" and entry["booking_id"]
        assert client.post("/api/booking/reminders/run", headers=ana).status_code == 403
        run = client.post("/api/booking/reminders/run", headers=sofia)
        assert run.status_code == 200 and run.json()["sent"] == 2, run.text  # the waitlist SMS and email
        assert len(arrived(kannel, waiting, 1)) == 1 and len(mails_to(sink, "w@example.org")) == 1
        listed = client.get(
            "/api/booking/notifications", params={"service": "placas", "date": "2026-12-02"}, headers=ana
        )
        assert {(n["kind"], n["channel"], n["status"]) for n in listed.json()} == {
            ("waitlist", "sms", "sent"),
            ("waitlist", "email", "sent"),
        }
        missing = client.get("/api/booking/notifications", params={"service": "placas", "code": "999999"}, headers=ana)
        assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["body", "code"]

    runner = CliRunner()
    r = runner.invoke(booking_cli, ["book", "placas", "3003", "2026-12-02T10:00", "--phone", "12"])
    assert r.exit_code == 2 and "error: phone: '12' is not a mobile number to text" in r.output
    r = runner.invoke(booking_cli, ["notifications", "placas", "--code", "999999"])
    assert r.exit_code == 1 and "error: code: no booking 999999" in r.output
    r = runner.invoke(booking_cli, ["waitlist", "add", "placas", "2026-12-02", "4004", "--email", "x@"])
    assert r.exit_code == 2 and "error: email:" in r.output
    r = runner.invoke(booking_cli, ["reminders", "run", "--now", "2026-12-01T12:00"])
    assert r.exit_code == 2 and "error: now: give an offset" in r.output


def test_the_api_process_sends_right_after_the_commit(world, kannel, monkeypatch):
    """The booking runtime of the API process (APScheduler) with an hour-long tick: only the wake from
    the cancellation's commit can send the waitlist SMS within the test's wait."""
    from booking.runtime import BookingNotifier

    monkeypatch.setenv("CENTRALITA_BOOKING_NOTIFY_TICK_S", "3600")
    reset_settings_cache()
    notifier = BookingNotifier(get_settings(), clock=lambda: NOW)
    notifier.start()
    try:
        deadline = time.monotonic() + 20
        while notifier.ticks < 1 and time.monotonic() < deadline:  # the start-up catch-up
            time.sleep(0.05)
        assert notifier.ticks == 1 and notifier.last_error == ""
        [phone] = numbers(1)
        with Session(db.get_engine()) as session:
            first = service.book(session, "placas", "1001", SLOT, NOW)
            service.waitlist_add(session, "placas", DAY, "2002", phone=phone)
            session.commit()
            service.cancel(session, "placas", first.code, NOW)
            session.commit()
        assert len(arrived(kannel, phone, 1)) == 1
        deadline = time.monotonic() + 10
        while notifier.ticks < 2 and time.monotonic() < deadline:  # the woken tick finishes its bookkeeping
            time.sleep(0.05)
        assert notifier.ticks == 2
    finally:
        notifier.stop()
