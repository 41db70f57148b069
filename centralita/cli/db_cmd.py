"""`centralita db ...`"""

import typer

from centralita import db

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply every pending migration (idempotent)."""
    db.upgrade()
    typer.echo("database is at the newest schema")
