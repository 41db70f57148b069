"""`centralita demo seed|call`"""

from __future__ import annotations

import json

import typer

from centralita.settings import get_settings

demo_app = typer.Typer(help="Demo data and a demo call.", no_args_is_help=True)


def _seed_and_apply(settings) -> None:
    from sqlmodel import Session

    from centralita import db
    from centralita.demo import seed
    from centralita.telephony.apply import MODULES, after_commit

    db.upgrade()
    with Session(db.get_engine()) as session:
        result = seed(session, settings)
    applied = after_commit(settings, MODULES)  # pjsip, dialplan and queues only: never a restart
    if applied.warning:
        typer.echo(f"asterisk: {applied.warning}", err=True)
    for line in result.created:
        typer.echo(f"created {line}")
    if not result.created:
        typer.echo("demo data already present")
    for user, web_pw, sip_user, sip_pw in result.credentials:
        typer.echo(
            f"agent {user}: web password {web_pw}; softphone user {sip_user} password {sip_pw} "
            f"(server 127.0.0.1:{settings.sip_port}; shown once)"
        )


@demo_app.command("seed")
def seed_command() -> None:
    """Create the demo trunk, DID 5551000, two agents, a queue and a small flow (idempotent)."""
    _seed_and_apply(get_settings())


@demo_app.command("call")
def call_command(
    digits: str = typer.Option("0", help="DTMF digits the caller presses (0: an agent)."),
    hold: float = typer.Option(4.0, help="Seconds the caller stays after the digits."),
    number: str = typer.Option("5551000", help="DID to call."),
) -> None:
    """Place a real SIP call with sipp into the demo DID and print what happened."""
    from sqlmodel import Session

    from centralita import db
    from centralita.demo import call

    settings = get_settings()
    if any(d not in "0123456789*#" for d in digits):
        typer.echo("digits: only 0-9, * and #", err=True)
        raise typer.Exit(2)
    from sqlmodel import select

    from ivr.models import Did

    with Session(db.get_engine()) as session:
        seeded = session.exec(select(Did).where(Did.number == number)).first() is not None
    if not seeded and number == "5551000":
        _seed_and_apply(settings)  # first demo call on a fresh stack: the demo data it needs
    result = call(lambda: Session(db.get_engine()), settings, digits=digits, hold_seconds=hold, number=number)
    summary = {"sip_ok": result.sipp.ok, "sip_call_id": result.sipp.call_id, "sipp_seconds": result.sipp.talk_seconds}
    if result.record is not None:
        r = result.record
        summary.update(
            call_record_id=r.id,
            path=r.path,
            duration=r.duration,
            billsec=r.billsec,
            disposition=r.disposition,
            did=r.did,
            caller=r.caller,
        )
    if result.legs is not None:
        summary.update(legs=result.legs, both_legs_audio=all(leg["audio"] for leg in result.legs.values()))
    typer.echo(json.dumps(summary, indent=2))
    if not result.sipp.ok:
        typer.echo(f"the SIP call failed (sipp exit {result.sipp.exit_code}):\n{result.sipp.output}", err=True)
        raise typer.Exit(1)
    if result.record is None:
        typer.echo("the call ended but no call record appeared (is the API running? `centralita status`)", err=True)
        raise typer.Exit(1)
