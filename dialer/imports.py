"""Importing a contact file into a list: column mapping, validation, dedupe, one bulk transaction.

Every data row ends up either stored or rejected with its row number and reason (accepted +
rejected + blank = rows read). A file that cannot be read at all raises before any write; the
caller's single transaction means a failure half-way leaves the list exactly as it was.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table as SqlTable
from sqlalchemy import func, insert, select
from sqlmodel import Session

from api.audit.service import record
from centralita.db import saved_id
from centralita.phones import Normalizer, UnknownRegion, time_zone_of
from centralita.settings import get_settings
from centralita.timeutil import utcnow
from dialer.errors import DialerError
from dialer.models import Contact, ContactImport, ContactList, DncEntry
from dialer.readers import Table, read_table

Progress = Callable[[str, int, int], None]  # (stage, done, total)
STANDARD = ("phone", "name", "timezone")
# Header names recognised without a mapping (compared case-folded, accents as typed in Spanish files).
GUESSES = {
    "phone": (
        "phone",
        "telefono",
        "teléfono",
        "tel",
        "numero",
        "número",
        "celular",
        "movil",
        "móvil",
        "phone_number",
        "mobile",
    ),
    "name": ("name", "nombre", "full_name", "nombre_completo", "cliente"),
    "timezone": ("timezone", "time_zone", "zona_horaria", "tz"),
}
MAX_CELL = 1000
INSERT_CHUNK = 5000
# SQLModel sets `__table__` on every table=True model but does not declare it for type checkers.
CONTACTS: SqlTable = Contact.__table__  # type: ignore[attr-defined]
LOOKUP_CHUNK = 1000


@dataclass
class ColumnMap:
    """Column index per standard target, and custom field name -> column index."""

    phone: int
    name: int | None = None
    timezone: int | None = None
    fields: dict[str, int] = field(default_factory=dict)


@dataclass
class ImportReport:
    list_id: int
    filename: str
    rows: int = 0
    accepted: int = 0
    blank: int = 0
    rejections: list[dict] = field(default_factory=list)  # {"row", "reason", "value"}
    seconds: float = 0.0
    import_id: int | None = None

    @property
    def rejected(self) -> int:
        return len(self.rejections)


def resolve_mapping(header: list[str], mapping: dict[str, str] | None) -> ColumnMap:
    """`mapping` is target -> column: phone, name, timezone, or any custom field name.

    Unmapped standard targets are guessed from common header names. When no custom field is
    mapped, every column not used otherwise becomes a custom field under its header name.
    """
    index = {col.casefold(): i for i, col in enumerate(header)}
    columns = ", ".join(header)
    chosen: dict[str, int] = {}
    for target, column in (mapping or {}).items():
        target = target.strip()
        if not target:
            raise DialerError("mapping", "a target name is empty")
        i = index.get(str(column).strip().casefold())
        if i is None:
            raise DialerError("mapping", f"{target}: column {column!r} is not in the file (columns: {columns})")
        chosen[target] = i
    for target, names in GUESSES.items():
        if target not in chosen:
            found = next((index[n] for n in names if n in index), None)
            if found is not None:
                chosen[target] = found
    if "phone" not in chosen:
        raise DialerError("phone", f"no phone column (columns: {columns}); map one, e.g. phone=<column>")
    custom = {k: v for k, v in chosen.items() if k not in STANDARD}
    if not custom:
        used = {chosen[k] for k in STANDARD if k in chosen}
        custom = {col: i for i, col in enumerate(header) if i not in used}
    return ColumnMap(chosen["phone"], chosen.get("name"), chosen.get("timezone"), custom)


class _Zones:
    """Validates time-zone names once each."""

    def __init__(self) -> None:
        self._known: dict[str, bool] = {}

    def valid(self, name: str) -> bool:
        ok = self._known.get(name)
        if ok is None:
            try:
                ZoneInfo(name)
                ok = True
            except (ZoneInfoNotFoundError, ValueError):
                ok = False
            self._known[name] = ok
        return ok


def _existing(session: Session, column, candidates: list[str], *where) -> set[str]:
    """Which of `candidates` are already in `column`.

    A table no bigger than the file is read whole (one query); a bigger one is probed in chunked
    IN lists, so neither a huge do-not-call list nor a huge file costs a huge statement.
    """
    stored = session.execute(select(func.count()).select_from(column.table).where(*where)).scalar_one()
    if stored == 0:
        return set()
    if stored <= len(candidates):
        return set(session.execute(select(column).where(*where)).scalars()) & set(candidates)
    found: set[str] = set()
    for start in range(0, len(candidates), LOOKUP_CHUNK):
        chunk = candidates[start : start + LOOKUP_CHUNK]
        found.update(session.execute(select(column).where(column.in_(chunk), *where)).scalars())
    return found


def _validate(
    table: Table, cmap: ColumnMap, normalize: Normalizer, report: ImportReport, progress: Progress
) -> list[dict]:
    """First pass, no database: one candidate per distinct valid number, the rest rejected."""
    width = len(table.header)
    zones = _Zones()
    first_row: dict[str, int] = {}
    candidates: list[dict] = []
    reject = report.rejections.append
    total = len(table.rows)
    for count, (row, cells) in enumerate(table.rows, start=1):
        if count % 10000 == 0:
            progress("validating", count, total)
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            reject({"row": row, "reason": f"row: {len(cells)} cells but the header has {width}", "value": ""})
            continue
        raw = cells[cmap.phone] if cmap.phone < len(cells) else ""
        parsed = normalize(raw)
        if parsed.error:
            reject({"row": row, "reason": f"phone: {parsed.error}", "value": raw[:80]})
            continue
        e164 = parsed.e164
        if e164 in first_row:
            reject({"row": row, "reason": f"phone: duplicate of row {first_row[e164]}", "value": raw[:80]})
            continue
        name = cells[cmap.name].strip() if cmap.name is not None and cmap.name < len(cells) else ""
        if len(name) > 200:
            reject({"row": row, "reason": "name: longer than 200 characters", "value": name[:80]})
            continue
        tz = cells[cmap.timezone].strip() if cmap.timezone is not None and cmap.timezone < len(cells) else ""
        if tz and not zones.valid(tz):
            reject({"row": row, "reason": f"timezone: unknown time zone {tz!r}", "value": tz[:80]})
            continue
        fields = {k: (cells[i] if i < len(cells) else "") for k, i in cmap.fields.items()}
        long = next((k for k, v in fields.items() if len(v) > MAX_CELL), None)
        if long is not None:
            reject({"row": row, "reason": f"{long}: longer than {MAX_CELL} characters", "value": ""})
            continue
        first_row[e164] = row
        candidates.append(
            {
                "phone": e164,
                "name": name,
                "timezone": tz or time_zone_of(e164),
                "fields": fields,
                "source_row": row,
                "_raw": raw,
            }
        )
    progress("validating", total, total)
    return candidates


def _bulk_insert(session: Session, rows: list[dict], progress: Progress) -> None:
    """All rows in the session's transaction: they all land with its commit, or none do.

    SQLite: one prepared INSERT, executemany. PostgreSQL: COPY on the same connection, because
    psycopg's executemany sends rows one by one (measured 17,000 rows/s end to end against 30,000+
    with COPY).
    """
    conn = session.connection()
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        _sqlite_insert(conn, rows, progress)
    elif conn.dialect.name == "postgresql":
        _postgresql_copy(conn, rows, progress)
    else:  # any other database SQLAlchemy speaks: plain core executemany
        for start in range(0, len(rows), INSERT_CHUNK):
            conn.execute(insert(CONTACTS), rows[start : start + INSERT_CHUNK])
            progress("storing", min(start + INSERT_CHUNK, len(rows)), len(rows))
    progress("storing", len(rows), len(rows))


def _postgresql_copy(conn, rows: list[dict], progress: Progress) -> None:
    columns = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY {Contact.__tablename__} ({', '.join(columns)}) FROM STDIN") as copy:
        for done, row in enumerate(rows, start=1):
            row["fields"] = json.dumps(row["fields"], ensure_ascii=False)
            copy.write_row([row[c] for c in columns])
            if done % INSERT_CHUNK == 0:
                progress("storing", done, len(rows))


def _sqlite_insert(conn, rows: list[dict], progress: Progress) -> None:
    """executemany with the columns' own bind processors (so stored values are exactly what the ORM
    writes), run once for the values every row shares instead of once per row: SQLAlchemy's
    per-row parameter processing was a quarter of the import's time."""
    table = CONTACTS
    columns = list(rows[0])
    procs = [table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in columns]
    shared = {"list_id", "status", "attempts", "last_outcome", "last_disposition", "created_at"}
    first = rows[0]
    fixed = {c: (p(first[c]) if p else first[c]) for c, p in zip(columns, procs) if c in shared}
    getters = [(c, None if c in shared else p) for c, p in zip(columns, procs)]
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = [
            tuple(fixed[c] if c in fixed else (p(r[c]) if p else r[c]) for c, p in getters)
            for r in rows[start : start + INSERT_CHUNK]
        ]
        conn.exec_driver_sql(sql, chunk)
        progress("storing", min(start + INSERT_CHUNK, len(rows)), len(rows))


