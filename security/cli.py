"""`centralita security ...`: banned SIP addresses, lifting a ban, the security log."""

from __future__ import annotations

import typer

from centralita.db import session_scope
from centralita.errors import FieldError
from centralita.settings import get_settings
from centralita.timeutil import utcnow
from security import service

app = typer.Typer(help="SIP security: banned addresses, unban, the security log.", no_args_is_help=True)


@app.command("bans")
def bans() -> None:
    """Addresses banned now, with their reason and when each ban ends."""
    with session_scope() as session:
        rows = service.active_bans(session, utcnow())
        if not rows:
            typer.echo("no banned addresses")
        for b in rows:
            typer.echo(f"{b.ip}\tuntil {b.expires_at:%Y-%m-%d %H:%M:%S}Z\t{b.reason}")


@app.command("unban")
def unban(ip: str) -> None:
    """Lift the ban on IP now (audited) and reload PJSIP."""
    from centralita.telephony.apply import after_commit

    try:
        with session_scope() as session:
            row = service.unban(session, ip, utcnow(), client="cli")
            address = row.ip
    except FieldError as exc:
        typer.echo(f"error: {exc.field}: {exc.message}", err=True)
        raise typer.Exit(2 if exc.status == 422 else 1)
    applied = after_commit(get_settings(), {"pjsip"}, [("security.bans", {})])
    typer.echo(f"unbanned {address}" + ("" if applied.reloaded else f" ({applied.warning})"))


@app.command("events")
def events(limit: int = typer.Option(20, min=1, max=1000), kind: str = "") -> None:
    """The security log, newest first."""
    with session_scope() as session:
        for e in service.recent_events(session, limit, kind or None):
            typer.echo(f"{e.at:%Y-%m-%d %H:%M:%S}\t{e.kind}\t{e.ip}\t{e.account}\t{e.detail or ''}")
