"""CDR ingestion on the real databases: idempotent, resumable, never reads half a line."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session, select

from api.calls.models import CallRecord, CdrEntry
from api.calls.service import CDR_COLUMNS, CallFilters, ingest_directory, ingest_file, list_calls
from centralita import db


def _line(**over) -> str:
    row = {
        "uniqueid": "1700000000.1",
        "sequence": "1",
        "linkedid": "1700000000.1",
        "start": "1700000000.100000",
        "answer": "1700000000.600000",
        "end": "1700000010.100000",
        "duration": "10.000",
        "billsec": "9.500",
        "src": "5551234",
        "clid": '"Demo" <5551234>',
        "dst": "s",
        "dcontext": "centralita-inbound",
        "channel": "PJSIP/demo-00000001",
        "dstchannel": "",
        "lastapp": "Queue",
        "lastdata": "atencion,t",
        "disposition": "ANSWERED",
        "did": "5551000",
        "path": "flow:demo>menu:1>queue:atencion",
        "userfield": "",
        "sip_call_id": "abc@127.0.0.1",
    }
    row.update(over)
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL).writerow([row[c] for c in CDR_COLUMNS])
    return out.getvalue().replace("\r\n", "\n")


def test_ingest_is_idempotent_and_folds_linked_cdrs(stack_env, tmp_path):
    cdr = tmp_path / "Master.csv"
    cdr.write_text(
        _line()
        + _line(
            uniqueid="1700000000.2",
            channel="PJSIP/agent1-00000002",
            start="1700000001.0",
            answer="1700000002.0",
            end="1700000012.500000",
            path="",
            did="",
        )
    )
    with Session(db.get_engine()) as session:
        first = ingest_file(session, cdr)
        again = ingest_file(session, cdr)
        [record] = session.exec(select(CallRecord)).all()
    assert (first.new_entries, first.calls_touched) == (2, 1)
    assert again.new_entries == 0 and again.lines == 0  # the cursor remembers
    assert record.did == "5551000" and record.path == "flow:demo>menu:1>queue:atencion"
    assert record.duration == 12.4 and record.billsec == 11.9
    assert record.channels == ["PJSIP/agent1-00000002", "PJSIP/demo-00000001"]
    assert record.sip_call_id == "abc@127.0.0.1" and record.disposition == "ANSWERED"


def test_partial_line_waits_and_reread_never_duplicates(stack_env, tmp_path):
    cdr = tmp_path / "Master.csv"
    full = _line()
    cdr.write_text(full[:-20])  # Asterisk is still writing this line
    with Session(db.get_engine()) as session:
        assert ingest_file(session, cdr).lines == 0
        cdr.write_text(full)
        assert ingest_file(session, cdr).new_entries == 1
    # A lost cursor (e.g. database restored) re-reads the file: unique keys keep it exactly-once.
    with Session(db.get_engine()) as session:
        from api.calls.models import IngestCursor

        for cursor in session.exec(select(IngestCursor)):
            session.delete(cursor)
        session.commit()
        assert ingest_file(session, cdr).new_entries == 0
        assert len(session.exec(select(CdrEntry)).all()) == 1


def test_rotated_file_starts_over_and_bad_lines_are_counted(stack_env, tmp_path):
    cdr = tmp_path / "Master.csv"
    cdr.write_text(_line())
    with Session(db.get_engine()) as session:
        ingest_file(session, cdr)
        cdr.unlink()
        cdr.write_text('"broken","line"\n' + _line(uniqueid="1700000100.5", linkedid="1700000100.5"))
        result = ingest_directory(session, tmp_path)
        assert (result.bad_lines, result.new_entries) == (1, 1)
        total, rows = list_calls(session, CallFilters(did="5551000"), limit=10, offset=0)
        assert total == 2 and rows[0].linkedid == "1700000100.5"  # newest first
        assert list_calls(session, CallFilters(disposition="busy"), 10, 0)[0] == 0


def test_unanswered_call_has_no_billsec(stack_env, tmp_path):
    cdr = tmp_path / "Master.csv"
    cdr.write_text(_line(answer="0.000000", disposition="NO ANSWER", billsec="0"))
    with Session(db.get_engine()) as session:
        ingest_file(session, cdr)
        record = session.exec(select(CallRecord)).one()
    assert record.answer is None and record.billsec == 0 and record.disposition == "NO ANSWER"
