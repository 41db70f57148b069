"""`centralita bench ...`: performance figures as JSON (never timed assertions in tests)."""
import typer

bench_app = typer.Typer(help="Benchmarks that print JSON.", no_args_is_help=True)
