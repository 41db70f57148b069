"""/settings/calendars: shared holiday lists and business-hours calendars. Supervisors read; admins
save and delete through HTML forms (CSRF) that call the same service as /api/ivr/calendars and
/api/ivr/holidays (its checks and audit apply). A refused form comes back with the error on its field."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.deps import client_of, web_user
from api.users.models import Role, User
from centralita.db import get_session
from centralita.errors import FieldError
from ivr import calendars
from ivr.calendar_schemas import CalendarIn, HolidayListIn
from ivr.flowdef import WEEKDAYS
from web.settings.common import check_change, done, page, require_rank

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


def _pydantic_errors(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors():
        field, where = _form_field([str(p) for p in err["loc"]])
        out.setdefault(field, f"{err['msg']}{where}")
    return out


def _service_error(exc: FieldError) -> dict[str, str]:
    field, where = _form_field(exc.field.split("."))
    return {field: f"{exc.message}{where}"}


@router.post(f"{PAGE}/holidays")
def save_holiday_list(
    request: Request,
    name: str = Form("", max_length=64),
    description: str = Form("", max_length=200),
    holidays: str = Form("", max_length=80_000),
    csrf: str = Form("", max_length=200),
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    check_change(request, user, csrf)
    form = {"name": name, "description": description, "holidays": holidays, "errors": {}}
    lines = [line.strip() for line in holidays.splitlines() if line.strip()]
    try:
        body = HolidayListIn.model_validate({"description": description, "holidays": lines})
        calendars.put_holiday_list(session, name, body, user=user, client=client_of(request))
    except ValidationError as exc:
        form["errors"] = _pydantic_errors(exc)
    except FieldError as exc:
        session.rollback()
        form["errors"] = _service_error(exc)
    if form["errors"]:
        return _page(request, user, session, code=422, list_form=form)
    session.commit()
    return done(
        request, PAGE, f"Lista de feriados «{name}» guardada: se aplica a la próxima llamada de cada flujo que la usa."
    )


@router.post(f"{PAGE}/calendar")
def save_calendar(
    request: Request,
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
    csrf: str = Form("", max_length=200),
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    check_change(request, user, csrf)
    typed = [schedule_mon, schedule_tue, schedule_wed, schedule_thu, schedule_fri, schedule_sat, schedule_sun]
    schedule_text = dict(zip(WEEKDAYS, typed, strict=True))
    form: dict = {
        "name": name,
        "description": description,
        "timezone": timezone,
        "schedule": schedule_text,
        "holiday_lists": holiday_lists[:20],
        "errors": {},
    }
    schedule = {d: [r.strip() for r in v.split(",") if r.strip()] for d, v in schedule_text.items() if v.strip()}
    try:
        body = CalendarIn.model_validate(
            {"description": description, "timezone": timezone, "schedule": schedule, "holiday_lists": holiday_lists}
        )
        calendars.put_calendar(session, name, body, user=user, client=client_of(request))
    except ValidationError as exc:
        form["errors"] = _pydantic_errors(exc)
    except FieldError as exc:
        session.rollback()
        form["errors"] = _service_error(exc)
    if form["errors"]:
        return _page(request, user, session, code=422, calendar_form=form)
    session.commit()
    return done(request, PAGE, f"Calendario «{name}» guardado: los flujos que lo usan lo siguen sin volver a publicar.")


@router.post(f"{PAGE}/{{kind}}/{{name}}/delete")
def delete(
    request: Request,
    kind: str,
    name: str,
    csrf: str = Form("", max_length=200),
    user: User = Depends(web_user),
    session: Session = Depends(get_session),
) -> Response:
    check_change(request, user, csrf)
    remove = {"holidays": calendars.delete_holiday_list, "calendar": calendars.delete_calendar}.get(kind)
    if remove is None:
        raise HTTPException(404, "nothing of that kind")
    try:
        remove(session, name[:64], user=user, client=client_of(request))
    except FieldError as exc:
        session.rollback()
        return _page(request, user, session, code=exc.status, refusal=exc.message)
    session.commit()
    return done(request, PAGE, f"«{name[:64]}» eliminado.")
