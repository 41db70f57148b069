"""Ingest Asterisk's CDR file into call records, idempotently and from where we left off.

Asterisk appends one CSV line per CDR as each call ends (cdr_custom), whether or not our
services run. We keep a byte offset per file (by inode, so rotation starts over) and a unique key
(uniqueid, sequence) per line, so re-reading is harmless and a crash can never double-count.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.calls.models import CallRecord, CdrEntry, IngestCursor
from centralita.telephony.endpoints import channel_like_patterns

# Column order of asterisk/templates/cdr_custom.conf.j2.
CDR_COLUMNS = [
    "uniqueid",
    "sequence",
    "linkedid",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "src",
    "clid",
    "dst",
    "dcontext",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "disposition",
    "did",
    "path",
    "userfield",
    "sip_call_id",
]
MAX_BATCH_BYTES = 4 * 1024 * 1024


class CdrFormatError(ValueError):
    pass


def _epoch(value: str) -> datetime | None:
    if not value or float(value) <= 0:
        return None
    return datetime.fromtimestamp(float(value), tz=UTC)


def parse_cdr_row(row: list[str]) -> dict:
    if len(row) != len(CDR_COLUMNS):
        raise CdrFormatError(f"expected {len(CDR_COLUMNS)} columns, got {len(row)}")
    data = dict(zip(CDR_COLUMNS, row))
    start, end = _epoch(data["start"]), _epoch(data["end"])
    if start is None or end is None:
        raise CdrFormatError("missing start or end time")
    return {
        **data,
        "sequence": int(data["sequence"] or 0),
        "start": start,
        "answer": _epoch(data["answer"]),
        "end": end,
        "duration": float(data["duration"] or 0),
        "billsec": float(data["billsec"] or 0),
        "lastdata": data["lastdata"][:255],
    }


@dataclass
class IngestResult:
    lines: int = 0
    new_entries: int = 0
    calls_touched: int = 0
    bad_lines: int = 0


def read_new_lines(session: Session, path: Path, max_bytes: int = MAX_BATCH_BYTES) -> tuple[bytes, IngestCursor | None]:
    """The complete lines of `path` after its saved cursor (b"" when none). The caller advances
    `cursor.offset` by len(lines) and commits it together with what it derived from them."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return b"", None
    cursor = session.exec(select(IngestCursor).where(IngestCursor.source == str(path))).first()
    if cursor is None:
        cursor = IngestCursor(source=str(path))
    head = _first_line_sha1(path)
    if (
        cursor.inode != stat.st_ino
        or cursor.offset > stat.st_size
        or (cursor.offset and cursor.first_line_sha1 != head)
    ):
        cursor.inode, cursor.offset = stat.st_ino, 0  # new, rotated or truncated file
    cursor.first_line_sha1 = head
    if cursor.offset == stat.st_size:
        return b"", cursor
    with path.open("rb") as fh:
        fh.seek(cursor.offset)
        chunk = fh.read(max_bytes)
    return chunk[: chunk.rfind(b"\n") + 1], cursor  # a line still being written waits for the next pass


def ingest_file(session: Session, path: Path) -> IngestResult:
    """Read new complete lines of `path`; commit entries, call records and the cursor together."""
    result = IngestResult()
    complete, cursor = read_new_lines(session, path)
    if not complete or cursor is None:
        return result
    linkedids: set[str] = set()
    for row in csv.reader(io.StringIO(complete.decode("utf-8", "replace"))):
        if not row:
            continue
        result.lines += 1
        try:
            data = parse_cdr_row(row)
        except (CdrFormatError, ValueError):
            result.bad_lines += 1
            continue
        exists = session.exec(
            select(CdrEntry.id).where(CdrEntry.uniqueid == data["uniqueid"], CdrEntry.sequence == data["sequence"])
        ).first()
        if exists is None:
            session.add(CdrEntry(**data))
            result.new_entries += 1
            linkedids.add(data["linkedid"])
    session.flush()
    for linkedid in linkedids:
        _fold_call(session, linkedid)
    result.calls_touched = len(linkedids)
    cursor.offset += len(complete)
    session.add(cursor)
    session.commit()
    return result


def _first_line_sha1(path: Path) -> str:
    with path.open("rb") as fh:
        line = fh.readline(65536)
    return hashlib.sha1(line).hexdigest() if line.endswith(b"\n") else ""


