"""KPI rows (reports.service.kpi) → CSV, XLSX or PDF bytes: a title, the period, the grouping and one table
with the Spanish headers of labels.py. Used by scheduled runs and by GET /api/reports/kpi/export.

CSV is the table alone (header + rows, dot decimals, ratios 0..1) so it stays machine-readable; XLSX
keeps numbers as numbers with a cell format (Excel shows them in the reader's locale); PDF is for
reading: Spanish number formatting, landscape when the table is wide, and a wide table split into
column blocks that each repeat the grouping keys.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from reports.scheduled.labels import (
    GROUP_LABELS,
    KPI_LABELS,
    PAUSE_PREFIX,
    WEEKDAYS,
    grouping_label,
    header,
    kind,
)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS: dict[str, str] = {"xlsx": XLSX_MIME, "pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}
_DECIMALS = {"ratio": 4, "seconds": 1, "score": 2}


@dataclass(frozen=True)
class ReportMeta:
    title: str
    since: datetime
    until: datetime
    tz: ZoneInfo
    group_by: str = "queue"
    queues: list[str] = field(default_factory=list)
    generated_at: datetime | None = None

    def period_text(self) -> str:
        a, b = self.since.astimezone(self.tz), self.until.astimezone(self.tz)
        return f"{a:%d/%m/%Y %H:%M} – {b:%d/%m/%Y %H:%M} ({self.tz.key})"

    def lines(self) -> list[str]:
        out = [f"Periodo: {self.period_text()}", f"Agrupación: {grouping_label(self.group_by)}"]
        out.append(f"Colas: {', '.join(self.queues) if self.queues else 'todas'}")
        if self.generated_at is not None:
            out.append(f"Generado: {self.generated_at.astimezone(self.tz):%d/%m/%Y %H:%M}")
        return out


def columns(rows: list[dict], group_by: str) -> list[str]:
    """Grouping keys (in the query's order), then KPIs in KPIS.md order, pauses by reason, then any name
    the label table does not know yet (kept, so a KPI the engine adds is never dropped silently)."""
    present: set[str] = set()
    reasons: set[str] = set()
    for row in rows:
        present |= row.keys()
        reasons |= set((row.get("paused_by_reason") or {}).keys())
    keys = [k.strip() for k in group_by.split(",") if k.strip() in GROUP_LABELS and k.strip() in present]
    kpis = [k for k in KPI_LABELS if k in present]
    pauses = [PAUSE_PREFIX + r for r in sorted(reasons)]
    known = {*keys, *kpis, "paused_by_reason"}
    extra = [k for k in sorted(present) if k not in known and k not in GROUP_LABELS]
    return keys + kpis + pauses + extra


def cell(row: dict, name: str):
    if name.startswith(PAUSE_PREFIX):
        return (row.get("paused_by_reason") or {}).get(name[len(PAUSE_PREFIX) :])
    return row.get(name)


def key_text(name: str, value, tz: ZoneInfo) -> str:
    """A grouping key as people read it: weekday names, hours as 09:00, instants in the center's zone."""
    if value is None:
        return ""
    if name == "weekday" and isinstance(value, int) and 1 <= value <= 7:  # the engine's ISO weekday
        return WEEKDAYS[value - 1]
    if name == "hour" and isinstance(value, int):
        return f"{value:02d}:00"
    if isinstance(value, datetime):
        return f"{value.astimezone(tz):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def plain(name: str, value):
    """The CSV value: numbers rounded for their kind, null as empty."""
    if value is None:
        return ""
    if not _is_number(value):
        return value if isinstance(value, str) else str(value)
    k = kind(name)
    if k == "count":
        return int(value)
    return round(float(value), _DECIMALS.get(k, 4))


def spanish(name: str, value) -> str:
    """The PDF value: 1.234 · 85,3 % · 12,5 (Spanish separators); null as an en dash."""
    if value is None:
        return "–"
    if not _is_number(value):
        return str(value)
    k = kind(name)
    if k == "ratio":
        text = f"{float(value) * 100:,.1f} %"
    elif k == "count":
        text = f"{int(value):,d}"
    elif k == "score":
        text = f"{float(value):,.2f}"
    else:
        text = f"{float(value):,.1f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def to_csv(rows: list[dict], meta: ReportMeta) -> bytes:
    cols = columns(rows, meta.group_by)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header(c) for c in cols])
    for row in rows:
        writer.writerow(
            [key_text(c, row.get(c), meta.tz) if c in GROUP_LABELS else plain(c, cell(row, c)) for c in cols]
        )
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read the accents as UTF-8


