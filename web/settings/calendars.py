"""/settings/calendars: shared holiday lists and business-hours calendars. Supervisors read; admins
save and delete through HTML forms (CSRF) that call the same service as /api/ivr/calendars and
/api/ivr/holidays (its checks and audit apply). A refused form comes back with the error on its field."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import web_user
from api.users.models import Role, User
from centralita.db import get_session
from centralita.errors import FieldError, FieldErrors
from ivr import calendars
from ivr.calendar_schemas import CalendarIn, HolidayListIn
from ivr.flowdef import WEEKDAYS
from web.settings.common import Posted, page, posted, require_rank, submit, validated

router = APIRouter(include_in_schema=False)
PAGE = "/settings/calendars"
DAY_NAMES = {"mon": "Lunes", "tue": "Martes", "wed": "Miércoles", "thu": "Jueves", "fri": "Viernes"}
DAY_NAMES |= {"sat": "Sábado", "sun": "Domingo"}


def _page(request: Request, user: User, session: Session, *, code: int = 200, **forms) -> Response:
    require_rank(user, Role.supervisor)
    context = {
        "lists": calendars.list_holiday_lists(session),
        "calendars": calendars.list_calendars(session),
        "days": [(d, DAY_NAMES[d]) for d in WEEKDAYS],
        "list_form": forms.get("list_form") or {"name": "", "description": "", "holidays": "", "errors": {}},
        "calendar_form": forms.get("calendar_form") or _calendar_form(None),
        "refusal": forms.get("refusal", ""),
    }
    return page(request, user, "settings_calendars.html", context, code)


def _calendar_form(row) -> dict:
    return {
        "name": row.name if row else "",
        "description": row.description if row else "",
        "timezone": row.timezone if row else "America/Panama",
        "schedule": {d: ", ".join(row.schedule.get(d, [])) if row else "" for d in WEEKDAYS},
        "holiday_lists": list(row.holiday_lists) if row else [],
        "errors": {},
    }


@router.get(PAGE, response_class=HTMLResponse)
def calendars_page(
    request: Request,
    edit_list: str = "",
    edit_calendar: str = "",
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    require_rank(user, Role.supervisor)
    forms: dict = {}
    if edit_list and (row := next((r for r in calendars.list_holiday_lists(session) if r.name == edit_list), None)):
        lines = "\n".join(f"{d['date']} {d['name']}".strip() for d in row.days)
        forms["list_form"] = {"name": row.name, "description": row.description, "holidays": lines, "errors": {}}
    if edit_calendar and (cal := next((c for c in calendars.list_calendars(session) if c.name == edit_calendar), None)):
        forms["calendar_form"] = _calendar_form(cal)
    return _page(request, user, session, **forms)


def _form_field(loc: list[str]) -> tuple[str, str]:
    """The form field a problem belongs to, and what to add to its message: a holiday's line number,
    a day's own schedule box, the holiday-list checkboxes as one field."""
    if not loc:
        return "name", ""
    if loc[0] == "holidays" and len(loc) > 1 and loc[1].isdigit():
        return "holidays", f" (línea {int(loc[1]) + 1})"
    if loc[0] == "schedule" and len(loc) > 1:
        return f"schedule_{loc[1]}", ""
    return loc[0], ""


def _errors(exc: FieldError) -> dict[str, str]:
    items = exc.items if isinstance(exc, FieldErrors) else [{"loc": exc.field.split("."), "msg": exc.message}]
    out: dict[str, str] = {}
    for item in items:
        field, where = _form_field([str(part) for part in item["loc"]])
        out.setdefault(field, f"{item['msg']}{where}")
    return out


@router.post(f"{PAGE}/holidays")
def save_holiday_list(
    name: str = Form("", max_length=64),
    description: str = Form("", max_length=200),
    holidays: str = Form("", max_length=80_000),
    p: Posted = Depends(posted),
) -> Response:
    form = {"name": name, "description": description, "holidays": holidays}
    lines = [line.strip() for line in holidays.splitlines() if line.strip()]

    def change() -> str:
        body = validated(HolidayListIn, {"description": description, "holidays": lines})
        calendars.put_holiday_list(p.session, name, body, user=p.user, client=p.client)
        return f"Lista de feriados «{name}» guardada: se aplica a la próxima llamada de cada flujo que la usa."

    def refused(exc: FieldError) -> Response:
        return p.page(_page)(code=422, list_form=form | {"errors": _errors(exc)})

    return submit(p, change, refused, url=PAGE)


@router.post(f"{PAGE}/calendar")
def save_calendar(
    name: str = Form("", max_length=64),
    description: str = Form("", max_length=200),
    timezone: str = Form("", max_length=64),
    schedule_mon: str = Form("", max_length=200),
    schedule_tue: str = Form("", max_length=200),
    schedule_wed: str = Form("", max_length=200),
    schedule_thu: str = Form("", max_length=200),
    schedule_fri: str = Form("", max_length=200),
    schedule_sat: str = Form("", max_length=200),
    schedule_sun: str = Form("", max_length=200),
    holiday_lists: list[str] = Form([]),
    p: Posted = Depends(posted),
) -> Response:
    typed = [schedule_mon, schedule_tue, schedule_wed, schedule_thu, schedule_fri, schedule_sat, schedule_sun]
    schedule_text = dict(zip(WEEKDAYS, typed, strict=True))
    form: dict = {
        "name": name,
        "description": description,
        "timezone": timezone,
        "schedule": schedule_text,
        "holiday_lists": holiday_lists[:20],
    }
    schedule = {d: [r.strip() for r in v.split(",") if r.strip()] for d, v in schedule_text.items() if v.strip()}

    def change() -> str:
        data = {"description": description, "timezone": timezone, "schedule": schedule, "holiday_lists": holiday_lists}
        calendars.put_calendar(p.session, name, validated(CalendarIn, data), user=p.user, client=p.client)
        return f"Calendario «{name}» guardado: los flujos que lo usan lo siguen sin volver a publicar."

    def refused(exc: FieldError) -> Response:
        return p.page(_page)(code=422, calendar_form=form | {"errors": _errors(exc)})

    return submit(p, change, refused, url=PAGE)


@router.post(f"{PAGE}/{{kind}}/{{name}}/delete")
def delete(kind: str, name: str, p: Posted = Depends(posted)) -> Response:
    def change() -> str:
        remove = {"holidays": calendars.delete_holiday_list, "calendar": calendars.delete_calendar}.get(kind)
        if remove is None:
            raise HTTPException(404, "nothing of that kind")
        remove(p.session, name[:64], user=p.user, client=p.client)
        return f"«{name[:64]}» eliminado."

    def refused(exc: FieldError) -> Response:
        return p.page(_page)(code=exc.status, refusal=exc.message)

    return submit(p, change, refused, url=PAGE)
