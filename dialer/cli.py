"""`centralita dialer ...`: campaigns, contact lists (import with a progress bar), do-not-call, what-if."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import NoReturn

import typer

from centralita.db import saved_id, session_scope
from dialer import service
from dialer.errors import DialerError

app = typer.Typer(help="Outbound dialer: campaigns, contact lists, do-not-call, what-if.", no_args_is_help=True)
campaign_app = typer.Typer(help="Create, list, start, pause and stop campaigns.", no_args_is_help=True)
list_app = typer.Typer(help="Contact lists: create, import CSV/XLSX, show.", no_args_is_help=True)
dnc_app = typer.Typer(help="The do-not-call list.", no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")
app.add_typer(list_app, name="list")
app.add_typer(dnc_app, name="dnc")


def _fail(exc: DialerError) -> NoReturn:
    # Bad input is a usage error (2); a clash with stored data (exists, not found, wrong state) is 1.
    typer.echo(f"error: {exc.field}: {exc.message}", err=True)
    raise typer.Exit(2 if exc.status == 422 else 1)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            _fail(DialerError(option, f"{item!r}: expected key=value"))
        out[key.strip()] = value.strip()
    return out


def _window(value: str) -> dict:
    start, sep, end = value.partition("-")
    if not sep:
        _fail(DialerError("window", f"{value!r}: expected HH:MM-HH:MM"))
    return {"window_start": start.strip(), "window_end": end.strip()}


def _days(value: str) -> list[int]:
    try:
        return [int(d) for d in value.split(",") if d.strip()]
    except ValueError:
        _fail(DialerError("days", f"{value!r}: comma-separated weekdays, 0 (Monday) to 6"))


@campaign_app.command("create")
def campaign_create(
    name: str = typer.Argument(...),
    mode: str = typer.Option("predictive", help="preview | progressive | predictive | broadcast"),
    queue: str = typer.Option("", help="Queue whose agents take the calls."),
    caller_id: str = typer.Option("", help="Number shown to the called party."),
    abandon_target: float = typer.Option(0.03, help="Abandonment target (at most 0.03)."),
    max_attempts: int = typer.Option(3),
    retry: list[str] = typer.Option([], help="Retry delay per outcome, e.g. --retry busy=600 (seconds)."),
    days: str = typer.Option("0,1,2,3,4", help="Call days, 0 = Monday."),
    window: str = typer.Option("09:00-20:00", help="Call hours in the contact's time zone."),
    timezone: str = typer.Option("", help="Zone of contacts whose number pins none (default: the region's)."),
    priority: int = typer.Option(0),
    message: str = typer.Option("", help="Broadcast message (text or prompt name)."),
    agent_digit: str = typer.Option("", help="Broadcast: key that reaches an agent."),
) -> None:
    """Create a campaign (stopped)."""
    values = {
        "mode": mode,
        "queue_name": queue,
        "caller_id": caller_id,
        "abandon_target": abandon_target,
        "max_attempts": max_attempts,
        "window_days": _days(days),
        "priority": priority,
        "broadcast_message": message,
        "broadcast_agent_digit": agent_digit,
        **_window(window),
    }
    if retry:
        try:
            values["retry_delays"] = {k: int(v) for k, v in _pairs(retry, "retry").items()}
        except ValueError:
            _fail(DialerError("retry", "delays are whole seconds, e.g. busy=600"))
    if timezone:
        values["default_timezone"] = timezone
    try:
        with session_scope() as session:
            c = service.create_campaign(session, name, values, client="cli")
            typer.echo(f"created campaign {c.name} (id {c.id}, {c.mode}, {c.state})")
    except DialerError as exc:
        _fail(exc)


@campaign_app.command("list")
def campaign_list() -> None:
    """List campaigns."""
    with session_scope() as session:
        rows = service.list_campaigns(session)
        if not rows:
            typer.echo("no campaigns (create one with `centralita dialer campaign create NAME`)")
        for c in rows:
            typer.echo(
                f"{c.id:>4}  {c.name:<24} {c.mode:<12} {c.state:<8} queue={c.queue_name or '-'} "
                f"target={c.abandon_target:.3f} window={c.window_start}-{c.window_end}"
            )


def _state(name: str, action: str) -> None:
    try:
        with session_scope() as session:
            c = service.change_state(session, service.get_campaign(session, name), action, client="cli")
            typer.echo(f"campaign {c.name} is {c.state}")
    except DialerError as exc:
        _fail(exc)


@campaign_app.command("start")
def campaign_start(name: str = typer.Argument(...)) -> None:
    """Start (or resume) a campaign."""
    _state(name, "start")


@campaign_app.command("pause")
def campaign_pause(name: str = typer.Argument(...)) -> None:
    """Pause a running campaign."""
    _state(name, "pause")


@campaign_app.command("stop")
def campaign_stop(name: str = typer.Argument(...)) -> None:
    """Stop a campaign."""
    _state(name, "stop")


@list_app.command("create")
def list_create(
    name: str = typer.Argument(...),
    campaign: str = typer.Option("", help="Campaign that dials it."),
    region: str = typer.Option("", help="Default region of its numbers (e.g. HN); empty: the setting."),
) -> None:
    """Create a contact list."""
    try:
        with session_scope() as session:
            cl = service.create_list(session, name, campaign=campaign or None, region=region, client="cli")
            typer.echo(f"created list {cl.name} (id {cl.id})")
    except DialerError as exc:
        _fail(exc)


@list_app.command("show")
def list_show() -> None:
    """Lists with their contacts counted by status."""
    with session_scope() as session:
        rows = service.list_counts(session)
        if not rows:
            typer.echo("no contact lists")
        for cl, counts in rows:
            summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "empty"
            typer.echo(f"{cl.id:>4}  {cl.name:<24} campaign={cl.campaign_id or '-'}  {summary}")


@list_app.command("import")
def list_import(
    list_name: str = typer.Argument(..., metavar="LIST"),
    path: Path = typer.Argument(..., metavar="FILE", help="CSV or XLSX."),
    map_: list[str] = typer.Option([], "--map", help="target=column, e.g. --map phone=Teléfono --map monto=Deuda."),
    encoding: str = typer.Option("utf-8", help="CSV encoding, e.g. latin-1 or cp1252."),
    rejects: Path | None = typer.Option(None, help="Write every rejected row (row, reason, value) to this CSV."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Import contacts into a list; every rejected row is reported; a bad file changes nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from dialer.imports import import_table
    from dialer.readers import read_table

    mapping = _pairs(map_, "map") or None
    try:
        data = path.read_bytes()
    except OSError as exc:
        _fail(DialerError("file", f"cannot read {path} ({exc.strerror})"))
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    try:
        with Progress(*columns, transient=json_out, disable=json_out) as bar:
            task = bar.add_task(f"reading {path.name}", total=None)
            table = read_table(data, path.name, encoding)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            with session_scope() as session:
                report = import_table(
                    session,
                    service.get_list(session, list_name),
                    table,
                    path.name,
                    mapping,
                    client="cli",
                    progress=progress,
                )
    except DialerError as exc:
        _fail(exc)
    if rejects is not None:
        with rejects.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["row", "reason", "value"])
            writer.writeheader()
            writer.writerows(report.rejections)
    if json_out:
        typer.echo(
            json.dumps(
                {
                    "rows": report.rows,
                    "accepted": report.accepted,
                    "rejected": report.rejected,
                    "blank": report.blank,
                    "seconds": report.seconds,
                    "import_id": report.import_id,
                    "rejections": report.rejections,
                }
            )
        )
        return
    typer.echo(
        f"{report.rows} rows: {report.accepted} stored, {report.rejected} rejected, {report.blank} blank "
        f"({report.seconds:.2f} s)"
    )
    for r in report.rejections[:20]:
        typer.echo(f"  row {r['row']}: {r['reason']}" + (f" ({r['value']})" if r["value"] else ""))
    if report.rejected > 20:
        more = f"written to {rejects}" if rejects else "use --rejects FILE for the full list"
        typer.echo(f"  ... {report.rejected - 20} more, {more}")


@dnc_app.command("add")
def dnc_add(
    phone: str = typer.Argument(...),
    reason: str = typer.Option(""),
    region: str = typer.Option("", help="Region for a number without country code."),
) -> None:
    """Block a number for every campaign."""
    try:
        with session_scope() as session:
            entry = service.add_dnc(session, phone, reason, region=region, client="cli")
            typer.echo(f"{entry.phone} is on the do-not-call list")
    except DialerError as exc:
        _fail(exc)


@dnc_app.command("remove")
def dnc_remove(phone: str = typer.Argument(...), region: str = typer.Option("")) -> None:
    """Take a number off the do-not-call list."""
    try:
        with session_scope() as session:
            service.remove_dnc(session, phone, region=region, client="cli")
            typer.echo("removed")
    except DialerError as exc:
        _fail(exc)


@dnc_app.command("list")
def dnc_list(limit: int = typer.Option(100, min=1)) -> None:
    """Numbers on the do-not-call list."""
    with session_scope() as session:
        total, rows = service.list_dnc(session, limit=limit)
        for e in rows:
            typer.echo(f"{e.phone:<18} {e.reason}")
        typer.echo(f"{total} number(s)")


@app.command("simulate")
def simulate(
    campaign: str = typer.Argument(...),
    agents: int = typer.Option(20, min=1, max=500),
    hours: float = typer.Option(8.0, min=0.01, max=12.0),
    answer_prob: float | None = typer.Option(
        None, min=0.0, max=1.0, help="Default: the campaign's measured rate, else 0.30."
    ),
    talk_mean: float = typer.Option(180.0, min=0.1),
    talk_sd: float = typer.Option(90.0, min=0.0),
    wrapup: float = typer.Option(10.0, min=0.0),
    machine_share: float = typer.Option(0.0, min=0.0, max=1.0),
    seeds: int = typer.Option(3, min=1, max=10),
    policy: str | None = typer.Option(None, help="Compare another policy (default: the campaign mode's)."),
) -> None:
    """What-if: the campaign's pacing on the simulator. Prints JSON; dials nothing."""
    from dialer.whatif import WhatIf, run_whatif

    params = WhatIf(
        agents=agents,
        hours=hours,
        answer_prob=answer_prob,
        talk_mean=talk_mean,
        talk_sd=talk_sd,
        wrapup=wrapup,
        machine_share=machine_share,
        seeds=seeds,
        policy=policy,
    )
    try:
        with session_scope() as session:
            doc = run_whatif(session, service.get_campaign(session, campaign), params)
    except DialerError as exc:
        _fail(exc)
    typer.echo(json.dumps(doc))