def to_xlsx(rows: list[dict], meta: ReportMeta) -> bytes:
    import xlsxwriter

    cols = columns(rows, meta.group_by)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": meta.title, "subject": meta.period_text()})
    sheet = book.add_worksheet("KPI")
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
    formats = {
        "count": book.add_format({"num_format": "#,##0"}),
        "ratio": book.add_format({"num_format": "0.0%"}),
        "seconds": book.add_format({"num_format": "#,##0.0"}),
        "score": book.add_format({"num_format": "0.00"}),
    }
    sheet.write(0, 0, meta.title, book.add_format({"bold": True, "font_size": 14}))
    for i, line in enumerate(meta.lines(), start=1):
        sheet.write(i, 0, line)
    top = len(meta.lines()) + 2
    for j, name in enumerate(cols):
        sheet.write(top, j, header(name), head)
        sheet.set_column(j, j, 18 if name in GROUP_LABELS else 13)
    for i, row in enumerate(rows, start=top + 1):
        for j, name in enumerate(cols):
            if name in GROUP_LABELS:
                sheet.write_string(i, j, key_text(name, row.get(name), meta.tz), bold)
                continue
            value = cell(row, name)
            if value is None:
                sheet.write_blank(i, j, None)
            elif _is_number(value):
                sheet.write_number(i, j, value, formats.get(kind(name)) or formats["seconds"])
            else:
                sheet.write_string(i, j, str(value))
    sheet.freeze_panes(top + 1, sum(1 for c in cols if c in GROUP_LABELS))
    if cols:
        sheet.autofilter(top, 0, top + len(rows), len(cols) - 1)
    book.close()
    return buffer.getvalue()


def to_pdf(rows: list[dict], meta: ReportMeta) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    cols = columns(rows, meta.group_by)
    keys = [c for c in cols if c in GROUP_LABELS]
    values = [c for c in cols if c not in GROUP_LABELS]
    key_width, value_width = 30 * mm, 21 * mm
    wide = len(keys) * key_width + len(values) * value_width > A4[0] - 20 * mm
    page = landscape(A4) if wide else A4
    usable = page[0] - 20 * mm
    per_block = max(1, int((usable - len(keys) * key_width) // value_width))
    styles = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=styles["Normal"], fontSize=7, leading=8)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=meta.title,
        subject=meta.period_text(),
        creator="Centralita",
    )
    story: list = [Paragraph(_escape(meta.title), styles["Title"])]
    story += [Paragraph(_escape(line), styles["Normal"]) for line in meta.lines()]
    story.append(Spacer(1, 4 * mm))
    if not rows:
        story.append(Paragraph("Sin datos en este periodo.", styles["Normal"]))
    blocks = [values[i : i + per_block] for i in range(0, len(values), per_block)] or [[]]
    for block in blocks if rows else []:
        shown = keys + block
        data = [[Paragraph(_escape(header(c)), small) for c in shown]]
        for row in rows:
            data.append(
                [key_text(c, row.get(c), meta.tz) if c in GROUP_LABELS else spanish(c, cell(row, c)) for c in shown]
            )
        table = Table(data, colWidths=[key_width] * len(keys) + [value_width] * len(block), repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTSIZE", (0, 1), (-1, -1), 7),
                    ("ALIGN", (len(keys), 1), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f0f3f7")]),
                ]
            )
        )
        story += [table, Spacer(1, 5 * mm)]
    doc.build(story)
    return buffer.getvalue()


def _escape(text: str) -> str:
    # Paragraph reads a small XML markup: a queue called "a&b" must not break the page.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


RENDERERS = {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}


def render(fmt: str, rows: list[dict], meta: ReportMeta) -> bytes:
    return RENDERERS[fmt](rows, meta)


def filename(stem: str, meta: ReportMeta, fmt: str) -> str:
    """e.g. informe-diario_2026-11-30.xlsx (the period's first local day); ASCII only, so the name needs
    no encoding in a Content-Disposition header or a mail client."""
    ascii_stem = unicodedata.normalize("NFKD", stem.lower()).encode("ascii", "ignore").decode()
    safe = re.sub(r"[^a-z0-9_]+", "-", ascii_stem).strip("-") or "informe"
    start = meta.since.astimezone(meta.tz)
    return f"{safe}_{start:%Y-%m-%d}.{fmt}"
