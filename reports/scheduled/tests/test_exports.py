"""Exports from hand-built KPI rows (the contract's names): the same table in CSV, XLSX (read back with
openpyxl) and PDF (its text streams inflated and searched), Spanish headers, numbers formatted, a wide
table in landscape."""

from __future__ import annotations

import csv
import io
import re
import zlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl

from reports.scheduled import exports
from reports.scheduled.exports import ReportMeta

PANAMA = ZoneInfo("America/Panama")
META = ReportMeta(
    title="Informe diario de atención",
    since=datetime(2026, 11, 30, 5, tzinfo=UTC),
    until=datetime(2026, 12, 1, 5, tzinfo=UTC),
    tz=PANAMA,
    group_by="queue,hour",
    queues=["atencion", "cobros"],
    generated_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
)
ROWS = [
    {
        "queue": "atencion",
        "hour": 9,
        "offered": 1234,
        "answered": 1100,
        "abandoned": 134,
        "sl_answered": 0.8534,
        "asa_s": 12.345,
        "aht_s": 185.0,
        "abandon_rate": 0.1086,
        "csat": 4.25,
        "nps": None,
        "paused_by_reason": {"lunch": 600.0, "break": 120.5},
    },
    {
        "queue": "cobros",
        "hour": 14,
        "offered": 0,
        "answered": 0,
        "abandoned": 0,
        "sl_answered": None,
        "asa_s": None,
        "aht_s": None,
        "abandon_rate": None,
        "csat": None,
        "nps": 35.0,
        "paused_by_reason": {},
    },
]
HEADERS = [
    "Cola",
    "Hora",
    "Ofrecidas",
    "Atendidas",
    "Abandonadas",
    "Nivel de servicio (atendidas)",
    "Vel. media de respuesta (s)",
    "Tiempo medio de gestión (s)",
    "Tasa de abandono",
    "CSAT (media)",
    "NPS",
    "Pausa «break» (s)",
    "Pausa «lunch» (s)",
]


def pdf_text(data: bytes) -> bytes:
    """Every content stream, inflated: enough to find the strings reportlab drew (no PDF library here)."""
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        raw = match.group(1)
        try:
            import base64

            raw = base64.a85decode(raw.strip(), adobe=True) if raw.strip().endswith(b"~>") else raw
            out.append(zlib.decompress(raw))
        except (ValueError, zlib.error):
            out.append(raw)
    return b"\n".join(out)


def test_csv_is_the_plain_table():
    text = exports.to_csv(ROWS, META).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == HEADERS
    assert table[1] == [
        "atencion",
        "09:00",
        "1234",
        "1100",
        "134",
        "0.8534",
        "12.3",
        "185.0",
        "0.1086",
        "4.25",
        "",
        "120.5",
        "600.0",
    ]
    assert table[2][:3] == ["cobros", "14:00", "0"] and table[2][5] == "" and table[2][10] == "35.0"


def test_xlsx_reads_back_with_numbers_and_formats():
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(ROWS, META)))
    sheet = book["KPI"]
    assert sheet["A1"].value == "Informe diario de atención"
    assert sheet["A2"].value == "Periodo: 30/11/2026 00:00 – 01/12/2026 00:00 (America/Panama)"
    assert sheet["A3"].value == "Agrupación: Cola, Hora"
    assert sheet["A4"].value == "Colas: atencion, cobros"
    header_row = [c.value for c in sheet[7]]
    assert header_row == HEADERS
    first = [c for c in sheet[8]]
    assert [c.value for c in first[:5]] == ["atencion", "09:00", 1234, 1100, 134]
    assert first[5].value == 0.8534 and first[5].number_format == "0.0%"
    assert first[6].value == 12.345 and first[6].number_format == "#,##0.0"
    assert [c.value for c in sheet[9]][5] is None  # no denominator: an empty cell, not 0
    assert book.properties.title == "Informe diario de atención"


def test_pdf_has_the_title_spanish_numbers_and_turns_landscape_when_wide():
    data = exports.to_pdf(ROWS, META)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert b"Informe diario de atenci" in text  # the title (its ó is one WinAnsi byte)
    assert b"1.234" in text and b"85,3 %" in text and b"12,3" in text
    narrow = exports.to_pdf([{"queue": "atencion", "offered": 3}], ReportMeta("Corto", META.since, META.until, PANAMA))
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in narrow  # A4 portrait
    assert b"/MediaBox [ 0 0 841.8898 595.2756 ]" in data  # A4 landscape


def test_unknown_names_are_kept_and_no_rows_is_said():
    cols = exports.columns([{"queue": "a", "offered": 1, "new_kpi": 2}], "queue")
    assert cols == ["queue", "offered", "new_kpi"]
    assert b"Sin datos en este periodo" in pdf_text(exports.to_pdf([], META))
    assert exports.to_csv([], META).decode("utf-8-sig") == "\r\n"


def test_filename_is_ascii():
    assert exports.filename("Informe Diario — Atención", META, "xlsx") == "informe-diario-atencion_2026-11-30.xlsx"
