"""`centralita reports ...`: the KPI query, drill-down, abandoned callers, live figures; `update` and
`rebuild` run the engine by hand (the API process runs `update` continuously)."""

from __future__ import annotations

import json
from typing import NoReturn

import typer

from centralita.db import session_scope
from centralita.errors import FieldError
from centralita.settings import get_settings
from centralita.timeutil import utcnow
from reports import incremental, service
from reports.schemas import parse_query

app = typer.Typer(help="Reports: KPIs (reports/KPIS.md), drill-down, abandoned callers, rebuild.", no_args_is_help=True)

QUEUE = typer.Option([], "--queue", "-q", help="Queue (repeat for several; none: all)")
SINCE = typer.Option(..., "--since", help="Start, ISO 8601 (UTC when no offset)")
UNTIL = typer.Option(..., "--until", help="End (exclusive), ISO 8601")


def _fail(exc: FieldError) -> NoReturn:
    typer.echo(f"error: {exc.field}: {exc.message}", err=True)
    raise typer.Exit(2 if exc.status == 422 else 1)


def _table(rows: list[dict], keys: list[str], columns: tuple[str, ...]) -> None:
    head = keys + list(columns)
    typer.echo("\t".join(head))
    for row in rows:
        typer.echo("\t".join("" if row.get(c) is None else str(row.get(c)) for c in head))


@app.command("kpi")
def kpi(
    queue: list[str] = QUEUE,
    since: str = SINCE,
    until: str = UNTIL,
    group_by: str = typer.Option(
        "queue",
        "--group-by",
        help="queue, agent, flow_version, did, campaign, hour, weekday, day, interval, week, month, none (comma list)",
    ),
    agent: str | None = typer.Option(None, "--agent"),
    did: str | None = typer.Option(None, "--did"),
    flow_version: str | None = typer.Option(None, "--flow-version"),
    campaign: str | None = typer.Option(None, "--campaign"),
    as_json: bool = typer.Option(False, "--json", help="The same rows as GET /api/reports/kpi"),
) -> None:
    """KPIs per group over a period (definitions: reports/KPIS.md)."""
    try:
        q = parse_query(
            queue=queue,
            since=since,
            until=until,
            group_by=group_by,
            agent=agent,
            did=did,
            flow_version=flow_version,
            campaign=campaign,
        )
        with session_scope() as session:
            rows = service.kpi(session, q)
    except FieldError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps({"rows": rows, "definitions": "reports/KPIS.md"}, indent=2))
        return
    _table(
        rows,
        q.groups,
        (
            "offered",
            "answered",
            "abandoned",
            "short_abandoned",
            "sl_answered",
            "asa_s",
            "aht_s",
            "abandon_rate",
            "occupancy",
            "csat",
        ),
    )


@app.command("calls")
def calls(
    queue: list[str] = QUEUE,
    since: str = SINCE,
    until: str = UNTIL,
    agent: str | None = typer.Option(None, "--agent"),
    limit: int = typer.Option(100, "--limit"),
    offset: int = typer.Option(0, "--offset"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The queue visits of a period (drill-down)."""
    try:
        q = parse_query(queue=queue, since=since, until=until, agent=agent)
        with session_scope() as session:
            rows = service.calls(session, q, limit, offset)
    except FieldError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps({"rows": rows}, indent=2))
        return
    _table(rows, [], ("entered_at", "queue", "caller", "outcome", "wait_s", "agent", "talk_s", "recording_id"))


@app.command("abandoned")
def abandoned(queue: list[str] = QUEUE, as_json: bool = typer.Option(False, "--json")) -> None:
    """Today's abandoned callers not called back since."""
    try:
        with session_scope() as session:
            rows = service.abandoned_today(session, queue, utcnow())
    except FieldError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps({"rows": rows}, indent=2))
        return
    _table(rows, [], ("abandoned_at", "queue", "caller", "wait_s", "callid"))


@app.command("live")
def live(queue: list[str] = QUEUE) -> None:
    """Today so far and the last 60 minutes per queue, as JSON (what the wallboard shows)."""
    try:
        with session_scope() as session:
            typer.echo(json.dumps(service.live(session, queue), indent=2))
    except FieldError as exc:
        _fail(exc)


@app.command("update")
def update() -> None:
    """Bring the report tables up to date with the raw records now (the API process does it continuously)."""
    with session_scope() as session:
        out = incremental.process_all(session, get_settings())
    typer.echo(f"{out.lines} queue_log lines, {out.cdrs} CDRs, {out.answers} survey answers; {out.intervals} intervals")


@app.command("rebuild")
def rebuild(since: str = SINCE, until: str = UNTIL) -> None:
    """Recompute the facts and 15-minute sums of a period from the raw records (e.g. after changing a
    queue's thresholds). The same result as the incremental path."""
    try:
        q = parse_query(since=since, until=until, group_by="none")
    except FieldError as exc:
        _fail(exc)
    with session_scope() as session:
        incremental.process_all(session, get_settings())  # nothing left behind the cursors first
        out = incremental.rebuild(session, q.since, q.until, get_settings())
    typer.echo(f"rebuilt {out.intervals} intervals of {', '.join(sorted(out.queues)) or 'no queue'}")


from reports.bi_cli import bi_user_app  # noqa: E402  (the BI helper's command, kept in its own file)

app.add_typer(bi_user_app, name="bi-user")
