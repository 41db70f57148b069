"""`centralita bench ...`: performance figures as JSON (never timed assertions in tests)."""

import typer

bench_app = typer.Typer(help="Benchmarks that print JSON.", no_args_is_help=True)


@bench_app.command("dialer")
def dialer(
    json_out: bool = typer.Option(False, "--json", help="Print the JSON document only."),
    agents: int = typer.Option(20, min=1),
    hours: float = typer.Option(8.0, min=0.01),
    answer_prob: float = typer.Option(0.30, min=0.0, max=1.0),
    ring_min: float = typer.Option(5.0, min=0.0),
    ring_max: float = typer.Option(25.0, min=0.0),
    no_answer_after: float = typer.Option(25.0, min=0.1),
    talk_mean: float = typer.Option(180.0, min=0.1),
    talk_sd: float = typer.Option(90.0, min=0.0),
    wrapup: float = typer.Option(10.0, min=0.0),
    machine_share: float = typer.Option(0.0, min=0.0, max=1.0),
    trunk_lines: int = typer.Option(0, min=0, help="Trunk channels; 0 = unlimited."),
    min_ring: float = typer.Option(15.0, min=0.0, help="Seconds a call must ring before the dialer may hang it up."),
    seeds: int = typer.Option(20, min=1),
    target: float = typer.Option(0.03, min=0.0, max=1.0, help="Abandonment target."),
    workers: int = typer.Option(0, min=0, help="Worker processes; 0 = one per core."),
) -> None:
    """Simulate every pacing policy on the same seeds; occupancy and abandonment per policy."""
    import json
    import sys

    # Imported here so the CLI starts fast.
    from dialer.bench import run_bench
    from dialer.simulator import Scenario

    try:
        scenario = Scenario(
            agents=agents,
            hours=hours,
            answer_prob=answer_prob,
            ring_min=ring_min,
            ring_max=ring_max,
            no_answer_after=no_answer_after,
            talk_mean=talk_mean,
            talk_sd=talk_sd,
            wrapup=wrapup,
            machine_share=machine_share,
            trunk_lines=trunk_lines or None,
            min_ring=min_ring,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    chatty = not json_out and sys.stderr.isatty()
    progress = (lambda msg: print(f"running {msg}", file=sys.stderr)) if chatty else None
    doc = run_bench(scenario, seeds=seeds, target=target, workers=workers, progress=progress)
    if json_out:
        typer.echo(json.dumps(doc))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"dialer pacing, {agents} agents × {hours} h, {seeds} seeds")
    columns = [
        "occupancy_mean",
        "occupancy_min",
        "abandon_mean",
        "abandon_max",
        "calls_per_agent_hour",
        "talk_share_mean",
    ]
    table.add_column("policy")
    for col in columns:
        table.add_column(col, justify="right")
    for name, figures in doc["policies"].items():
        table.add_row(name, *(str(figures[c]) for c in columns))
    Console().print(table)
    Console().print(f"tuned baselines: {doc['scenario']['tuned']}")


@bench_app.command("import")
def import_(
    json_out: bool = typer.Option(False, "--json", help="Print the JSON document only."),
    rows: int = typer.Option(100_000, min=1),
    bad_share: float = typer.Option(0.05, min=0.0, max=1.0, help="Share of rows with bad numbers."),
    database_url: str = typer.Option("", help="Database to import into; empty: a temporary SQLite file."),
) -> None:
    """Import a generated CSV (bad numbers included) into a contact list; rows per second end to end."""
    import json

    from dialer.bench_import import run_import_bench

    doc = run_import_bench(rows, bad_share, database_url)
    typer.echo(json.dumps(doc) if json_out else json.dumps(doc, indent=2))


