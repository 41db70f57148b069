"""`centralita ivr holidays ...` and `centralita ivr calendar ...`: shared holiday lists and business
hours, as the API does them; `set NAME --file F.yaml` imports (creates or replaces) one."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ivr.cli import _errors, _fail, _session

holidays_app = typer.Typer(help="Shared holiday lists (dates closed all day).", no_args_is_help=True)
calendar_app = typer.Typer(help="Shared business-hours calendars.", no_args_is_help=True)
FILE = typer.Option(..., "--file", help="YAML (or JSON) file")


def _read(path: Path, model):
    """The file as `model`, or one line per problem naming the field (exit code 2)."""
    import yaml
    from pydantic import ValidationError

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        _fail(f"{path}: cannot read ({exc})")
    if isinstance(data, list) and "holidays" in model.model_fields:
        data = {"holidays": data}  # a bare list of dates is a holiday list
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors()[:20]:
            typer.echo(f"invalid: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}", err=True)
        raise typer.Exit(2) from None


def _print(data: dict) -> None:
    typer.echo(json.dumps(data, default=str, ensure_ascii=False, indent=2))


@holidays_app.command("list")
def holidays_list() -> None:
    from ivr import calendars

    with _session() as session:
        for row in calendars.list_holiday_lists(session):
            typer.echo(f"{row.name}\t{len(row.days)} dates\t{row.description}")


@holidays_app.command("show")
def holidays_show(name: str) -> None:
    from ivr import calendars

    with _session() as session, _errors():
        row = calendars.get_holiday_list(session, name)
        for day in row.days:
            typer.echo(f"{day['date']}\t{day['name']}")


@holidays_app.command("set")
def holidays_set(name: str, file: Path = FILE) -> None:
    """Create or replace NAME from FILE: a list of `YYYY-MM-DD name` lines (or {date, name}), or a
    mapping with `holidays:` and `description:`. Applies to every flow without republishing."""
    from ivr import calendars
    from ivr.calendar_schemas import HolidayListIn

    body = _read(file, HolidayListIn)
    with _session() as session, _errors():
        row = calendars.put_holiday_list(session, name, body)
        session.commit()
        typer.echo(f"holiday list {name}: {len(row.days)} dates")


@holidays_app.command("delete")
def holidays_delete(name: str) -> None:
    from ivr import calendars

    with _session() as session, _errors():
        calendars.delete_holiday_list(session, name)
        session.commit()
    typer.echo(f"holiday list {name} deleted")


@calendar_app.command("list")
def calendar_list() -> None:
    from ivr import calendars

    with _session() as session:
        for row in calendars.list_calendars(session):
            typer.echo(f"{row.name}\t{row.timezone}\t{', '.join(row.holiday_lists) or '-'}\t{row.description}")


@calendar_app.command("show")
def calendar_show(name: str) -> None:
    from ivr import calendars

    with _session() as session, _errors():
        _print(calendars.calendar_out(calendars.get_calendar(session, name)))


@calendar_app.command("set")
def calendar_set(name: str, file: Path = FILE) -> None:
    """Create or replace NAME from FILE: timezone, schedule (mon..sun → ['08:00-16:00']), holiday_lists."""
    from ivr import calendars
    from ivr.calendar_schemas import CalendarIn

    body = _read(file, CalendarIn)
    with _session() as session, _errors():
        row = calendars.put_calendar(session, name, body)
        session.commit()
        typer.echo(f"calendar {name}: {row.timezone}, holidays from {', '.join(row.holiday_lists) or 'no list'}")


@calendar_app.command("delete")
def calendar_delete(name: str) -> None:
    from ivr import calendars

    with _session() as session, _errors():
        calendars.delete_calendar(session, name)
        session.commit()
    typer.echo(f"calendar {name} deleted")
