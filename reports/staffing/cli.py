"""`centralita reports staffing ...`: forecast, week plan (and saving it), forecast accuracy, adherence,
CSV overrides, the Erlang calculator and a backtest of the forecast methods. JSON out with --json."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

import typer

from centralita.db import session_scope
from centralita.errors import FieldError, FieldErrors
from centralita.timeutil import utcnow
from reports.staffing import forecast as fc
from reports.staffing import service
from reports.staffing.schemas import ErlangParams, ForecastParams, PlanParams, parse

app = typer.Typer(help="Staffing: forecast, week plans by Erlang C/A, accuracy, adherence.", no_args_is_help=True)
overrides_app = typer.Typer(help="Forecast overrides for holidays and events (CSV).", no_args_is_help=True)
app.add_typer(overrides_app, name="overrides")


def _fail(exc: FieldError) -> NoReturn:
    lines = [i["msg"] for i in exc.items] if isinstance(exc, FieldErrors) else [f"{exc.field}: {exc.message}"]
    for line in lines:
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(2 if exc.status == 422 else 1)


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(FieldError(field, f"'{value}' is not a date (YYYY-MM-DD)"))


def _now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        _fail(FieldError("now", f"'{value}' is not an ISO 8601 time"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _print(data, as_json: bool, table=None) -> None:
    if as_json or table is None:
        typer.echo(json.dumps(data, indent=2, default=str))
    else:
        table(data)


QUEUE = typer.Option(..., "--queue", "-q", help="Queue name.")
METHOD = typer.Option("holt_winters", help="holt_winters | seasonal_average (the baseline)")
HISTORY = typer.Option(12, help="Weeks of history to learn from.")
JSON = typer.Option(False, "--json", help="Print JSON.")


@app.command("forecast")
def forecast_cmd(
    queue: str = QUEUE,
    since: str = typer.Option(..., help="First local day, YYYY-MM-DD."),
    until: str = typer.Option(..., help="Last local day (inclusive)."),
    method: str = METHOD,
    history_weeks: int = HISTORY,
    as_json: bool = JSON,
) -> None:
    """Offered calls per 15 minutes."""
    try:
        p = parse(ForecastParams, queue=queue, method=method, history_weeks=history_weeks)
        with session_scope() as session:
            out = service.forecast_out(session, p, _day(since, "since"), _day(until, "until"))
    except FieldError as exc:
        _fail(exc)

    def table(d):
        for day in d["days"]:
            typer.echo(f"{day['date']}  {day['total']:8.1f} calls")

    _print(out, as_json, table)


def _plan_params(**kw) -> PlanParams:
    return parse(PlanParams, **kw)


@app.command("plan")
def plan_cmd(
    queue: str = QUEUE,
    week_start: str = typer.Option(..., help="First local day of the week, YYYY-MM-DD."),
    target_sl: float = typer.Option(0.8, help="Service level to reach, 0..1."),
    threshold_s: float = typer.Option(20, help="Answered within this many seconds."),
    shrinkage: float = typer.Option(0.3, help="Share of paid time off the phones, 0 <= s < 1."),
    aht_s: float | None = typer.Option(None, help="Handle time, s (default: measured)."),
    patience_s: float | None = typer.Option(None, help="Mean patience, s (default: measured from abandons)."),
    model: str = typer.Option("erlang_a", help="erlang_a | erlang_c"),
    method: str = METHOD,
    history_weeks: int = HISTORY,
    save: bool = typer.Option(False, "--save", help="Save it as the week's plan (adherence compares to it)."),
    as_json: bool = JSON,
) -> None:
    """The week plan: agents needed per 15-minute interval and day."""
    try:
        p = _plan_params(
            queue=queue,
            week_start=_day(week_start, "week_start"),
            target_sl=target_sl,
            threshold_s=threshold_s,
            shrinkage=shrinkage,
            aht_s=aht_s,
            patience_s=patience_s,
            model=model,
            method=method,
            history_weeks=history_weeks,
        )
        with session_scope() as session:
            out = service.build_plan(session, p)
            if save:
                row = service.save_plan(session, p, now=utcnow())
                session.flush()
                out["saved_plan_id"] = row.id
    except FieldError as exc:
        _fail(exc)

    def table(d):
        typer.echo(
            f"{d['queue']} week {d['week_start']} ({d['timezone']}), AHT {d['aht_s']} s, patience "
            f"{d['patience_s']} s, {d['model']}, SL {d['target_sl']}/{d['threshold_s']} s, shrinkage {d['shrinkage']}"
        )
        for day in d["days"]:
            typer.echo(
                f"{day['date']}  {day['calls']:8.1f} calls  peak {day['peak_scheduled']:4d} agents  "
                f"{day['agent_hours']:7.2f} agent-hours"
            )

    _print(out, as_json, table)


@app.command("accuracy")
def accuracy_cmd(
    queue: str = QUEUE,
    since: str = typer.Option(..., help="First local day."),
    until: str = typer.Option(..., help="Last local day (inclusive)."),
    history_weeks: int = HISTORY,
    now: str | None = typer.Option(None, help="Compare up to this time (ISO 8601; default: now)."),
    as_json: bool = JSON,
) -> None:
    """Forecast vs actual (WAPE) of both methods."""
    try:
        p = parse(ForecastParams, queue=queue, history_weeks=history_weeks)
        with session_scope() as session:
            out = service.accuracy(session, p, _day(since, "since"), _day(until, "until"), _now(now))
    except FieldError as exc:
        _fail(exc)
    if not as_json:
        for d in out["days"]:
            d.pop("intervals")
    _print(out, True)


@app.command("adherence")
def adherence_cmd(
    queue: str = QUEUE,
    day: str = typer.Option(..., help="Local day."),
    now: str | None = typer.Option(None, help="ISO 8601; default: now."),
    as_json: bool = JSON,
) -> None:
    """Logged-in and ready agents against the saved plan, per 15-minute interval."""
    try:
        with session_scope() as session:
            out = service.adherence(session, queue, _day(day, "day"), _now(now))
    except FieldError as exc:
        _fail(exc)

    def table(d):
        typer.echo(f"{d['queue']} {d['date']}: adherence {d['adherence']} (plan {d['plan_id']})")
        for r in d["intervals"]:
            if r["planned"] or r["logged_in"]:
                typer.echo(f"{r['start']}  plan {r['planned']}  logged in {r['logged_in']}  ready {r['ready']}")

    _print(out, as_json, table)


@app.command("erlang")
def erlang_cmd(
    calls: float = typer.Option(..., help="Calls offered in the interval."),
    interval_s: float = typer.Option(900, help="Interval, seconds."),
    aht_s: float = typer.Option(180, help="Handle time, seconds."),
    target_sl: float = typer.Option(0.8),
    threshold_s: float = typer.Option(20),
    shrinkage: float = typer.Option(0.3),
    patience_s: float | None = typer.Option(None, help="Mean patience, s: adds Erlang A."),
    max_occupancy: float | None = typer.Option(None),
) -> None:
    """Agents for one interval (e.g. --calls 100 --interval-s 1800 --aht-s 180 → 14, 20 with 30 % shrinkage)."""
    try:
        p = parse(
            ErlangParams,
            calls=calls,
            interval_s=interval_s,
            aht_s=aht_s,
            target_sl=target_sl,
            threshold_s=threshold_s,
            shrinkage=shrinkage,
            patience_s=patience_s,
            max_occupancy=max_occupancy,
        )
    except FieldError as exc:
        _fail(exc)
    _print(service.calculator(p.calls, p.interval_s, p), True)


@app.command("backtest")
def backtest_cmd(
    queue: str | None = typer.Option(None, "--queue", "-q", help="A queue's real history (default: generated)."),
    until: str | None = typer.Option(None, help="With --queue: last local day of the history."),
    weeks: int = typer.Option(16, help="Weeks of history; the last `--test-weeks` are forecast in turn."),
    test_weeks: int = typer.Option(4, help="Weeks forecast, each from the weeks before it."),
    seed: int = typer.Option(20261201, help="Generated history: the random seed."),
    growth: float = typer.Option(0.015, help="Generated history: level growth per week."),
    calls_per_day: float = typer.Option(600, help="Generated history: calls on an average weekday."),
    as_json: bool = JSON,
) -> None:
    """WAPE of the forecast next to the seasonal-average baseline, rolling origin over the last weeks."""
    if not 1 <= test_weeks < weeks <= 208:
        _fail(FieldError("test_weeks", "need 1 <= test-weeks < weeks <= 208"))
    if queue:
        if not until:
            _fail(FieldError("until", "give the last day of the history with --queue"))
        last = _day(until, "until")
        first = last - timedelta(days=7 * weeks - 1)
        try:
            with session_scope() as session:
                service.check_queue(session, queue)
                table = service.history_table(session, queue, first, 7 * weeks, service.zone())
        except FieldError as exc:
            _fail(exc)
        source: dict = {"queue": queue, "first_day": first.isoformat(), "last_day": last.isoformat()}
    else:
        tz = ZoneInfo("America/Guayaquil")
        first = date(2026, 8, 3)
        hist = fc.generated_history(first, 7 * weeks, seed, tz, calls_per_day=calls_per_day, weekly_growth=growth)
        table = fc.daily_table(hist, [first + timedelta(days=i) for i in range(7 * weeks)], tz)
        source = {"generated": True, "seed": seed, "weekly_growth": growth, "calls_per_day": calls_per_day}
    out = {**source, "weeks": weeks, **fc.backtest(table, test_weeks)}
    _print(
        out,
        as_json,
        lambda d: typer.echo(
            f"WAPE holt_winters {d['holt_winters_wape']:.4f}  seasonal_average (baseline) {d['seasonal_average_wape']:.4f}"
        ),
    )


@overrides_app.command("import")
def overrides_import(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)) -> None:
    """Rows: date,queue,start,end,factor|calls,label. One bad row and nothing is stored."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        _fail(FieldError("file", "not UTF-8 text"))
    try:
        with session_scope() as session:
            rows = service.import_overrides(session, text, file.name)
            out = [service.override_out(o) for o in rows]
    except FieldError as exc:
        _fail(exc)
    typer.echo(f"{len(out)} overrides stored")


@overrides_app.command("list")
def overrides_list(queue: str | None = typer.Option(None, "--queue", "-q"), as_json: bool = JSON) -> None:
    with session_scope() as session:
        out = [service.override_out(o) for o in service.list_overrides(session, queue)]
    _print(out, True)


@overrides_app.command("delete")
def overrides_delete(override_id: int) -> None:
    try:
        with session_scope() as session:
            service.delete_override(session, override_id)
    except FieldError as exc:
        _fail(exc)
    typer.echo("deleted")