@bench_app.command("events")
def events(
    json_out: bool = typer.Option(False, "--json", help="Print the JSON document only."),
    rate: int = typer.Option(200, min=1, max=5000, help="AMI events per second."),
    seconds: float = typer.Option(10.0, min=1.0, max=600.0),
) -> None:
    """Latency from an AMI event to an /api/events websocket client (needs the running stack)."""
    import asyncio
    import json

    from centralita.settings import get_settings
    from queues.bench import run

    try:
        doc = asyncio.run(run(get_settings(), rate, seconds))
    except (ConnectionError, OSError) as exc:
        typer.echo(f"error: stack not reachable ({exc}); start it with `centralita up -d`", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(doc) if json_out else json.dumps(doc, indent=2))


@bench_app.command("ivr")
def ivr(
    json_out: bool = typer.Option(False, "--json", help="Print the JSON document only."),
    calls: int = typer.Option(200, min=1, max=2000, help="Calls per way (FastAGI, process AGI, dialplan)."),
    rate: float = typer.Option(20.0, min=0.1, max=200.0, help="New calls per second."),
) -> None:
    """The same IVR flow with a lookup step through FastAGI, a process-per-call AGI and pure dialplan,
    with real sipp calls against an Asterisk of its own."""
    import json
    import sys

    from ivr.bench import run_bench

    chatty = not json_out
    doc = run_bench(
        calls=calls, rate=rate, progress=(lambda msg: print(f"running {msg}", file=sys.stderr)) if chatty else None
    )
    typer.echo(json.dumps(doc) if json_out else json.dumps(doc, indent=2))


@bench_app.command("transcribe")
def transcribe(
    json_out: bool = typer.Option(False, "--json", help="Print the JSON document only."),
    calls: int = typer.Option(4, min=2, max=100, help="Synthetic calls to process."),
    turns: int = typer.Option(24, min=1, max=400, help="Speaker turns per call (about 2.3 s each)."),
    rounds: int = typer.Option(2, min=1, max=10, help="Alternating raw/pipeline rounds (machine drift hits both)."),
) -> None:
    """Recorder: raw Vosk vs the offline pipeline (transcribe, analyse, encode, verify), 1 vs 2 workers,
    memory per worker, Opus archive ratio and encode speed, on synthetic calls and the configured model."""
    import json
    import sys

    from recorder.bench import run_bench
    from recorder.vosk_models import ModelError

    chatty = not json_out
    try:
        doc = run_bench(
            calls=calls,
            turns=turns,
            rounds=rounds,
            progress=(lambda msg: print(f"running {msg}", file=sys.stderr)) if chatty else None,
        )
    except ModelError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(doc) if json_out else json.dumps(doc, indent=2))


@bench_app.command("soak")
def soak(
    json_out: bool = typer.Option(False, "--json", help="Print the JSON document only."),
    minutes: float = typer.Option(20.0, min=0.05, max=240.0, help="Traffic time at the derived rate."),
    calls: int | None = typer.Option(None, min=3, max=100000, help="Calls in all, instead of --minutes."),
    port_base: int = typer.Option(32000, min=1024, max=60000, help="First of the ~600 loopback ports it binds."),
    agents: int = typer.Option(5, min=1, max=9, help="sipp agents answering the inbound queue."),
    dialer_agents: int = typer.Option(2, min=1, max=4, help="sipp agents of the campaign's queue."),
    keep: bool = typer.Option(False, help="Keep the soak's data directory (logs, database) afterwards."),
    drain: float | None = typer.Option(
        None,
        min=10,
        max=7200,
        help="Seconds to wait for the recorder's backlog after the traffic (default: "
        "half the traffic time, at least 300).",
    ),
) -> None:
    """Mixed traffic (IVR lookups, queues with sipp agents, a progressive campaign, every call recorded)
    at ten times the busiest seed's peak hour, on a stack of its own; then the account of every call,
    memory and open files of the API and the recorder worker, and the event stream's latency.
    Exit 0 when every check holds, 1 otherwise."""
    import json
    import sys

    from centralita.soak.run import run_soak

    doc = run_soak(
        minutes=minutes,
        calls=calls,
        port_base=port_base,
        agents=agents,
        dialer_agents=dialer_agents,
        keep=keep,
        drain_seconds=drain,
        progress=lambda msg: print(f"soak: {msg}", file=sys.stderr),
    )
    typer.echo(json.dumps(doc) if json_out else json.dumps(doc, indent=2))
    raise typer.Exit(0 if doc["ok"] else 1)


