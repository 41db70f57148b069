"""`centralita bench import`: a generated contact file through the real importer into a real database.

The file looks like a collection list from Tegucigalpa: Honduran mobiles written four ways
(digits, dashes, spaces, +504), a name, the amount owed, and a share of bad numbers of several
kinds (too short, letters, wrong prefix, empty). Timed end to end: bytes in, transaction committed.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

from centralita import db

_BAD = ("1234", "abc-defg", "5123456", "", "0000000000000", "+504 1234 567")


def make_csv(rows: int, bad_share: float = 0.05, seed: int = 1) -> tuple[bytes, int]:
    """(CSV bytes, number of bad rows). Good numbers are distinct, so bad rows are the only rejects."""
    rng = random.Random(seed)
    numbers = rng.sample(range(90_000_000, 99_999_999), rows)
    lines = ["telefono,nombre,monto,colonia"]
    bad = 0
    for i, n in enumerate(numbers):
        if rng.random() < bad_share:
            phone = _BAD[i % len(_BAD)]
            bad += 1
        else:
            s = str(n)
            phone = (s, f"{s[:4]}-{s[4:]}", f"{s[:4]} {s[4:]}", f"+504 {s}")[i % 4]
        lines.append(f"{phone},Contacto {i},{rng.randint(100, 90000)}.{rng.randint(0, 99):02d},Colonia {i % 300}")
    return ("\n".join(lines) + "\n").encode(), bad


def run_import_bench(rows: int = 100_000, bad_share: float = 0.05, database_url: str = "") -> dict:
    from dialer.imports import import_table
    from dialer.models import ContactList
    from dialer.readers import read_table

    data, bad = make_csv(rows, bad_share)
    with tempfile.TemporaryDirectory(prefix="centralita-bench-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        db.upgrade(url)
        engine = db.make_engine(url)
        try:
            with Session(engine) as session:
                contact_list = ContactList(name=f"bench-{time.time_ns()}", region="HN")
                session.add(contact_list)
                session.commit()
                started, cpu_started = time.perf_counter(), time.process_time()
                table = read_table(data, "bench.csv")
                read_s = time.perf_counter() - started
                report = import_table(session, contact_list, table, "bench.csv", client="bench")
                session.commit()
                total_s = time.perf_counter() - started
                cpu_s = time.process_time() - cpu_started
        finally:
            engine.dispose()
    return {
        "database": engine.dialect.name,
        "rows": rows,
        "bad_rows_in_file": bad,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "all_rows_accounted": report.accepted + report.rejected + report.blank == rows,
        "bytes": len(data),
        "seconds_read": round(read_s, 3),
        "seconds_total": round(total_s, 3),
        "rows_per_second": round(rows / total_s),
        # This process's CPU time: on a shared, loaded machine the wall figure above varies a lot,
        # this one much less (the PostgreSQL server's own work is not in it).
        "cpu_seconds_this_process": round(cpu_s, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
