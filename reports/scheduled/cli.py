"""`centralita reports scheduled ...`: schedules, their runs, a tick by hand (cron-like, or `--at` a past
instant to replay a due time), and a run's file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from pydantic import ValidationError

from centralita import db
from centralita.db import session_scope
from centralita.errors import FieldError
from centralita.settings import get_settings
from centralita.timeutil import utcnow
from reports.scheduled import periods, service
from reports.scheduled.runner import Runner
from reports.scheduled.schemas import ScheduleIn

app = typer.Typer(help="Scheduled reports: daily/weekly/monthly KPI reports by email.", no_args_is_help=True)


def _fail(exc: FieldError) -> typer.Exit:
    typer.echo(f"error: {exc.field}: {exc.message}", err=True)
    return typer.Exit(2 if exc.status == 422 else 1)


def _instant(value: str | None, name: str) -> datetime:
    if not value:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(FieldError(name, f"'{value}' is not an ISO 8601 instant (e.g. 2026-11-30T12:00:00Z)")) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command("add")
def add(
    name: str,
    owner: str = typer.Option(..., help="user name of a supervisor or admin"),
    to: list[str] = typer.Option(..., "--to", help="recipient address (repeat)"),
    frequency: str = typer.Option("daily", help="daily, weekly or monthly"),
    hour: int = typer.Option(7, help="local hour in CENTRALITA_REPORT_TIMEZONE"),
    minute: int = 0,
    weekday: int | None = typer.Option(None, help="weekly: 0 = Monday … 6 = Sunday"),
    day: int | None = typer.Option(None, help="monthly: day of the month (1..31)"),
    queue: list[str] = typer.Option([], "--queue", help="queue (repeat; none: all)"),
    group_by: str = "queue",
    fmt: list[str] = typer.Option(["xlsx", "pdf"], "--format", help="xlsx, pdf or csv (repeat)"),
    role: str = typer.Option("supervisor", help="audience: supervisor (shared) or admin"),
) -> None:
    """Create a schedule (audited)."""
    body = {"name": name, "frequency": frequency, "hour": hour, "minute": minute, "weekday": weekday}
    body |= {"day_of_month": day, "queues": queue, "group_by": group_by, "formats": fmt, "recipients": to}
    body |= {"owner": owner, "role": role}
    try:
        data = ScheduleIn(**body)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _fail(FieldError(str(err["loc"][0]), err["msg"])) from None
    try:
        with session_scope() as session:
            row = service.create_schedule(session, data, None, utcnow(), client="cli")
            session.flush()
            due = periods.next_due(row, utcnow(), periods.zone_of(get_settings()))
            typer.echo(f"schedule {row.name} (id {row.id}): next run {due:%Y-%m-%d %H:%M}Z")
    except FieldError as exc:
        raise _fail(exc) from None


@app.command("list")
def list_schedules() -> None:
    """Every schedule with its rule and next due time."""
    tz = periods.zone_of(get_settings())
    with session_scope() as session:
        rows = service.list_schedules(session, None)
        if not rows:
            typer.echo("no schedules")
        for r in rows:
            rule = {"weekly": f" weekday {r.weekday}", "monthly": f" day {r.day_of_month}"}.get(r.frequency, "")
            due = periods.next_due(r, utcnow(), tz)
            state = "" if r.enabled else "\t(disabled)"
            typer.echo(
                f"{r.id}\t{r.name}\t{r.frequency}{rule} {r.hour:02d}:{r.minute:02d} {tz.key}\t"
                f"next {due:%Y-%m-%d %H:%M}Z\t{','.join(r.formats)} → {', '.join(r.recipients)}{state}"
            )


@app.command("remove")
def remove(name: str) -> None:
    """Delete a schedule with its runs and files (audited)."""
    try:
        with session_scope() as session:
            typer.echo(f"deleted {service.delete_schedule(session, name, None, client='cli')}")
    except FieldError as exc:
        raise _fail(exc) from None


@app.command("tick")
def tick(
    at: str | None = typer.Option(None, help="act as if now were this instant (ISO 8601); default: now"),
    schedule: str | None = typer.Option(None, help="only this schedule (id or name)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run what is due (the latest missed period of each schedule, once) and retry failed runs."""
    now = _instant(at, "at")
    schedule_id = None
    if schedule:
        try:
            with session_scope() as session:
                schedule_id = service.get_schedule(session, schedule, None).id
        except FieldError as exc:
            raise _fail(exc) from None
    result = Runner(get_settings(), db.get_engine()).tick(now, schedule_id)
    if as_json:
        typer.echo(json.dumps({"started": result.started, "sent": result.sent, "failed": result.failed}))
    else:
        typer.echo(f"{len(result.started)} runs: {len(result.sent)} sent, {len(result.failed)} failed")
    if result.failed:
        raise typer.Exit(1)


@app.command("runs")
def runs(
    schedule: str | None = typer.Option(None, help="id or name"), limit: int = typer.Option(20, min=1, max=500)
) -> None:
    """Runs, newest period first: status, attempts, the error of a failed one, its files."""
    try:
        with session_scope() as session:
            for run, sched in service.list_runs(session, None, schedule, None, limit):
                names = ",".join(f.format for f in service.run_files(session, run.id or 0))
                typer.echo(
                    f"{run.id}\t{sched.name}\t{run.period_start:%Y-%m-%d %H:%M}Z\t{run.status}\t"
                    f"attempts {run.attempts}\t{names or '-'}\t{run.error}"
                )
    except FieldError as exc:
        raise _fail(exc) from None


@app.command("file")
def file(run_id: int, out: Path, fmt: str | None = typer.Option(None, "--format")) -> None:
    """Write a run's kept file (as emailed) to OUT."""
    try:
        with session_scope() as session:
            found = service.get_run_file(session, run_id, fmt, None)
            out.write_bytes(found.content)
            typer.echo(f"{out} ({found.size} bytes, {found.filename})")
    except FieldError as exc:
        raise _fail(exc) from None
