"""Historical reports (/reports) and their drill-down to calls (/reports/calls), for supervisors.

The page calls the same service as GET /api/reports/kpi (reports.service.kpi with a reports.schemas
KpiQuery): a period in the center's time zone (whole days, `report_timezone`), a grouping, filters; a
table, a chart (web/static/reports.js with the vendored Chart.js), export links to the scheduled
helper's GET /api/reports/kpi/export, and from each row its calls with links to their recordings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.users.models import User
from centralita.db import get_session
from centralita.errors import FieldError
from queues import service as queues
from web.localtime import center_zone
from web.wallboard import require_supervisor_page

router = APIRouter(include_in_schema=False)

GROUPINGS = [
    ("queue", "Cola"),
    ("agent", "Agente"),
    ("flow_version", "Versión del flujo"),
    ("did", "Número marcado (DID)"),
    ("hour", "Hora del día"),
    ("weekday", "Día de la semana"),
    ("day", "Día"),
    ("campaign", "Campaña"),
]
FILTERS = [("agent", "Agente"), ("did", "DID"), ("flow_version", "Versión del flujo"), ("campaign", "Campaña")]
# Table columns (names of reports/KPIS.md) and how each is shown.
COLUMNS = [
    ("offered", "Ofrecidas", "count"),
    ("answered", "Atendidas", "count"),
    ("abandoned", "Abandonadas", "count"),
    ("short_abandoned", "Aband. cortos", "count"),
    ("sl_answered", "NS atendidas", "pct"),
    ("sl_offered", "NS ofrecidas", "pct"),
    ("sl_inclusive", "NS inclusivo", "pct"),
    ("asa_s", "ASA", "secs"),
    ("mean_wait_s", "Espera media", "secs"),
    ("max_wait_s", "Espera máx.", "secs"),
    ("aht_s", "TMO", "secs"),
    ("abandon_rate", "Tasa abandono", "pct"),
    ("occupancy", "Ocupación", "pct"),
    ("fcr", "Resolución 1.er contacto", "pct"),
    ("ivr_self_service", "Autoservicio IVR", "pct"),
    ("csat", "CSAT", "score"),
    ("nps", "NPS", "score"),
    ("callbacks_requested", "Rellamadas pedidas", "count"),
    ("callbacks_made", "Rellamadas hechas", "count"),
    ("transfers", "Transferencias", "count"),
]
WEEKDAYS = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
DRILL_LIMIT = 500


def fmt(value: object, kind: str) -> str:
    if value is None:
        return "—"
    if not isinstance(value, int | float):
        return str(value)
    if kind == "pct":
        return f"{100 * value:.1f} %"
    if kind == "secs":
        return f"{value:.0f} s" if value < 60 else f"{int(value) // 60}:{int(value) % 60:02d}"
    if kind == "score":
        return f"{value:.2f}"
    return f"{value:.0f}"


def key_label(key: str, value: object) -> str:
    if value is None or value == "":
        return "—"
    if key == "weekday" and isinstance(value, int) and 1 <= value <= 7:
        return WEEKDAYS[value - 1]  # reports/KPIS.md: ISO weekday, 1 = Monday
    if key == "hour" and isinstance(value, int):
        return f"{value:02d}:00"
    return str(value)


def _zone() -> ZoneInfo:
    return center_zone()  # the same zone every page shows its times in


def _day(value: str, field: str, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FieldError(field, "a date like 2026-11-30 is expected") from None


class Form:
    """The page's query string, read once: the period in whole local days, grouping, queues, filters."""

    def __init__(self, request: Request, today: date):
        p = request.query_params
        self.since_s, self.until_s = p.get("since", ""), p.get("until", "")
        self.group_by = p.get("group_by", "queue") or "queue"
        self.queue = p.getlist("queue")
        self.filters = {name: p.get(name, "") for name, _label in FILTERS}
        self.today = today

    def query(self):
        zone = _zone()
        since = _day(self.since_s, "since", self.today)
        until = _day(self.until_s, "until", since)
        from reports.schemas import KpiQuery

        return KpiQuery(
            queue=self.queue,
            since=datetime.combine(since, time(), zone),
            # the form's "until" is the last day shown, included
            until=datetime.combine(until + timedelta(days=1), time(), zone),
            group_by=self.group_by,
            **{k: v for k, v in self.filters.items() if v},
        )

    def params(self, **extra: object) -> list[tuple[str, str]]:
        out = [("since", self.since_s), ("until", self.until_s), ("group_by", self.group_by)]
        out += [("queue", q) for q in self.queue] + [(k, v) for k, v in self.filters.items() if v]
        out += [(k, str(v)) for k, v in extra.items() if v is not None and v != ""]
        return [(k, v) for k, v in out if v]


