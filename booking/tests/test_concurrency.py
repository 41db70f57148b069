"""Exact capacity under concurrency, on SQLite and PostgreSQL: 1,000 simultaneous attempts on one slot
of capacity 150 (through the service in threads, and through a real uvicorn server) → exactly 150
booked, the 850 others told `full` with the next free slot; 200 attempts with one identity → one."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
import pytest
from sqlmodel import Session, func, select

from booking import service
from booking.models import Booking, BookingSlot
from booking.tests.conftest import NOW, SLOT

ATTEMPTS, CAPACITY, WORKERS = 1000, 150, 48


def _attempt(engine, identity: str, when=SLOT):
    with Session(engine) as session:
        try:
            row = service.book(session, "placas", identity, when, NOW)
            session.commit()
            return "booked", row.code
        except service.BookingConflict as exc:
            session.rollback()
            return exc.reason, exc.next_free


def _run(fn, args) -> list:
    barrier = threading.Barrier(WORKERS)

    def start(*a):
        try:
            barrier.wait(timeout=0.5)  # the first wave leaves together
        except threading.BrokenBarrierError:
            pass
        return fn(*a)

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(start, *zip(*args, strict=True)))


def _stored(session) -> tuple[int, int]:
    slot = session.exec(select(BookingSlot).where(BookingSlot.start == SLOT)).one()
    booked = session.exec(select(func.count()).where(Booking.slot_id == slot.id, Booking.status == "booked")).one()
    return slot.taken, booked


def test_thousand_attempts_on_one_slot_through_the_service(booking_db):
    from centralita import db

    results = _run(lambda i: _attempt(db.get_engine(), str(10_000 + i)), [(i,) for i in range(ATTEMPTS)])
    booked = [r for r in results if r[0] == "booked"]
    full = [r for r in results if r[0] == "full"]
    assert len(booked) == CAPACITY and len(full) == ATTEMPTS - CAPACITY
    assert {r[1] for r in full} == {SLOT + timedelta(hours=1)}
    assert len({r[1] for r in booked}) == CAPACITY  # codes unique that day
    assert _stored(booking_db) == (CAPACITY, CAPACITY)


def test_two_hundred_attempts_with_one_identity(booking_db):
    from centralita import db

    hours = [SLOT + timedelta(hours=i % 4) for i in range(200)]  # the same identity, several slots
    results = _run(lambda when: _attempt(db.get_engine(), "4242", when), [(h,) for h in hours])
    assert [r[0] for r in results].count("booked") == 1
    assert {r[0] for r in results} == {"booked", "identity_has_booking"}
    active = booking_db.exec(select(func.count()).where(Booking.identity == "4242", Booking.status == "booked")).one()
    taken = booking_db.exec(select(func.sum(BookingSlot.taken))).one()
    assert active == 1 and taken == 1  # the refused attempts gave their place back (rolled back)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def api_server(booking_db, monkeypatch):
    """A real uvicorn serving the API in a thread; the clock of the booking routes is the fixed NOW."""
    import uvicorn

    from api.app import create_app
    from api.users import service as users

    users.create_user(booking_db, "ana", "agent-password-1", role="agent")
    booking_db.commit()
    monkeypatch.setattr("booking.routes.utcnow", lambda: NOW)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(with_runtime=False), host="127.0.0.1", port=port, log_level="warning", limit_concurrency=2000
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    token = httpx.post(f"{base}/api/auth/token", json={"username": "ana", "password": "agent-password-1"}).json()
    yield base, {"Authorization": f"Bearer {token['access_token']}"}
    server.should_exit = True
    thread.join(10)


def test_thousand_attempts_through_the_http_api(api_server, booking_db):
    base, headers = api_server
    client = httpx.Client(base_url=base, headers=headers, timeout=60, limits=httpx.Limits(max_connections=WORKERS))

    def post(i: int):
        r = client.post(
            "/api/booking/bookings", json={"service": "placas", "identity": str(50_000 + i), "start": SLOT.isoformat()}
        )
        return r.status_code, r.json()

    try:
        results = _run(post, [(i,) for i in range(ATTEMPTS)])
    finally:
        client.close()
    created = [b for s, b in results if s == 201]
    refused = [b["detail"][0] for s, b in results if s == 409]
    assert len(created) == CAPACITY and len(refused) == ATTEMPTS - CAPACITY, {s for s, _ in results}
    assert {d["reason"] for d in refused} == {"full"}
    assert {d["next_free"] for d in refused} == {"2026-12-02T15:00:00Z"} or {d["next_free"] for d in refused} == {
        "2026-12-02T15:00:00+00:00"
    }
    assert {tuple(d["loc"]) for d in refused} == {("body", "start")}
    assert _stored(booking_db) == (CAPACITY, CAPACITY)
    r = httpx.get(f"{base}/api/booking/services/placas/slots", params={"date": "2026-12-02"}, headers=headers)
    by_start = {row["start"]: row for row in r.json()}
    assert [row["booked"] for row in by_start.values()].count(CAPACITY) == 1
    assert (
        service.day_slots(booking_db, service.get_service(booking_db, "placas"), date(2026, 12, 2), NOW)[1]["booked"]
        == CAPACITY
    )
