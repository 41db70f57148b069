"""`centralita user ...`: manage accounts from the server's shell (also how the first admin is made)."""

from __future__ import annotations

import typer

from api.users import service
from centralita.db import session_scope

user_app = typer.Typer(help="Users: add, list, change passwords, create the first admin.", no_args_is_help=True)


def _fail(exc: service.ServiceError) -> None:
    # Bad input is a usage error (2); a clash with stored data (exists, not found) is 1.
    typer.echo(f"error: {exc.field}: {exc.message}", err=True)
    raise typer.Exit(2 if exc.status == 422 else 1)


@user_app.command("add")
def add(
    username: str = typer.Argument(..., help="Login name (letters, digits, . _ -)."),
    role: str = typer.Option("agent", "--role", "-r", help="agent | supervisor | admin"),
    password: str | None = typer.Option(
        None, "--password", "-p", help="At least 10 characters; generated and shown once when omitted."
    ),
    full_name: str = typer.Option("", "--full-name", "-n", help="Name shown in the web UI."),
) -> None:
    """Create a user."""
    generated = password is None
    password = password if password is not None else service.generate_password()
    try:
        with session_scope() as session:
            user = service.create_user(session, username, password, role=role, full_name=full_name, client="cli")
            name = user.username  # read before the session closes
            typer.echo(f"created {name} ({user.role})")
    except service.ServiceError as exc:
        _fail(exc)
    if generated:
        typer.echo(f"password for {name}: {password} (shown once)")


@user_app.command("list")
def list_() -> None:
    """List users."""
    with session_scope() as session:
        users = service.list_users(session)
        if not users:
            typer.echo("no users (run `centralita user bootstrap-admin`)")
        for u in users:
            state = "active" if u.active else "inactive"
            typer.echo(f"{u.id:>4}  {u.username:<24} {u.role:<10} {state:<8} {u.full_name}")


@user_app.command("passwd")
def passwd(
    username: str = typer.Argument(...),
    password: str | None = typer.Option(
        None, "--password", "-p", help="New password; generated and shown once when omitted."
    ),
) -> None:
    """Set a user's password (ends the user's API tokens and web sessions)."""
    generated = password is None
    password = password if password is not None else service.generate_password()
    try:
        with session_scope() as session:
            user = service.get_by_username(session, username)
            if user is None:
                raise service.NotFound("username", f"no user {service.normalize_username(username)!r}")
            service.set_password(session, user.id or 0, password, client="cli")
            name = user.username
    except service.ServiceError as exc:
        _fail(exc)
    typer.echo(f"password changed for {name}" + (f": {password} (shown once)" if generated else ""))


@user_app.command("bootstrap-admin")
def bootstrap_admin() -> None:
    """Create user 'admin' with a random password if no admin exists (safe to run on every start)."""
    with session_scope() as session:
        password = service.ensure_first_admin(session)
    if password is None:
        typer.echo("an admin already exists")
    else:
        typer.echo(f"admin password: {password} (shown once)")
