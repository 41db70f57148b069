"""`centralita reports bi-user create --name powerbi`: the read-only database role a BI tool (Power BI)
connects with; it can SELECT the BI views (reports/bi.py) and nothing else."""

from __future__ import annotations

import json

import typer

from centralita import db
from centralita.errors import FieldError
from centralita.settings import get_settings

bi_user_app = typer.Typer(help="The read-only database role for BI tools (Power BI).", no_args_is_help=True)


@bi_user_app.command("create")
def create(
    name: str = typer.Option("powerbi", "--name", help="Role name (a–z, 0–9, _)."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Create the role, or give it a new password when it exists (shown once, never stored)."""
    from reports import bi

    try:
        bi.check_role_name(name)
    except FieldError as exc:
        typer.echo(f"error: --{exc.field}: {exc.message}", err=True)
        raise typer.Exit(2) from None
    engine = db.get_engine()
    if engine.dialect.name != "postgresql":
        typer.echo(f"error: {bi.sqlite_readonly_hint(get_settings().sqlalchemy_url)}", err=True)
        raise typer.Exit(1)
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.begin() as conn:
            out = bi.create_bi_user(conn, name)
    except DBAPIError as exc:  # e.g. the application's role may not create roles
        typer.echo(f"error: PostgreSQL refused: {str(exc.orig).strip()}", err=True)
        raise typer.Exit(1) from None
    url = engine.url
    out.update(host=url.host or "localhost", port=url.port or 5432)
    if json_out:
        typer.echo(json.dumps(out))
        return
    typer.echo(f"role {name} {'created' if out['created'] else 'exists: password rotated'}")
    typer.echo(f"server   {out['host']}:{out['port']}")
    typer.echo(f"database {out['database']}")
    typer.echo(f"user     {name}")
    typer.echo(f"password {out['password']}   (shown once: store it in the BI tool now)")
    typer.echo(f"views    {', '.join(out['views'])}")
    if out["can_create_in_public"]:
        typer.echo(
            "warning: every role may create objects in schema public on this server (PostgreSQL < 15); "
            "run REVOKE CREATE ON SCHEMA public FROM PUBLIC if no other user needs it",
            err=True,
        )
