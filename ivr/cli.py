"""`centralita flow ...` (also `centralita ivr flow ...`), `centralita ivr did|prompt|contact|calendar|holidays ...`."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import typer

app = typer.Typer(help="IVR: flows, DIDs, prompts, contacts.", no_args_is_help=True)
flow_app = typer.Typer(
    help="Call flows: save (import), validate, publish, rollback, simulate, export.", no_args_is_help=True
)
did_app = typer.Typer(help="Numbers callers dial, each mapped to a flow.", no_args_is_help=True)
prompt_app = typer.Typer(help="Prompts: spoken from text (TTS) or uploaded audio.", no_args_is_help=True)
contact_app = typer.Typer(help="Known callers (caller identification).", no_args_is_help=True)
app.add_typer(flow_app, name="flow")
app.add_typer(did_app, name="did")
app.add_typer(prompt_app, name="prompt")
app.add_typer(contact_app, name="contact")
top_level = {"flow": flow_app}  # `centralita flow simulate ...`, as admins know it


def _fail(message: str, code: int = 2):
    typer.echo(f"centralita: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _session():
    from sqlmodel import Session

    from centralita import db

    db.upgrade()
    with Session(db.get_engine()) as session:
        yield session


@contextmanager
def _errors():
    """Service errors → one line naming the field, exit code 2; nothing is committed."""
    from ivr.service import NotFound
    from ivr.validation import FlowInvalid

    try:
        yield
    except FlowInvalid as exc:
        for error in exc.errors:
            typer.echo(f"invalid: {error}", err=True)
        raise typer.Exit(2) from None
    except (NotFound, ValueError) as exc:
        _fail(str(exc))


def _read_definition(path: Path) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text())  # YAML is a superset of JSON: both work
    except (OSError, yaml.YAMLError) as exc:
        _fail(f"{path}: cannot read ({exc})")
    if not isinstance(data, dict):
        _fail(f"{path}: a flow is a mapping with 'start' and 'nodes'")
    return data


def _apply() -> bool:
    """After the commit: the one apply path; a flow, DID or prompt change touches the dialplan only."""
    from centralita.settings import get_settings
    from centralita.telephony.apply import after_commit

    return after_commit(get_settings(), {"dialplan"}).reloaded


@flow_app.command("list")
def flow_list() -> None:
    from ivr import service

    with _session() as session:
        for flow in service.list_flows(session):
            versions = service.list_versions(session, flow)
            typer.echo(
                f"{flow.name}\tpublished v{flow.published_version or '-'}\tlatest v"
                f"{versions[0].version if versions else '-'}"
            )


@flow_app.command("save")
def flow_save(
    name: str,
    file: Path = typer.Argument(..., help="YAML or JSON definition"),
    comment: str = typer.Option("", help="What changed"),
    publish: bool = typer.Option(False, "--publish", help="Publish the new version at once"),
) -> None:
    """Validate and store FILE as the newest version of NAME (import)."""
    from centralita.settings import get_settings
    from ivr import service

    definition = _read_definition(file)
    with _session() as session, _errors():
        number = service.save(session, name, definition, comment=comment, settings=get_settings()).version
        if publish:
            service.publish(session, name, number, settings=get_settings())
        session.commit()
    typer.echo(f"saved {name} v{number}" + (" (published)" if publish else ""))
    if publish:
        typer.echo("dialplan reloaded" if _apply() else "Asterisk not running: applies when it starts")


@flow_app.command("validate")
def flow_validate(file: Path) -> None:
    from centralita.settings import get_settings
    from ivr import service

    definition = _read_definition(file)
    with _session() as session, _errors():
        service.check(session, definition, get_settings())
    typer.echo("valid")


@flow_app.command("publish")
def flow_publish(name: str, version: int = typer.Option(None, min=1, help="Default: the newest")) -> None:
    _publish(name, version, rollback=False)


@flow_app.command("rollback")
def flow_rollback(name: str, version: int = typer.Argument(..., min=1)) -> None:
    """Publish an earlier version again."""
    _publish(name, version, rollback=True)


def _publish(name: str, version: int | None, rollback: bool) -> None:
    from centralita.settings import get_settings
    from ivr import service

    with _session() as session, _errors():
        if rollback and version is not None:  # `flow rollback` always names its version (required argument)
            number = service.rollback(session, name, version, settings=get_settings()).version
        else:
            number = service.publish(session, name, version, settings=get_settings()).version
        session.commit()
    reloaded = _apply()
    typer.echo(
        f"{name}: v{number} published; "
        + ("dialplan reloaded" if reloaded else "Asterisk not running: applies when it starts")
    )


@flow_app.command("versions")
def flow_versions(name: str) -> None:
    from ivr import service

    with _session() as session, _errors():
        flow = service.get_flow(session, name)
        for row in service.list_versions(session, flow):
            mark = "*" if row.version == flow.published_version else " "
            typer.echo(
                f"{mark} v{row.version}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.created_by or '-'}\t{row.comment}"
            )


@flow_app.command("export")
def flow_export(
    name: str, format: str = typer.Option("yaml", help="yaml or json"), version: int = typer.Option(None, min=1)
) -> None:
    import yaml

    from ivr import service

    if format not in ("yaml", "json"):
        _fail("format: yaml or json")
    with _session() as session, _errors():
        flow = service.get_flow(session, name)
        definition = flow.definition if version is None else service.get_version(session, flow, version).definition
    typer.echo(
        yaml.safe_dump(definition, allow_unicode=True, sort_keys=False)
        if format == "yaml"
        else json.dumps(definition, indent=2, ensure_ascii=False)
    )


@flow_app.command("simulate")
def flow_simulate(
    name: str,
    digits: str = typer.Option("", help="Comma list: what the caller keys at each input"),
    at: str = typer.Option("", help="Pretend it is this time, e.g. 2026-12-24T20:00-05:00"),
    version: int = typer.Option(None, min=1, help="Default: the newest saved version"),
    known_caller: bool = typer.Option(False, "--known-caller"),
    lookups: bool = typer.Option(True, "--lookups/--no-lookups", help="Call lookup services"),
) -> None:
    """Walk a flow without Asterisk and print the path a call would leave."""
    from ivr.hours import parse_clock
    from ivr.simulation_runner import run_simulation

    try:
        moment = parse_clock(at) if at else None
    except ValueError:
        _fail(f"at: '{at}' is not an ISO date and time")
    keys = [d.strip() for d in digits.split(",")] if digits else []
    with _session() as session, _errors():
        walk = run_simulation(
            session, name, keys, at=moment, version=version, known_caller=known_caller, lookups=lookups
        )
    typer.echo(json.dumps({"path": walk.path_text, "outcome": walk.outcome, "said": walk.said}, ensure_ascii=False))


@flow_app.command("metrics")
def flow_metrics(name: str) -> None:
    from ivr import metrics, service

    with _session() as session, _errors():
        service.get_flow(session, name)
        typer.echo(json.dumps({"flow": name, "versions": metrics.version_metrics(session, name)}, indent=2))


@flow_app.command("hours")
def flow_hours(name: str, node: str, state: str = typer.Argument(..., help="open, closed or auto")) -> None:
    """Override an hours node now (no publish needed); auto returns to the schedule."""
    from sqlmodel import select

    from ivr import service
    from ivr.models import HoursOverride

    if state not in ("open", "closed", "auto"):
        _fail("state: open, closed or auto")
    with _session() as session, _errors():
        flow = service.get_flow(session, name)
        if (flow.definition.get("nodes", {}).get(node) or {}).get("type") != "hours":
            _fail(f"node: '{node}' is not an hours node of flow '{name}'")
        row = session.exec(select(HoursOverride).where(HoursOverride.flow == name, HoursOverride.node == node)).first()
        if state == "auto":
            if row:
                session.delete(row)
        else:
            row = row or HoursOverride(flow=name, node=node, state=state, set_by="cli")
            row.state = state
            session.add(row)
        session.commit()
    typer.echo(f"{name}/{node}: {state}")


@did_app.command("set")
def did_set(number: str, flow: str) -> None:
    from ivr import service

    with _session() as session, _errors():
        service.set_did(session, number, flow)
        session.commit()
    _apply()
    typer.echo(f"DID {number} → flow {flow}")


@did_app.command("list")
def did_list() -> None:
    from ivr import service

    with _session() as session:
        for number, flow in service.list_dids(session):
            typer.echo(f"{number}\t{flow}")


@prompt_app.command("add")
def prompt_add(
    name: str,
    text: str = typer.Option("", help="Text to speak (TTS)"),
    file: Path = typer.Option(None, help="Audio file to convert to 8 kHz"),
    language: str = typer.Option("es"),
) -> None:
    from ivr.prompts import save_prompt

    if bool(text) == bool(file):
        _fail("give exactly one of --text or --file")
    audio = None
    if file is not None:
        try:
            audio = file.read_bytes()
        except OSError as exc:
            _fail(f"file: {exc}")
    with _session() as session, _errors():
        save_prompt(session, name, text=text, audio=audio, filename=str(file or ""), language=language)
        session.commit()
    _apply()
    typer.echo(f"prompt {name} saved")


@prompt_app.command("list")
def prompt_list() -> None:
    from sqlmodel import select

    from ivr.models import Prompt

    with _session() as session:
        for p in session.exec(select(Prompt).order_by(Prompt.name)):
            typer.echo(f"{p.name}\t{p.source}\t{p.text[:60]}")


@contact_app.command("add")
def contact_add(phone: str, name: str = typer.Option(""), national_id: str = typer.Option("")) -> None:
    from centralita.settings import get_settings
    from ivr.callers import save_contact

    with _session() as session, _errors():
        contact = save_contact(session, phone, get_settings().default_region, name, national_id)
        session.commit()
        typer.echo(f"contact {contact.id}: {contact.phone} {contact.name}")


def _register_split() -> None:
    from ivr.split_cli import split_app

    flow_app.add_typer(split_app, name="split")


def _register_calendars() -> None:
    from ivr.calendar_cli import calendar_app, holidays_app

    app.add_typer(calendar_app, name="calendar")
    app.add_typer(holidays_app, name="holidays")


_register_split()
_register_calendars()
