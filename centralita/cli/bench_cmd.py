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
        scenario = Scenario(agents=agents, hours=hours, answer_prob=answer_prob, ring_min=ring_min,
                            ring_max=ring_max, no_answer_after=no_answer_after, talk_mean=talk_mean,
                            talk_sd=talk_sd, wrapup=wrapup, machine_share=machine_share,
                            trunk_lines=trunk_lines or None)
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
    columns = ["occupancy_mean", "occupancy_min", "abandon_mean", "abandon_max",
               "calls_per_agent_hour", "talk_share_mean"]
    table.add_column("policy")
    for col in columns:
        table.add_column(col, justify="right")
    for name, figures in doc["policies"].items():
        table.add_row(name, *(str(figures[c]) for c in columns))
    Console().print(table)
    Console().print(f"tuned baselines: {doc['scenario']['tuned']}")
