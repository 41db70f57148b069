"""Contact files to rows: CSV (any common delimiter, UTF-8 unless told) and XLSX (first sheet).

A file that cannot be read as a whole (wrong encoding, not a workbook, empty, no header) raises
`DialerError` on field `file` before anything is written; single bad rows are the importer's job.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from dialer.errors import DialerError

MAX_BYTES = 200 * 1024 * 1024
_DELIMITERS = ",;\t|"


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number in the file, 1 = header; cells as text)
    blank: int = 0  # wholly blank rows after the header: skipped, but counted in the report


def _file_error(message: str) -> DialerError:
    return DialerError("file", message)


def read_table(data: bytes, filename: str = "", encoding: str = "utf-8") -> Table:
    if not data or not data.strip():
        raise _file_error("is empty")
    if len(data) > MAX_BYTES:
        raise _file_error(f"is larger than {MAX_BYTES // 2**20} MB; split it")
    name = filename.lower()
    if name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _file_error("is an Excel 97-2003 (.xls) workbook; save it as .xlsx or .csv")
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        return _read_xlsx(data)
    return _read_csv(data, encoding)


def _header(cells: list, first_row: int) -> list[str]:
    header = [str(c).strip() if c is not None else "" for c in cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise _file_error(f"row {first_row}: the header row is empty")
    seen: set[str] = set()
    for i, col in enumerate(header):
        if not col:
            header[i] = col = f"column_{i + 1}"
        if col.casefold() in seen:
            raise _file_error(f"column {col!r} appears twice in the header")
        seen.add(col.casefold())
    return header


def _read_csv(data: bytes, encoding: str) -> Table:
    encoding = encoding or "utf-8"
    try:
        codec = "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
        text = data.decode(codec)
    except LookupError:
        raise DialerError("encoding", f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise _file_error(
            f"is not valid {encoding} text (byte {exc.start}); save it as UTF-8 or give its "
            "encoding, e.g. latin-1 or cp1252"
        ) from None
    if "\x00" in text:
        raise _file_error("contains NUL bytes: not a text CSV (wrong encoding, e.g. UTF-16?)")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=_DELIMITERS)
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","  # one column, or nothing to tell: the standard
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        lines = iter(reader)
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        blank = 0
        for cells in lines:
            if header is None:
                if not any(c.strip() for c in cells):
                    continue  # blank lines before the header
                header = _header(cells, reader.line_num)
                continue
            if not cells:
                blank += 1
                continue
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise _file_error(f"line {reader.line_num}: malformed CSV ({exc})") from None
    if header is None:
        raise _file_error("is empty")
    if not rows:
        raise _file_error("has a header but no rows")
    return Table(header, rows, blank)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed into Excel become floats
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook  # imported here: only XLSX imports pay for it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _file_error(f"is not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise _file_error("the workbook has no sheet")
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        blank = 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if header is None:
                if not any(v not in (None, "") for v in values):
                    continue
                header = _header(list(values), number)
                continue
            if not any(v not in (None, "") for v in values):
                blank += 1  # openpyxl also reports formatted-but-empty rows
                continue
            rows.append((number, [_cell_text(v) for v in values]))
    finally:
        book.close()
    if header is None:
        raise _file_error("the first sheet is empty")
    if not rows:
        raise _file_error("has a header but no rows")
    return Table(header, rows, blank)