def _fold_call(session: Session, linkedid: str) -> CallRecord:
    """One call record from every CDR of the call (IVR leg, queue attempts, agent leg...)."""
    entries = list(session.exec(select(CdrEntry).where(CdrEntry.linkedid == linkedid).order_by(col(CdrEntry.start))))
    first = entries[0]
    start = min(e.start for e in entries)
    end = max(e.end for e in entries)
    answers = [e.answer for e in entries if e.answer is not None]
    answer = min(answers) if answers else None
    record = session.exec(select(CallRecord).where(CallRecord.linkedid == linkedid)).first() or CallRecord(
        linkedid=linkedid, start=start, end=end, duration=0, billsec=0
    )
    record.start, record.end, record.answer = start, end, answer
    record.duration = round((_aware(end) - _aware(start)).total_seconds(), 3)
    record.billsec = round((_aware(end) - _aware(answer)).total_seconds(), 3) if answer else 0.0
    record.caller = first.src
    record.caller_name = first.clid
    record.did = next((e.did for e in entries if e.did), "")
    record.path = max((e.path for e in entries), key=len, default="")
    record.disposition = "ANSWERED" if any(e.disposition == "ANSWERED" for e in entries) else first.disposition
    record.sip_call_id = next((e.sip_call_id for e in entries if e.sip_call_id), "")
    record.channels = sorted({c for e in entries for c in (e.channel, e.dstchannel) if c})
    session.add(record)
    return record


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cdr_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.csv") if p.is_file()) if directory.is_dir() else []


def ingest_directory(session: Session, directory: Path) -> IngestResult:
    total = IngestResult()
    for path in cdr_files(directory):
        part = ingest_file(session, path)
        total.lines += part.lines
        total.new_entries += part.new_entries
        total.calls_touched += part.calls_touched
        total.bad_lines += part.bad_lines
    return total


@dataclass
class CallFilters:
    caller: str | None = None
    did: str | None = None
    disposition: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    linkedid: str | None = None


def list_calls(session: Session, filters: CallFilters, limit: int, offset: int) -> tuple[int, list[CallRecord]]:
    query = select(CallRecord)
    if filters.caller:
        query = query.where(col(CallRecord.caller).contains(filters.caller))
    if filters.did:
        query = query.where(CallRecord.did == filters.did)
    if filters.disposition:
        query = query.where(CallRecord.disposition == filters.disposition.upper())
    if filters.since:
        query = query.where(CallRecord.start >= filters.since)
    if filters.until:
        query = query.where(CallRecord.start < filters.until)
    if filters.linkedid:
        query = query.where(CallRecord.linkedid == filters.linkedid)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = list(
        session.exec(
            query.order_by(col(CallRecord.start).desc(), col(CallRecord.id).desc()).offset(offset).limit(limit)
        )
    )
    return total, rows


def own_calls(session: Session, user) -> list:
    """Conditions limiting call records to what `user` may see: everything for supervisors and admins;
    for an agent only the calls one of their phones was on (desk `PJSIP/<endpoint>-…` or browser
    `PJSIP/<endpoint>-web-…`, centralita.telephony.endpoints) or that were
    recorded as theirs — the same endpoint /recordings identifies them by (recorder.search.agent_username).
    An agent without an endpoint sees none."""
    if getattr(user, "role", "") != "agent":
        return []
    from sqlalchemy import String, cast, false, or_

    from recorder.models import Recording
    from recorder.search import agent_username

    endpoint = agent_username(session, user)
    if not endpoint:
        return [false()]
    # The channels column is a JSON list of names: match one quoted name of the agent's phones exactly.
    channels = cast(CallRecord.channels, String)
    return [
        or_(
            *(channels.like(f'%"{p}"%', escape="\\") for p in channel_like_patterns(endpoint)),
            col(CallRecord.linkedid).in_(select(Recording.linkedid).where(Recording.agent == endpoint)),
        )
    ]


def recent_calls(session: Session, user, limit: int) -> list[CallRecord]:
    """The newest `limit` call records `user` may see (the dashboard)."""
    query = select(CallRecord).where(*own_calls(session, user))
    return list(session.exec(query.order_by(col(CallRecord.start).desc(), col(CallRecord.id).desc()).limit(limit)))