def import_table(
    session: Session,
    contact_list: ContactList,
    table: Table,
    filename: str,
    mapping: dict[str, str] | None = None,
    *,
    user=None,
    client: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Add the table's valid rows to the list. Not committed here: the caller's commit makes it atomic."""
    started = time.perf_counter()
    progress = progress or (lambda _stage, _done, _total: None)
    region = contact_list.region or get_settings().default_region
    try:
        normalize = Normalizer(region)
    except UnknownRegion as exc:
        raise DialerError("region", str(exc)) from None
    cmap = resolve_mapping(table.header, mapping)
    list_id = saved_id(contact_list)
    report = ImportReport(list_id=list_id, filename=filename, rows=len(table.rows) + table.blank, blank=table.blank)
    candidates = _validate(table, cmap, normalize, report, progress)

    phones = [c["phone"] for c in candidates]
    in_list = _existing(session, Contact.phone, phones, Contact.list_id == list_id)
    on_dnc = _existing(session, DncEntry.phone, phones)
    now = utcnow()
    rows: list[dict] = []
    for c in candidates:
        raw = c.pop("_raw")
        if c["phone"] in in_list or c["phone"] in on_dnc:
            why = "already in this list" if c["phone"] in in_list else "on the do-not-call list"
            report.rejections.append({"row": c["source_row"], "reason": f"phone: {why}", "value": raw[:80]})
            continue
        c.update(list_id=list_id, status="new", attempts=0, last_outcome="", last_disposition="", created_at=now)
        rows.append(c)
    report.rejections.sort(key=lambda r: r["row"])

    _bulk_insert(session, rows, progress)
    report.accepted = len(rows)

    contact_list.field_names = sorted(set(contact_list.field_names) | set(cmap.fields))
    session.add(contact_list)
    report.seconds = round(time.perf_counter() - started, 3)
    entry = ContactImport(
        list_id=list_id,
        filename=filename[:255],
        rows=report.rows,
        accepted=report.accepted,
        rejected=report.rejected,
        rejections=report.rejections,
        seconds=report.seconds,
        username=(getattr(user, "username", "") or "")[:64],
    )
    session.add(entry)
    record(
        session,
        "dialer.import",
        user=user,
        target=f"list:{contact_list.name}",
        client=client,
        detail={
            "file": filename[:255],
            "rows": report.rows,
            "accepted": report.accepted,
            "rejected": report.rejected,
            "blank": report.blank,
        },
    )
    session.flush()
    report.import_id = entry.id
    return report


def import_file(
    session: Session,
    contact_list: ContactList,
    data: bytes,
    filename: str,
    mapping: dict[str, str] | None = None,
    encoding: str = "utf-8",
    **kw,
) -> ImportReport:
    """Read then import; a malformed file raises `DialerError('file', ...)` before any write."""
    return import_table(session, contact_list, read_table(data, filename, encoding), filename, mapping, **kw)