def _api_params(q) -> str:
    """The same query in the API's terms (UTC instants), for the export links."""
    pairs = [("since", q.since.isoformat()), ("until", q.until.isoformat()), ("group_by", q.group_by)]
    pairs += [("queue", name) for name in q.queue]
    pairs += [(k, getattr(q, k)) for k, _label in FILTERS if getattr(q, k, None)]
    return urlencode(pairs)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'query'}: {e['msg']}" for e in exc.errors())
    return str(exc)


def _common(request: Request, user: User, session: Session) -> dict:
    from web.routes import ROLE_LABELS, _csrf

    return {
        "user": user,
        "role_label": ROLE_LABELS.get(user.role, user.role),
        "csrf": _csrf(request),
        "queues": queues.list_queues(session),
        "groupings": GROUPINGS,
        "filters": FILTERS,
        "columns": COLUMNS,
        "fmt": fmt,
        "key_label": key_label,
    }


def _today() -> date:
    return datetime.now(_zone()).date()  # only the form's default period; queries get explicit dates


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request, user: User = Depends(require_supervisor_page), session: Session = Depends(get_session)
) -> Response:
    from web.routes import templates

    form = Form(request, _today())
    rows: list[dict] = []
    error, export, keys = "", "", [k for k in form.group_by.split(",") if k and k != "none"]
    try:
        q = form.query()
        from reports import service

        rows = service.kpi(session, q)
        export = _api_params(q)
    except (FieldError, ValidationError, ValueError) as exc:
        error = _error_text(exc)
    except ImportError:
        error = "El motor de informes no está instalado en este servidor."
    drill = [form.params(**{f"row_{k}": row.get(k) for k in keys}) for row in rows]
    chart = {
        "labels": [" · ".join(key_label(k, row.get(k)) for k in keys) or "total" for row in rows],
        # pairs, not a dict: tojson sorts a dict's keys, and the bars keep this order
        "series": [[name, [row.get(name) for row in rows]] for name in ("offered", "answered", "abandoned")],
        "sl": [row.get("sl_answered") for row in rows],
    }
    return templates.TemplateResponse(
        request,
        "reports.html",
        _common(request, user, session)
        | {
            "form": form,
            "since": form.since_s or form.today.isoformat(),
            "until": form.until_s or form.since_s or form.today.isoformat(),
            "rows": rows,
            "keys": keys,
            "drill": [urlencode(d) for d in drill],
            "chart": chart,
            "export": export,
            "error": error,
        },
    )


def _drill_matches(call: dict, keys: dict[str, str], zone: ZoneInfo) -> bool:
    """Groupings with no filter of their own (hour of day, weekday, day) are matched on entered_at."""
    entered = call.get("entered_at")
    if not keys or entered is None:
        return True
    when = datetime.fromisoformat(entered) if isinstance(entered, str) else entered
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    local = when.astimezone(zone)
    checks = {"hour": str(local.hour), "weekday": str(local.isoweekday()), "day": local.date().isoformat()}
    return all(checks[k] == v for k, v in keys.items() if k in checks)


@router.get("/reports/calls", response_class=HTMLResponse)
def report_calls_page(
    request: Request,
    offset: int = Query(0, ge=0),
    user: User = Depends(require_supervisor_page),
    session: Session = Depends(get_session),
) -> Response:
    from web.routes import templates

    form = Form(request, _today())
    row = {k.removeprefix("row_"): v for k, v in request.query_params.items() if k.startswith("row_")}
    back = urlencode(form.params())
    # A row's own keys narrow the query: a queue/agent/DID/flow version/campaign becomes a filter.
    if row.get("queue"):
        form.queue = [row["queue"]]
    for name, _label in FILTERS:
        if row.get(name):
            form.filters[name] = row[name]
    calls: list[dict] = []
    error = ""
    try:
        q = form.query()
        from reports import service

        calls = service.calls(session, q, DRILL_LIMIT, offset)
        calls = [c for c in calls if _drill_matches(c, row, _zone())]
    except (FieldError, ValidationError, ValueError) as exc:
        error = _error_text(exc)
    except ImportError:
        error = "El motor de informes no está instalado en este servidor."
    return templates.TemplateResponse(
        request,
        "report_calls.html",
        _common(request, user, session)
        | {
            "form": form,
            "row": row,
            "row_text": ", ".join(f"{k}: {key_label(k, int(v) if v.isdigit() else v)}" for k, v in row.items()),
            "calls": calls,
            "error": error,
            "back": back,
            "limit": DRILL_LIMIT,
            "next": urlencode(
                [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
                + [("offset", offset + DRILL_LIMIT)]
            ),
        },
    )
