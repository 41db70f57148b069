"""`centralita bench booking`: with N bookings stored, the free-slot lookups (a day's slots, as
GET .../slots answers; the next free slot, as a refused booking answers) and booking commits through
booking.service, on SQLite and PostgreSQL. Times in ms (p50, p95, max); a fixed 'now'."""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from booking import service
from booking.models import BookingService
from booking.schemas import ServiceIn
from booking.slots import WEEKDAYS

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)  # fixed: the bench never reads the clock for its data
TARGETS_MS = {"free_slot_lookup_p95": 50, "booking_commit_p95": 300}


def _stats(ms: list[float]) -> dict:
    ordered = sorted(ms)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)
    return {"n": len(ordered), "p50": pick(0.5), "p95": pick(0.95), "max": round(ordered[-1], 2)}


def _fill(session: Session, svc: BookingService, bookings: int, rng: random.Random) -> tuple[list[date], int]:
    """Bulk-load counted slots and bookings: each day's slots 70–100 % taken, a third of them full."""
    zone = service.zone(svc)
    slots_t, bookings_t = service.SLOTS, service.BOOKINGS
    day, stored, days, ident = NOW.astimezone(zone).date() + timedelta(days=1), 0, [], 10_000_000
    while stored < bookings:
        starts, capacity = service._day_plan(session, svc, day)
        codes = iter(rng.sample(range(100_000, 1_000_000), len(starts) * capacity))
        rows = []
        for start in starts:
            taken = capacity if rng.random() < 0.33 else rng.randint(int(capacity * 0.7), capacity - 1)
            taken = min(taken, bookings - stored)
            result: Any = session.execute(
                insert(slots_t).values(
                    service_id=svc.id, start=start, day=day.isoformat(), capacity=capacity, taken=taken
                )
            )
            slot_id = result.inserted_primary_key[0]
            for _ in range(taken):
                ident += 1
                rows.append(
                    {"service_id": svc.id, "slot_id": slot_id, "start": start, "day": day.isoformat()}
                    | {"code": str(next(codes)), "identity": str(ident), "status": "booked"}
                    | {"created_at": NOW, "updated_at": NOW, "moved_from": None}
                )
            stored += taken
        if rows:
            session.execute(insert(bookings_t), rows)
        days.append(day)
        day += timedelta(days=1)
    session.commit()
    return days, ident


def run_backend(url: str, bookings: int, draws: int, seed: int) -> dict:
    from centralita import db

    db.upgrade(url)
    engine = db.make_engine(url)
    rng = random.Random(seed)
    with Session(engine) as session:
        body = {"name": "placas", "timezone": "America/Panama", "slot_minutes": 60, "capacity": 150}
        body |= {"opening": {d: ["08:00-18:00"] for d in WEEKDAYS}, "days_ahead": 366, "min_notice_minutes": 60}
        svc = service.create_service(session, ServiceIn(**body))
        session.commit()
        t0 = time.perf_counter()
        days, ident = _fill(session, svc, bookings, rng)
        load_s = time.perf_counter() - t0
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
    lookups, nexts, commits, refused = [], [], [], 0
    for _ in range(draws):
        day = rng.choice(days)
        with Session(engine) as session:
            svc = service.get_service(session, "placas")
            t0 = time.perf_counter()
            service.day_slots(session, svc, day, NOW)
            lookups.append((time.perf_counter() - t0) * 1000)
            after = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=rng.randint(13, 22))
            t0 = time.perf_counter()
            service.next_free(session, svc, after, NOW)
            nexts.append((time.perf_counter() - t0) * 1000)
    for _ in range(draws):
        ident += 1
        with Session(engine) as session:
            free = [s for s in service.day_slots(session, svc, rng.choice(days), NOW) if s["booked"] < s["capacity"]]
            if not free:
                continue
            start = rng.choice(free)["start"]
            t0 = time.perf_counter()
            try:
                service.book(session, "placas", str(ident), start, NOW)
                session.commit()
            except service.BookingConflict:
                session.rollback()
                refused += 1
            commits.append((time.perf_counter() - t0) * 1000)
    engine.dispose()
    return {
        "bookings_stored": bookings,
        "days": len(days),
        "load_s": round(load_s, 2),
        "free_slot_lookup_ms": _stats(lookups),
        "next_free_slot_ms": _stats(nexts),
        "booking_commit_ms": _stats(commits),
        "refused": refused,
    }


def run_bench(
    bookings: int, backends: tuple[str, ...], draws: int = 300, seed: int = 1, postgres_url: str | None = None
) -> dict:
    from reports.bench import _database  # the temporary PostgreSQL the reports bench starts, reused

    doc: dict[str, Any] = {"bookings": bookings, "draws": draws, "targets_ms": TARGETS_MS, "backends": {}}
    with tempfile.TemporaryDirectory(prefix="centralita-bench-booking-") as tmp:
        for backend in backends:
            with _database(backend, Path(tmp), postgres_url) as url:
                doc["backends"][backend] = run_backend(url, bookings, draws, seed)
    return doc
