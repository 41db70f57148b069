"""`centralita flow split start|show|end|promote NAME`: A/B tests of flow versions, as the API does them."""

from __future__ import annotations

import json

import typer

from ivr.cli import _apply, _errors, _session

split_app = typer.Typer(help="A/B tests: a second version takes a share of a flow's calls.", no_args_is_help=True)


def _done(name: str, what: str) -> None:
    reloaded = _apply()
    typer.echo(
        f"{name}: {what}; " + ("dialplan reloaded" if reloaded else "Asterisk not running: applies when it starts")
    )


@split_app.command("start")
def split_start(
    name: str,
    version: int = typer.Option(..., min=1, help="The version to test against the published one"),
    share: int = typer.Option(..., min=1, max=99, help="Percent of calls for VERSION"),
    by: str = typer.Option("call", help="call (drawn per call) or caller (the same caller, the same version)"),
) -> None:
    from centralita.settings import get_settings
    from ivr import split

    with _session() as session, _errors():
        row = split.start(session, name, version, share, by, settings=get_settings())
        what = f"v{row.version} takes {row.share} % of calls by {row.by} (v{row.base_version} the rest)"
        session.commit()
    _done(name, what)


@split_app.command("end")
def split_end(name: str) -> None:
    from ivr import split

    with _session() as session, _errors():
        split.end(session, name)
        session.commit()
    _done(name, "A/B test ended, every call takes the published version")


@split_app.command("promote")
def split_promote(name: str) -> None:
    from centralita.settings import get_settings
    from ivr import split

    with _session() as session, _errors():
        row = split.promote(session, name, settings=get_settings())
        session.commit()
    _done(name, f"v{row.version} published, A/B test ended")


@split_app.command("show")
def split_show(name: str) -> None:
    """The running (else the last) test compared over its period, as JSON."""
    from ivr import split, split_compare
    from ivr.service import NotFound

    with _session() as session, _errors():
        row = split.latest(session, name)
        if row is None:
            raise NotFound("name", f"flow '{name}' has had no A/B test")
        typer.echo(json.dumps(split_compare.compare(session, row), default=str, ensure_ascii=False, indent=2))
