"""Importing contact files, on SQLite and PostgreSQL: every row accounted for, bad files change nothing."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from api.audit.models import AuditLog
from centralita.db import session_scope
from dialer import imports, service
from dialer.bench_import import make_csv
from dialer.errors import DialerError
from dialer.imports import import_file
from dialer.models import Contact, ContactImport

GOOD = "telefono;nombre;monto\n9123-4567;Ana;1500.50\n+504 3312 3456;Luis;20\n"


def new_list(name: str = "cobros", region: str = "HN") -> int:
    with session_scope() as s:
        return service.create_list(s, name, region=region).id


def run_import(list_id: int, data: bytes, filename: str = "f.csv", mapping=None, encoding="utf-8"):
    with session_scope() as s:
        return import_file(s, service.get_list(s, list_id), data, filename, mapping, encoding)


def contacts(list_id: int) -> list[tuple]:
    with session_scope() as s:
        rows = s.exec(select(Contact).where(Contact.list_id == list_id).order_by(Contact.phone)).all()
        assert all(c.created_at.tzinfo is not None and c.attempts == 0 for c in rows)  # bulk path = ORM values
        return [(c.phone, c.name, c.fields, c.timezone, c.status) for c in rows]


def test_every_row_is_stored_or_rejected_with_its_reason(stack_env):
    list_id = new_list()
    with session_scope() as s:
        service.add_dnc(s, "9999-0000", "asked not to be called")
    data = (
        "Teléfono,Nombre,Monto,Colonia\n"
        "9123-4567,Ana,1500.50,Centro\n"  # row 2 stored
        "+504 3312 3456,Luis,20,Kennedy\n"  # row 3 stored (written with country code)
        "12345,Bad,1,x\n"  # row 4 not a valid number
        "91234567,Ana again,3,y\n"  # row 5 duplicate of row 2
        "\n"  # blank line: counted, not a contact
        "9999 0000,Blocked,4,z\n"  # row 7 on do-not-call
        ",Nobody,5,w\n"  # row 8 empty phone
        "8877-6655,Extra,6,v,unexpected\n"  # row 9 more cells than the header
        "8877-6655,Ok,6,v\n"
    ).encode()  # row 10 stored
    report = run_import(list_id, data)
    assert (report.rows, report.accepted, report.rejected, report.blank) == (9, 3, 5, 1)
    reasons = {r["row"]: r["reason"] for r in report.rejections}
    assert reasons == {
        4: "phone: not a valid number in HN",
        5: "phone: duplicate of row 2",
        7: "phone: on the do-not-call list",
        8: "phone: empty",
        9: "row: 5 cells but the header has 4",
    }
    stored = contacts(list_id)
    assert [c[0] for c in stored] == ["+50433123456", "+50488776655", "+50491234567"]
    assert stored[2][1:] == ("Ana", {"Monto": "1500.50", "Colonia": "Centro"}, "America/Tegucigalpa", "new")
    with session_scope() as s:
        saved = s.exec(select(ContactImport)).one()
        assert saved.rejected == 5 and saved.rejections[0]["row"] == 4
        assert s.exec(select(AuditLog).where(AuditLog.action == "dialer.import")).one().detail["accepted"] == 3
        assert s.get(type(service.get_list(s, list_id)), list_id).field_names == ["Colonia", "Monto"]


def test_reimport_dedupes_against_the_list_and_mapping_picks_columns(stack_env):
    list_id = new_list()
    run_import(list_id, GOOD.encode())
    data = b"Cel;Cliente;Deuda;Nota\n91234567;Ana;1;a\n22123456;Rosa;2;b\n"
    report = run_import(list_id, data, mapping={"phone": "cel", "name": "Cliente", "monto": "Deuda"})
    assert report.accepted == 1 and report.rejections == [
        {"row": 2, "reason": "phone: already in this list", "value": "91234567"}
    ]
    rosa = [c for c in contacts(list_id) if c[1] == "Rosa"][0]
    assert rosa[0] == "+50422123456" and rosa[2] == {"monto": "2"}  # only mapped custom fields


def test_time_zone_column_is_validated(stack_env):
    list_id = new_list()
    data = b"phone,tz\n91234567,America/Mexico_City\n92345678,Mars/Olympus\n"
    report = run_import(list_id, data, mapping={"timezone": "tz"})
    assert report.accepted == 1 and report.rejections[0]["reason"] == "timezone: unknown time zone 'Mars/Olympus'"
    assert contacts(list_id)[0][3] == "America/Mexico_City"


@pytest.mark.parametrize(
    "data, encoding, field, words",
    [
        (GOOD.replace("Ana", "Ñoño").encode("latin-1"), "utf-8", "file", "not valid utf-8"),
        (b"nombre,monto\nAna,1\n", "utf-8", "phone", "no phone column"),
        (b"", "utf-8", "file", "empty"),
        (b"\n\n  \n", "utf-8", "file", "empty"),
        (b"telefono,nombre\n", "utf-8", "file", "no rows"),
        (b"telefono,telefono\n1,2\n", "utf-8", "file", "appears twice"),
        (GOOD.encode(), "klingon", "encoding", "unknown encoding"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "utf-8", "file", ".xls"),
        (b"PK\x03\x04 not really a zip", "utf-8", "file", "not a readable xlsx"),
    ],
)
def test_malformed_file_is_refused_and_the_list_stays_as_it_was(stack_env, data, encoding, field, words):
    list_id = new_list()
    run_import(list_id, GOOD.encode())
    before = contacts(list_id)
    with pytest.raises(DialerError) as err:
        run_import(list_id, data, encoding=encoding)
    assert err.value.field == field and words in err.value.message.lower()
    assert contacts(list_id) == before
    with session_scope() as s:
        assert len(s.exec(select(ContactImport)).all()) == 1


def test_latin1_file_imports_when_its_encoding_is_given(stack_env):
    list_id = new_list()
    report = run_import(list_id, GOOD.replace("Ana", "Ñoño").encode("latin-1"), encoding="latin-1")
    assert report.accepted == 2 and contacts(list_id)[1][1] == "Ñoño"


def test_failure_while_storing_leaves_nothing_half_written(stack_env, monkeypatch):
    list_id = new_list()
    data, _bad = make_csv(3000, 0.05)
    real = imports._bulk_insert

    def insert_then_fail(session, rows, progress):
        real(session, rows, progress)
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "_bulk_insert", insert_then_fail)
    with pytest.raises(RuntimeError):
        run_import(list_id, data)
    assert contacts(list_id) == []
    with session_scope() as s:
        assert s.exec(select(ContactImport)).all() == []


def test_generated_file_accounts_for_every_row(stack_env):
    list_id = new_list()
    data, bad = make_csv(3000, 0.05)
    report = run_import(list_id, data)
    assert report.rejected == bad and report.accepted == 3000 - bad
    assert len(contacts(list_id)) == 3000 - bad


def test_xlsx_with_mapping_numbers_and_blank_rows(stack_env):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Número", "Nombre", "Saldo"])
    sheet.append([91234567, "Ana", 1500.5])  # a phone typed as a number
    sheet.append([None, None, None])  # formatted but empty
    sheet.append(["3312-3456", "Luis", 20])
    sheet.append(["x", "Malo", 1])
    buf = io.BytesIO()
    book.save(buf)
    list_id = new_list()
    report = run_import(list_id, buf.getvalue(), "lista.xlsx", mapping={"saldo": "Saldo"})
    assert (report.accepted, report.rejected) == (2, 1) and report.rejections[0]["row"] == 5
    assert contacts(list_id)[1][:3] == ("+50491234567", "Ana", {"saldo": "1500.5"})
