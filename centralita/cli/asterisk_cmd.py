"""`centralita asterisk provision|render|start|stop|reload|cli`"""

from __future__ import annotations

from pathlib import Path

import typer

from centralita.settings import get_settings

asterisk_app = typer.Typer(help="Provision, configure and drive Asterisk.", no_args_is_help=True)


@asterisk_app.command()
def provision() -> None:
    """Install Asterisk (system one, or Debian sid under chroot); fast when already done."""
    from centralita.telephony.provision import provision as do_provision

    root = do_provision(get_settings(), echo=typer.echo)
    typer.echo(f"Asterisk root: {root}")


@asterisk_app.command()
def render(out: Path = typer.Option(None, help="Write here in Debian's standard layout (container image).")) -> None:
    """Render every config file from asterisk/templates with settings and the database."""
    from centralita.telephony.service import render_config

    target = render_config(get_settings(), out_dir=out)
    typer.echo(f"rendered Asterisk config into {target}")


@asterisk_app.command()
def start(timeout: float = 60) -> None:
    """Start Asterisk in the background (the `up` command supervises it instead)."""
    from centralita.telephony.service import start_detached

    pid = start_detached(get_settings(), timeout=timeout)
    typer.echo(f"Asterisk is running (pid {pid})")


@asterisk_app.command()
def stop() -> None:
    """Stop Asterisk gracefully."""
    from centralita.telephony.pbx import Asterisk

    Asterisk(get_settings()).stop()
    typer.echo("Asterisk stopped")


@asterisk_app.command()
def reload(what: str = typer.Argument("all", help="pjsip, dialplan, queues or all")) -> None:
    """Re-render the config and reload only the named part (never a restart)."""
    from centralita.telephony.apply import MODULES, after_commit

    if what not in (*MODULES, "all"):
        typer.echo(f"what: must be one of {', '.join(MODULES)}, all", err=True)
        raise typer.Exit(2)
    applied = after_commit(get_settings(), MODULES if what == "all" else [what])
    if not applied.reloaded:
        typer.echo(f"asterisk: {applied.warning}", err=True)
        raise typer.Exit(1)
    typer.echo(f"reloaded {', '.join(applied.modules)}")


@asterisk_app.command()
def cli(command: list[str] = typer.Argument(..., help="e.g. core show channels")) -> None:
    """Run one Asterisk CLI command and print its output."""
    from centralita.telephony.pbx import Asterisk

    typer.echo(Asterisk(get_settings()).cli(" ".join(command)), nl=False)