@bench_app.command("reports")
def reports_bench(
    json_out: bool = typer.Option(False, "--json", help="Print the JSON document only."),
    calls: int = typer.Option(1_000_000, min=100, max=20_000_000, help="Generated calls (90 days, 20 queues)."),
    backend: list[str] = typer.Option(["sqlite", "postgresql"], help="sqlite and/or postgresql."),
    postgres_url: str = typer.Option("", help="A PostgreSQL server to use; empty: a temporary cluster."),
    repeats: int = typer.Option(20, min=1, max=1000, help="Draws of each standard query."),
    incremental: int = typer.Option(50, min=1, max=10_000, help="Finished calls fed to the incremental path."),
    seed: int = typer.Option(1),
    days: int = typer.Option(90, min=1, max=400),
    queues: int = typer.Option(20, min=1, max=500),
    agents: int = typer.Option(100, min=1, max=5000),
) -> None:
    """KPI queries through reports.service.kpi() on N generated calls, against the raw records."""
    import json

    from reports.bench import run_bench

    unknown = [b for b in backend if b not in ("sqlite", "postgresql")]
    if unknown:
        raise typer.BadParameter(f"unknown backend {unknown[0]!r}: sqlite or postgresql", param_hint="--backend")
    doc = run_bench(
        calls,
        tuple(backend),
        days=days,
        queues=queues,
        agents=agents,
        repeats=repeats,
        incremental=incremental,
        seed=seed,
        postgres_url=postgres_url or None,
    )
    typer.echo(json.dumps(doc) if json_out else json.dumps(doc, indent=2))


@bench_app.command("wallboard")
def wallboard(
    json_out: bool = typer.Option(False, "--json", help="Print the JSON document only."),
    events: int = typer.Option(100, min=1, max=10000, help="reports.kpi events to publish."),
    rate: float = typer.Option(10.0, min=0.1, max=1000.0, help="Events per second."),
) -> None:
    """Event → screen latency of /wallboard in Chromium (needs the running stack and /usr/bin/chromium)."""
    import json

    from centralita.settings import get_settings
    from web.bench_wallboard import run

    try:
        doc = run(get_settings(), events, rate)
    except (ConnectionError, OSError, RuntimeError) as exc:
        typer.echo(f"error: {exc}; start the stack with `centralita up -d`", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(doc) if json_out else json.dumps(doc, indent=2))


@bench_app.command("booking")
def booking_bench(
    json_out: bool = typer.Option(False, "--json", help="Print the JSON document only."),
    bookings: int = typer.Option(100_000, min=1, max=5_000_000, help="Bookings stored before measuring."),
    backend: list[str] = typer.Option(["sqlite", "postgresql"], help="sqlite and/or postgresql."),
    postgres_url: str = typer.Option("", help="A PostgreSQL server to use; empty: a temporary cluster."),
    draws: int = typer.Option(300, min=10, max=100_000, help="Lookups and bookings measured per backend."),
    seed: int = typer.Option(1),
) -> None:
    """Free-slot lookup p95 and booking commit p95 with N bookings stored (targets 50 ms and 300 ms)."""
    import json

    from booking.bench import run_bench

    unknown = [b for b in backend if b not in ("sqlite", "postgresql")]
    if unknown:
        raise typer.BadParameter(f"unknown backend {unknown[0]!r}: sqlite or postgresql", param_hint="--backend")
    doc = run_bench(bookings, tuple(backend), draws=draws, seed=seed, postgres_url=postgres_url or None)
    typer.echo(json.dumps(doc) if json_out else json.dumps(doc, indent=2))