def _date(value: str | None, field: str):
    from datetime import date

    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(DialerError(field, f"{value!r}: expected YYYY-MM-DD"))


@app.command("report")
def report(
    campaign: str = typer.Argument(...),
    csv_out: bool = typer.Option(False, "--csv", help="CSV (one line per day, then the total) instead of JSON."),
    since: str | None = typer.Option(None, help="First day, YYYY-MM-DD (campaign's time zone)."),
    until: str | None = typer.Option(None, help="Last day, YYYY-MM-DD."),
) -> None:
    """The campaign report per day: attempts, connects, right-party contacts, dispositions, abandonment."""
    from dialer.report import campaign_report, report_csv

    first, last = _date(since, "since"), _date(until, "until")
    try:
        with session_scope() as session:
            doc = campaign_report(session, service.get_campaign(session, campaign), first, last)
    except DialerError as exc:
        _fail(exc)
    typer.echo(report_csv(doc) if csv_out else json.dumps(doc), nl=not csv_out)


@app.command("stats")
def stats(campaign: str = typer.Argument(...)) -> None:
    """Abandonment (rolling and cumulative) and contacts left, from the database (JSON).
    Live figures (dial level, agents waiting) come from the API: GET /api/dialer/campaigns/{c}/stats."""
    from dialer.stats import campaign_stats

    try:
        with session_scope() as session:
            doc = campaign_stats(session, saved_id(service.get_campaign(session, campaign)))
    except DialerError as exc:
        _fail(exc)
    typer.echo(json.dumps(doc))
